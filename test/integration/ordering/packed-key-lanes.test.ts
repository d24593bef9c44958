/**
 * Key mode with many small lanes on one worker thread: batches wait for the busy pool and are
 * packed into shared tasks (taskPacking). Packing must not lose, duplicate or reorder anything:
 * per-key order holds, every input has exactly one output, and the offsets commit to the end.
 */
import {
  committedOffsets,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  verifyTopics,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

test('key mode, 3 partitions × 32 lanes, pool of 1: batches are packed; order, count and commits hold', async () => {
  const partitions = 3;
  const { input, output, drop } = await freshTopics('packed', partitions, 3);
  const count = 12_000;
  await produceRecords(input, count, { keys: 500 });
  const group = randomName('g');
  const engine = makeEngine(
    {
      input,
      output,
      group,
      ordering: 'key',
      keyLanes: 32,
      poolSize: 1,
      commitIntervalMs: 200,
    },
    { SPIN_US: '50' },
  );
  await engine.start();
  await waitProcessed(engine, count);
  const stats = engine.snapshot();
  // Packing happened: more batches than tasks.
  expect(stats.workerTaskBatches).toBeGreaterThan(stats.workerTasks);
  await engine.close();
  const offsets = await committedOffsets(group, input, partitions);
  expect(offsets.reduce((a, b) => a + b, 0)).toBe(count);
  const report = await verifyTopics(input, output, 'key');
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
