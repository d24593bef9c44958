/**
 * All records of a 6-partition topic are processed exactly once in a clean run, and each output
 * partition shows every input partition's records in input order.
 */
import { freshTopics, makeEngine, produceRecords, randomName, verifyTopics, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(120_000);

test('6 partitions: nothing lost, no duplicates, output order equals input order per partition', async () => {
  const { input, output, drop } = await freshTopics('order', 6);
  const count = 12_000;
  await produceRecords(input, count, { keys: 500 });
  const engine = makeEngine({ input, output, group: randomName('g'), batchMaxRecords: 200 }, { SPIN_US: '20' });
  await engine.start();
  await waitProcessed(engine, count);
  const closed = await engine.close();
  expect(closed.drained).toBe(true);
  expect(engine.snapshot().deadLettered).toBe(0);

  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
