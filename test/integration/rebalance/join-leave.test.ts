/**
 * A second engine instance joining the group mid-stream and leaving again loses nothing: on
 * each cooperative rebalance the revoked partitions' in-flight work is drained, produced and
 * committed before they move, so the new owner starts exactly after it.
 */
import { freshTopics, makeEngine, produceRecords, randomName, sleep, verifyTopics, waitFor } from '../../helpers/kafka';

jest.setTimeout(180_000);

test('join and leave mid-stream: nothing lost, order kept', async () => {
  const { input, output, drop } = await freshTopics('rb', 6);
  const group = randomName('g');
  const count = 12_000;
  // Half now, half once B owns partitions: on a fast machine A could otherwise finish the whole
  // backlog while B is still joining, and B would never have anything to process.
  await produceRecords(input, count / 2);
  // A small in-flight bound keeps A from reading the whole backlog before B joins.
  const flags = { input, output, group, batchMaxRecords: 50, maxInFlightRecords: 300 };
  const a = makeEngine(flags, { SPIN_US: '300' });
  const revokedA: number[] = [];
  a.on('revoked', (tps: Array<{ partition: number }>) => revokedA.push(...tps.map((t) => t.partition)));
  await a.start();
  await waitFor('a consuming', () => a.snapshot().consumed > 500, 60_000);

  const b = makeEngine(flags, { SPIN_US: '300' });
  await b.start();
  await waitFor('b owning partitions', () => b.snapshot().assignedPartitions > 0, 60_000);
  await produceRecords(input, count / 2, { startIndex: count / 2, partitions: 6 });
  await waitFor('b processing', () => b.snapshot().consumed > 200, 60_000);
  expect(revokedA.length).toBeGreaterThan(0);
  await b.close();
  await waitFor('a owning all partitions again', () => a.snapshot().assignedPartitions === 6, 60_000);

  const total = () => a.snapshot().consumed + b.snapshot().consumed;
  await waitFor('every record consumed', () => total() >= count && a.snapshot().inFlightRecords === 0, 120_000);
  await sleep(200);
  await a.close();

  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ inputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
