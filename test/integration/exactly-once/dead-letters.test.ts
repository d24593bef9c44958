/**
 * Exactly-once with failing records: a record that makes the worker throw is still dead-lettered,
 * and its dead-letter copy is produced inside the same transaction as the outputs and the input
 * offsets, so read_committed readers of the dead-letter topic see each failed record once.
 */
import { join } from 'node:path';
import { FIXTURES, freshTopics, makeEngine, produceRecords, randomName, readTopic, waitFor } from '../../helpers/kafka';

jest.setTimeout(120_000);

test('poison records are dead-lettered inside the transaction; outputs and dead letters read_committed once each', async () => {
  const { input, output, drop } = await freshTopics('eos-dlq', 2);
  const dlq = `${input}.dlq`;
  const group = randomName('g');
  const count = 1_000;
  const poisonAt = new Set([17, 500, 901]);
  await produceRecords(input, count, {
    partitions: 2,
    value: (i) => Buffer.from(JSON.stringify(poisonAt.has(i) ? { i, poison: true } : { i })),
  });
  const engine = makeEngine({
    input,
    output,
    group,
    guarantee: 'exactly-once',
    worker: join(FIXTURES, 'poison.js'),
    batchMaxRecords: 50,
    retryMaxAttempts: 2,
    retryInitialMs: 10,
  });
  const committed = new Map<number, number>();
  engine.on('committed', (offsets: Array<{ partition: number; offset: number }>) => {
    for (const o of offsets) committed.set(o.partition, o.offset);
  });
  await engine.start();
  // Offsets reach the end only through transactions (no plain offset commit in this mode).
  await waitFor('offsets of every record committed', () => (committed.get(0) ?? 0) + (committed.get(1) ?? 0) === count);
  await engine.close();

  const outputs = await readTopic(output, 30_000, 'read_committed');
  const dead = await readTopic(dlq, 30_000, 'read_committed');
  expect(outputs).toHaveLength(count - poisonAt.size);
  expect(dead.map((d) => JSON.parse(d.value!.toString()).i).sort((x: number, y: number) => x - y)).toEqual([
    ...poisonAt,
  ]);
  for (const d of dead) {
    expect(d.headers['turbine.error.code']).toBe('WORKER_FAILED');
    expect(d.headers['turbine.source.topic']).toBe(input);
  }
  const values = await engine.metrics.transactionsCommitted.get();
  expect(values.values[0]?.value ?? 0).toBeGreaterThan(0);
  await drop();
});
