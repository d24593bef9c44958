/**
 * With onFailure skip, a record that uses up its retries (or cannot be decoded) is dropped
 * without a dead-letter copy and counted in turbine_records_skipped_total; every other record is
 * produced and the committed offsets pass the skipped ones to the end of the input.
 */
import { join } from 'node:path';
import {
  committedOffsets,
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(120_000);

test('failed records are skipped: no dead letters, the rest produced, offsets committed past them', async () => {
  const { input, output, drop } = await freshTopics('onskip', 2);
  const group = randomName('g');
  const count = 600;
  const poisonAt = new Set([33, 250, 511]);
  const garbageAt = 400;
  await produceRecords(input, count, {
    partitions: 2,
    value: (i) =>
      i === garbageAt
        ? Buffer.from('{not json')
        : Buffer.from(JSON.stringify(poisonAt.has(i) ? { i, poison: true } : { i })),
  });
  const engine = makeEngine({
    input,
    output,
    group,
    worker: join(FIXTURES, 'poison.js'),
    onFailure: 'skip',
    batchMaxRecords: 40,
    retryMaxAttempts: 2,
    retryInitialMs: 10,
  });
  const skipped: Array<{ offset: number; code: string }> = [];
  engine.on('skipped', (s: { offset: number; code: string }) => skipped.push(s));
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  expect(skipped).toHaveLength(poisonAt.size + 1);
  expect(skipped.filter((s) => s.code === 'DECODE_ERROR')).toHaveLength(1);
  const metric = await engine.metrics.recordsSkipped.get();
  expect(metric.values.reduce((sum, v) => sum + v.value, 0)).toBe(poisonAt.size + 1);
  expect(engine.snapshot()).toMatchObject({ skipped: poisonAt.size + 1, deadLettered: 0 });

  expect(await readTopic(`${input}.dlq`)).toHaveLength(0);
  const outputs = await readTopic(output);
  const values = new Set(outputs.map((o) => JSON.parse(o.value!.toString()).i as number));
  expect(outputs).toHaveLength(count - poisonAt.size - 1);
  for (let i = 0; i < count; i++) expect(values.has(i)).toBe(!poisonAt.has(i) && i !== garbageAt);

  const committed = await committedOffsets(group, input, 2);
  expect(committed.reduce((a, b) => a + b, 0)).toBe(count);
  await drop();
});
