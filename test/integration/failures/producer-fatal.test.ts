/**
 * A real fatal producer error: with librdkafka's `enable.gapless.guarantee` (set through the
 * engine's producer factory), a permanent produce error (an output larger than the output
 * topic's max.message.bytes) makes librdkafka raise ERR__FATAL. The engine re-creates the
 * producer, drops in-flight work, rewinds the partition to its commit point and goes on: the
 * worker's second answer for that record fits, and every input reaches the output in order
 * (duplicates from the rewind are allowed: at-least-once).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import {
  committedOffsets,
  createTopics,
  dropTopics,
  FIXTURES,
  makeEngine,
  produceRecords,
  randomName,
  verifyTopics,
  waitFor,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

test('librdkafka fatal error on the producer: producer re-created, partition rewound, nothing lost', async () => {
  const input = randomName('fatal-in');
  const output = randomName('fatal-out');
  await createTopics([{ name: input, partitions: 1 }]);
  await createTopics([{ name: output, partitions: 1, config: { 'max.message.bytes': '8192' } }]);
  const group = randomName('g');
  const count = 400;
  const bigIndex = 250;
  await produceRecords(input, count);
  const producers: Kafka.Producer[] = [];
  const engine = makeEngine(
    {
      input,
      output,
      group,
      worker: join(FIXTURES, 'big-once.js'),
      batchMaxRecords: 20,
      commitIntervalMs: 100,
    },
    { BIG_INDEX: String(bigIndex), BIG_COUNT_FILE: join(mkdtempSync(join(tmpdir(), 'fatal-')), 'count') },
    {
      createProducer: (config) => {
        const producer = new Kafka.Producer({ ...config, 'enable.gapless.guarantee': true });
        producers.push(producer);
        return producer;
      },
    },
  );
  const recoveries: Array<{ rewound: Array<{ offset: number }> }> = [];
  engine.on('producerRecovered', (r: { rewound: Array<{ offset: number }> }) => recoveries.push(r));
  // Consumed counts include the records read before the rewind: wait for the commit point instead.
  let committedPoint = -1;
  engine.on('committed', (offsets: Array<{ offset: number }>) => {
    for (const o of offsets) committedPoint = Math.max(committedPoint, o.offset);
  });
  await engine.start();
  await waitFor('commit point at the end of the input', () => committedPoint === count, 90_000);
  await waitProcessed(engine, count);
  await engine.close();
  const [committed] = await committedOffsets(group, input, 1);

  expect(recoveries).toHaveLength(1);
  expect(producers).toHaveLength(2);
  expect(engine.snapshot().producerRecoveries).toBe(1);
  expect((await engine.metrics.producerRecoveries.get()).values[0]?.value).toBe(1);
  // The rewind went back to at most the record whose output failed.
  expect(recoveries[0]!.rewound[0]!.offset).toBeLessThanOrEqual(bigIndex);
  expect(committed).toBe(count);
  const report = await verifyTopics(input, output, 'partition');
  expect(report).toMatchObject({ inputs: count, lost: 0, orderViolations: 0 });
  await dropTopics([input, output, `${input}.dlq`]);
});
