import Kafka from 'node-rdkafka';
import type { VerifyStateReport } from '../../../src/cli/verify-state';
import { runTurbine } from '../../helpers/cli';
import { expectedLevels, movements, produceMovements, STATEFUL_INVENTORY } from '../../helpers/inventory';
import { BROKERS, dropTopics, freshTopics, makeEngine, randomName, waitFor, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(240_000);

function verify(input: string, output: string, group: string, startValue = 100) {
  const r = runTurbine(
    'verify',
    [
      ...['--input', input, '--output', output, '--state-store', 'levels', '--group', group],
      ...['--start-value', String(startValue)],
      // A movement with no output (the last step) is waited for this long, not 30 s.
      ...['--timeout-ms', '3000'],
    ],
    120_000,
  );
  const report = JSON.parse(r.stdout.trim()) as { lost: number; duplicates: number; state: VerifyStateReport };
  return { status: r.status, stderr: r.stderr, report };
}

/** Writes one value to the changelog as the engine would (key = SKU, Kafka's default partitioner), but outside any transaction. */
async function writeChangelog(topic: string, key: string, value: Record<string, number>): Promise<void> {
  const producer = new Kafka.Producer(
    { 'metadata.broker.list': BROKERS, dr_cb: true },
    { partitioner: 'murmur2_random' },
  );
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(10);
  let reported = false;
  let failed: unknown;
  producer.on('delivery-report', (err) => {
    failed = err ?? undefined;
    reported = true;
  });
  producer.produce(topic, null, Buffer.from(JSON.stringify(value)), Buffer.from(key));
  await waitFor('changelog record acknowledged', () => reported, 30_000);
  producer.disconnect();
  if (failed) throw failed;
}

test('turbine verify --state-store compares the fold with outputs and the changelog after the engine stopped', async () => {
  const { input, output, drop } = await freshTopics('state-verify', 3);
  const group = randomName('g');
  const changelog = `${group}-levels-changelog`;
  const list = movements(1200, 10, 5);
  await produceMovements(input, list);
  const engine = makeEngine({ input, output, group, ...STATEFUL_INVENTORY, batchMaxRecords: 30 });
  await engine.start();
  await waitProcessed(engine, list.length);
  await engine.close();
  const expected = expectedLevels(list);
  const last = (id: string) => expected.get(id)!.at(-1)!;
  expect(expected.size).toBe(20);

  // 1. Engine stopped, nothing touched: every level matches on both sides.
  const clean = verify(input, output, group);
  expect(clean.status).toBe(0);
  expect(clean.report).toMatchObject({ lost: 0, duplicates: 0 });
  expect(clean.report.state).toEqual({
    store: 'levels',
    changelog,
    changelogKeys: 10,
    levels: 20,
    keys: 10,
    outputMismatches: 0,
    stateMismatches: 0,
    skipped: 0,
    examples: [],
  });
  expect(clean.stderr).toContain('state: 10 keys, 20 SKU/warehouse levels: all match');

  // The start value is part of the fold: one less, and every level is off on both sides.
  const shifted = verify(input, output, group, 99);
  expect(shifted.status).toBe(1);
  expect(shifted.report.lost).toBe(0);
  expect(shifted.report.state).toMatchObject({ outputMismatches: 20, stateMismatches: 20 });

  // 2. A changelog record that disagrees with the fold: a state mismatch only, and exit 1 on its own.
  await writeChangelog(changelog, 'SKU-3', { 'WH-1': last('SKU-3/WH-1') + 1000, 'WH-2': last('SKU-3/WH-2') });
  const corrupt = verify(input, output, group);
  expect(corrupt.status).toBe(1);
  expect(corrupt.report).toMatchObject({ lost: 0, duplicates: 0 });
  expect(corrupt.report.state).toMatchObject({ changelogKeys: 10, outputMismatches: 0, stateMismatches: 1 });
  expect(corrupt.report.state.examples).toEqual([
    `SKU-3/WH-1: expected ${last('SKU-3/WH-1')}, state ${last('SKU-3/WH-1') + 1000}`,
  ]);
  expect(corrupt.stderr).toContain('state: 10 keys, 20 SKU/warehouse levels: 0 output and 1 state mismatches');

  // 3. A movement produced after the engine stopped: the fold moves, outputs and state do not.
  await produceMovements(input, [{ key: 'SKU-4', sku: 'SKU-4', warehouse: 'WH-1', delta: 3 }]);
  const moved = verify(input, output, group);
  expect(moved.status).toBe(1);
  expect(moved.report.lost).toBe(1);
  expect(moved.report.state).toMatchObject({ levels: 20, outputMismatches: 1, stateMismatches: 2 });
  expect(moved.report.state.examples).toContain(
    `SKU-4/WH-1: expected ${last('SKU-4/WH-1') + 3}, last output ${last('SKU-4/WH-1')}`,
  );
  expect(moved.report.state.examples).toContain(
    `SKU-4/WH-1: expected ${last('SKU-4/WH-1') + 3}, state ${last('SKU-4/WH-1')}`,
  );
  expect(moved.stderr).toContain('1 output and 2 state mismatches');

  await drop();
  await dropTopics([changelog]);
});
