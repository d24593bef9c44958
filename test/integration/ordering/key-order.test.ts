/**
 * Key mode keeps per-key order while batches of one partition run on more than one worker
 * thread at once; outputs are keyed, so each key's outputs land in one output partition.
 */
import { freshTopics, makeEngine, produceRecords, randomName, verifyTopics, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(120_000);

test('one partition, key mode: per-key order kept, several threads used', async () => {
  const { input, output, drop } = await freshTopics('key', 1, 3);
  const count = 5_000;
  await produceRecords(input, count, { keys: 40 });
  const engine = makeEngine(
    {
      input,
      output,
      group: randomName('g'),
      ordering: 'key',
      keyLanes: 8,
      batchMaxRecords: 25,
      poolSize: 2,
    },
    { SPIN_US: '200' },
  );
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();
  const threads = engine.snapshot().threadsByPartition[`${input}:0`] ?? [];
  expect(threads.length).toBeGreaterThanOrEqual(2);
  const report = await verifyTopics(input, output, 'key');
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
