/**
 * Exactly-once: a partition whose previous owner died with an open transaction holding its
 * offsets is assigned while another rebalance changes the assignment. librdkafka 2.12 fetches
 * the committed offset with require_stable; the broker answers UNSTABLE_OFFSET_COMMIT until the
 * dead transaction is aborted. When the assignment changes while that fetch is in flight,
 * librdkafka puts the partition back as pending with offset INVALID and starts it at
 * auto.offset.reset: the beginning of the partition, so every record before the committed
 * offset was processed again (seen in the chaos suite's kill9 run: 15,668 duplicates under
 * read_committed). The engine starts each newly assigned partition at its committed offset.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  BROKERS,
  committedOffsets,
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitFor,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

const PARTITIONS = 2;
const COMMITTED = 500;

/**
 * A process commits the group's offsets at COMMITTED in a transaction, leaves a second one open
 * with later offsets, and is killed -9 (the broker aborts that one after 10 s).
 */
async function leaveOpenTransaction(group: string, topic: string, open: number): Promise<void> {
  const script = join(FIXTURES, 'open-offsets-transaction.js');
  const child = spawn(
    process.execPath,
    [script, BROKERS, group, topic, String(PARTITIONS), String(COMMITTED), String(open), '10000'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`open-offsets-transaction.js exited ${code}`)));
  });
  child.kill('SIGKILL');
}

test('a partition assigned while its offsets are unstable starts at its committed offset, not at the beginning', async () => {
  const { input, output, drop } = await freshTopics('eos-unstable', PARTITIONS);
  const group = randomName('g');
  const produced = await produceRecords(input, 4_000, { partitions: PARTITIONS });
  const ends = Array.from({ length: PARTITIONS }, (_, p) =>
    Math.max(...produced.filter((r) => r.partition === p).map((r) => r.offset + 1)),
  );
  await leaveOpenTransaction(group, input, COMMITTED + 1_000);

  const flags = { input, output, group, guarantee: 'exactly-once', transactionIntervalMs: 100, batchMaxRecords: 50 };
  const a = makeEngine(flags, { SPIN_US: '200' });
  await a.start();
  await waitFor('a assigned', () => a.snapshot().assignedPartitions === PARTITIONS, 60_000);
  // A second member joins while a's offset fetch waits for the dead transaction (10 s): the
  // cooperative rebalance takes a partition from a, which changes a's assignment mid-fetch.
  const b = makeEngine(flags, { SPIN_US: '200' });
  await b.start();
  await waitFor('b assigned', () => b.snapshot().assignedPartitions > 0, 60_000);

  await waitFor(
    'the group committed the whole input',
    () => a.snapshot().inFlightRecords === 0 && b.snapshot().inFlightRecords === 0,
    60_000,
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    // The query waits while the engines' transactions hold offsets, and may time out then.
    const committed = await committedOffsets(group, input, PARTITIONS).catch(() => [] as number[]);
    if (committed.length === PARTITIONS && committed.every((offset, p) => offset === ends[p])) break;
    if (Date.now() > deadline) throw new Error(`committed ${committed.join(',')}, want ${ends.join(',')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await Promise.all([a.close(), b.close()]);

  const outputs = await readTopic(output, 60_000, 'read_committed');
  const bySource = new Map<string, number>();
  for (const r of outputs) {
    const key = `${r.headers['turbine.source.partition']}:${r.headers['turbine.source.offset']}`;
    bySource.set(key, (bySource.get(key) ?? 0) + 1);
  }
  const below = [...bySource.keys()].filter((k) => Number(k.split(':')[1]) < COMMITTED);
  expect(below.slice(0, 5)).toEqual([]);
  const expected = ends.reduce((sum, end) => sum + end - COMMITTED, 0);
  expect(bySource.size).toBe(expected);
  expect(outputs.length).toBe(expected);
  await drop();
});
