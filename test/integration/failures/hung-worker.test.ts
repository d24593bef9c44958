/**
 * A worker stuck in an infinite loop does not stall its partition: the task is aborted after
 * taskTimeoutMs, its thread is replaced, the batch is retried and split, and only the record that
 * hangs is dead-lettered (WORKER_TIMEOUT). A record that kills its thread (process.exit) is
 * handled the same way (WORKER_CRASHED). Everything else is produced in order.
 */
import { join } from 'node:path';
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  verifyTopics,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(120_000);

test('hanging and exiting records are dead-lettered after their threads are replaced', async () => {
  const { input, output, drop } = await freshTopics('hang', 1);
  const count = 300;
  await produceRecords(input, count, {
    value: (i) => Buffer.from(JSON.stringify(i === 123 ? { i, hang: true } : i === 200 ? { i, exit: true } : { i })),
  });
  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: join(FIXTURES, 'hang-or-exit.js'),
    batchMaxRecords: 20,
    taskTimeoutMs: 1000,
    retryMaxAttempts: 1,
  });
  await engine.start();
  await waitProcessed(engine, count, 60_000);
  await engine.close();

  const dead = await readTopic(`${input}.dlq`);
  const codes = Object.fromEntries(
    dead.map((d) => [JSON.parse(d.value!.toString()).i as number, d.headers['turbine.error.code']]),
  );
  expect(codes).toEqual({ 123: 'WORKER_TIMEOUT', 200: 'WORKER_CRASHED' });
  expect(Number(dead[0]!.headers['turbine.error.attempts'])).toBe(2);
  const outputs = await readTopic(output);
  expect(outputs).toHaveLength(count - 2);
  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ lost: 2, duplicates: 0, orderViolations: 0 });
  expect(report.lostSamples.map((s) => s.offset).sort((a, b) => a - b)).toEqual([123, 200]);
  const metrics = await engine.metrics.registry.getSingleMetricAsString('turbine_task_timeouts_total');
  expect(metrics).toMatch(/turbine_task_timeouts_total [1-9]/);
  await drop();
});
