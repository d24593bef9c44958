/**
 * Bad records do not stop a partition: a record that makes the worker throw is retried, isolated
 * from its batch and dead-lettered with headers saying why and where from; undecodable JSON goes
 * straight to the dead-letter topic; every other record is produced, and the committed offsets
 * reach the end of the input.
 */

import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import {
  BROKERS,
  createTopics,
  dropTopics,
  FIXTURES,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(120_000);

test('poison and undecodable records are dead-lettered; the rest flows and offsets are committed', async () => {
  const input = randomName('poison-in');
  const output = randomName('poison-out');
  const dlq = `${input}.dlq`;
  const group = randomName('g');
  await createTopics([
    { name: input, partitions: 2 },
    { name: output, partitions: 2 },
  ]);
  const count = 1_000;
  const poisonAt = new Set([17, 500, 901]);
  const garbageAt = new Set([42, 777]);
  await produceRecords(input, count, {
    partitions: 2,
    value: (i) =>
      garbageAt.has(i)
        ? Buffer.from('{not json')
        : Buffer.from(JSON.stringify(poisonAt.has(i) ? { i, poison: true } : { i })),
  });
  const engine = makeEngine({
    input,
    output,
    group,
    worker: join(FIXTURES, 'poison.js'),
    batchMaxRecords: 50,
    retryMaxAttempts: 2,
    retryInitialMs: 10,
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  const outputs = await readTopic(output);
  const dead = await readTopic(dlq);
  expect(outputs).toHaveLength(count - poisonAt.size - garbageAt.size);
  expect(dead).toHaveLength(poisonAt.size + garbageAt.size);
  const byIndex = new Map(
    dead.map((d) => [
      d.value?.toString().startsWith('{not')
        ? `garbage@${d.headers['turbine.source.offset']}`
        : String(JSON.parse(d.value!.toString()).i),
      d,
    ]),
  );
  for (const i of poisonAt) {
    const d = byIndex.get(String(i))!;
    expect(d.headers['turbine.error.code']).toBe('WORKER_FAILED');
    expect(d.headers['turbine.error.message']).toContain('poison record');
    expect(Number(d.headers['turbine.error.attempts'])).toBeGreaterThanOrEqual(3);
    expect(d.headers['turbine.source.topic']).toBe(input);
    expect(d.headers['turbine.worker']).toBe('poison.js');
    expect(Number(d.headers['turbine.error.last-failure-ms'])).toBeGreaterThanOrEqual(
      Number(d.headers['turbine.error.first-failure-ms']),
    );
  }
  const garbage = dead.filter((d) => d.headers['turbine.error.code'] === 'DECODE_ERROR');
  expect(garbage).toHaveLength(garbageAt.size);
  expect(garbage.every((d) => d.headers['turbine.error.attempts'] === '1')).toBe(true);

  // The group's committed offsets reached the end of both partitions.
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': BROKERS, 'group.id': group }, {});
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
    consumer.committed(
      [
        { topic: input, partition: 0 },
        { topic: input, partition: 1 },
      ],
      10_000,
      (err, tps) => (err ? reject(err) : resolve(tps)),
    ),
  );
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  expect(committed.map((c) => c.offset).reduce((a, b) => a + b, 0)).toBe(count);
  await dropTopics([input, output, dlq]);
});
