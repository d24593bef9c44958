/**
 * Adaptive batching sizes each partition's batches from the worker time per record, so a task
 * takes about batchTargetMs: with 1 ms of CPU per record and a 5 ms target, batches stay at a
 * handful of records although batchMaxRecords allows 500 and a backlog is waiting; nothing is
 * lost and order is kept.
 */
import { freshTopics, makeEngine, produceRecords, randomName, verifyTopics, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(120_000);

test('1 ms per record, 5 ms target: batches of at most a few records, order and completeness kept', async () => {
  const { input, output, drop } = await freshTopics('adaptive', 2);
  const count = 1000;
  await produceRecords(input, count, { keys: 50 });
  const engine = makeEngine(
    // A small in-flight bound, so the backlog waits in Kafka rather than in batches cut before
    // the first task reported its cost (those use the initial limit, 32).
    { input, output, group: randomName('g'), batchMaxRecords: 500, batchTargetMs: 5, maxInFlightRecords: 100 },
    { SPIN_US: '1000' },
  );
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  const sizes = (await engine.metrics.batchSize.get()).values;
  const bucket = (le: number) => sizes.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === le)?.value ?? 0;
  const total = sizes.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  // Fixed batches would hold up to 100 records (the in-flight bound). Only the first batches,
  // cut before any task reported its cost, may exceed 10.
  expect(total).toBeGreaterThan(count / 10);
  expect(bucket(10)).toBeGreaterThanOrEqual(total * 0.8);

  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
