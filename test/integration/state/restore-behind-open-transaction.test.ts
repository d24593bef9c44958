/**
 * A restore waits for a crashed owner's open transaction. An instance killed mid-transaction
 * leaves it open until the broker aborts it (transaction.timeout.ms), and a read_committed reader
 * of the changelog stops there: what the next owner commits afterwards is invisible behind it.
 * So when the partition moves again before the abort, the third owner must not restore up to
 * that stop and resume from the newer committed offset on stale state: it waits until the
 * partition's stable offset reaches its high watermark. (Found by the chaos stateful scenario.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  expectedLevels,
  levelMismatches,
  movements,
  outputLevels,
  produceMovements,
  STATEFUL_INVENTORY,
} from '../../helpers/inventory';
import {
  BROKERS,
  committedOffsets,
  FIXTURES,
  freshTopics,
  makeEngine,
  randomName,
  readTopic,
  sleep,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

/** The crashed transaction stays open this long (plus the broker's abort check, up to 10 s). */
const OPEN_TRANSACTION_MS = 15_000;

/** Waits until the group committed partition 0 of `topic` up to `offset` (exactly-once: in a transaction). */
async function committedUpTo(group: string, topic: string, offset: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await committedOffsets(group, topic, 1))[0]! < offset) {
    if (Date.now() > deadline) throw new Error(`group ${group} did not commit ${topic} up to ${offset}`);
    await sleep(250);
  }
}

/** A crashed instance's transaction, holding one record on partition 0 of `topic`. */
async function leaveOpenTransaction(topic: string): Promise<void> {
  const script = join(FIXTURES, 'open-record-transaction.js');
  const child = spawn(process.execPath, [script, BROKERS, topic, '0', String(OPEN_TRANSACTION_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`open-record-transaction.js exited ${code}`)));
  });
  child.kill('SIGKILL');
}

test('a restore behind a crashed owner’s open transaction waits for it, then folds on from the right state', async () => {
  const { input, output, drop } = await freshTopics('state-open-txn', 1);
  const group = randomName('g');
  const list = movements(3_000, 20, 13);
  const flags = { input, output, group, ...STATEFUL_INVENTORY, batchMaxRecords: 50 };
  const changelog = `${group}-levels-changelog`;

  // A processes the first third and stops; then a crashed instance's transaction holds the changelog.
  await produceMovements(input, list.slice(0, 1_000));
  const a = makeEngine(flags);
  await a.start();
  await committedUpTo(group, input, 1_000);
  await a.close();
  await leaveOpenTransaction(changelog);
  const openedAt = Date.now();

  // B folds the second third; its changelog records land behind the open transaction.
  const b = makeEngine(flags);
  await b.start();
  await produceMovements(input, list.slice(1_000, 2_000));
  await committedUpTo(group, input, 2_000);
  await b.close();

  // C must restore what B committed, not stop at the open transaction and fold onto A's state.
  const c = makeEngine(flags);
  await c.start();
  await produceMovements(input, list.slice(2_000));
  await committedUpTo(group, input, list.length);
  const waited = (await c.metrics.stateRestoreDuration.get()).values.find((v) => v.metricName?.endsWith('_sum'));
  await c.close();
  console.log(
    `restores after the crash ran until ${Math.round((Date.now() - openedAt) / 1000)} s; C's restore took ${waited?.value.toFixed(1)} s`,
  );

  const outputs = await readTopic(output, 60_000, 'read_committed');
  expect(levelMismatches(expectedLevels(list), outputLevels(outputs))).toEqual([]);
  await drop();
});
