/**
 * A worker that is slower on some batches (so later batches of a partition complete first)
 * still yields outputs in input order per partition: the reorderer holds the fast results back.
 */
import { join } from 'node:path';
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  verifyTopics,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(120_000);

test('out-of-order completion inside a partition is released in order', async () => {
  const { input, output, drop } = await freshTopics('slow', 2);
  const count = 600;
  await produceRecords(input, count, { partitions: 2 });
  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: join(FIXTURES, 'slow-some-batches.js'),
    batchMaxRecords: 10,
    batchLingerMs: 50,
    poolSize: 3,
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();
  // Several threads worked on each partition at once, so completion order really varied.
  for (const threads of Object.values(engine.snapshot().threadsByPartition)) expect(threads.length).toBeGreaterThan(1);
  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ inputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
