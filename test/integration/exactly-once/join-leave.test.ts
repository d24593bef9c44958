/**
 * Exactly-once across rebalances: a second instance joins the group mid-stream and leaves again.
 * On each revoke the open transaction is committed (outputs with their input offsets) before the
 * partitions move, so a read_committed reader sees every output once and in order.
 */
import { freshTopics, makeEngine, produceRecords, randomName, sleep, verifyTopics, waitFor } from '../../helpers/kafka';

jest.setTimeout(180_000);

async function counterValue(metric: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

test('join and leave mid-stream in exactly-once mode: no duplicate, nothing lost, order kept', async () => {
  const { input, output, drop } = await freshTopics('eos-rb', 6);
  const group = randomName('g');
  const count = 12_000;
  // Half now, half once the second instance owns partitions: alone, the first instance could
  // finish everything before the second one joined (it did on a quiet machine), and the
  // second would have nothing to process.
  await produceRecords(input, count / 2);
  const flags = {
    input,
    output,
    group,
    guarantee: 'exactly-once',
    transactionIntervalMs: 100,
    batchMaxRecords: 50,
    maxInFlightRecords: 300,
  };
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

  expect(await counterValue(a.metrics.transactionsCommitted)).toBeGreaterThan(0);
  expect(await counterValue(b.metrics.transactionsCommitted)).toBeGreaterThan(0);
  // A transaction whose offsets meet a bumped group generation (ILLEGAL_GENERATION) aborts and
  // its records are re-read: allowed, as long as the reader below sees no duplicate.
  const aborted =
    (await counterValue(a.metrics.transactionsAborted)) + (await counterValue(b.metrics.transactionsAborted));
  console.log(`transactions aborted during the rebalances: ${aborted}`);
  const report = await verifyTopics(input, output, 'partition', 'read_committed');
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
