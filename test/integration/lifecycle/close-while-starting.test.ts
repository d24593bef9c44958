/**
 * A close() while the engine is still connecting (a SIGTERM right after start) ends the start:
 * start() rejects, nothing is consumed, and the engine stays closed. Before, start went on after
 * the close had shut the clients, consumed records and retried producing them on a producer
 * that was gone until the shutdown backstop killed the process.
 */
import Kafka from 'node-rdkafka';
import { freshTopics, makeEngine, produceRecords, randomName, sleep, waitFor } from '../../helpers/kafka';

jest.setTimeout(60_000);

test('close during connect: start rejects and nothing is consumed', async () => {
  const { input, output, drop } = await freshTopics('close-start', 2);
  await produceRecords(input, 200);
  let connecting = false;
  const engine = makeEngine(
    { input, output, group: randomName('g') },
    {},
    {
      // A producer whose connect takes 1.5 s holds the engine in its starting phase.
      createProducer: (config, topicConfig) => {
        const producer = new Kafka.Producer(config, topicConfig);
        const connect = producer.connect.bind(producer);
        producer.connect = ((
          options: Kafka.MetadataOptions,
          cb: (err: Kafka.LibrdKafkaError, data: Kafka.Metadata) => unknown,
        ) => {
          connecting = true;
          setTimeout(() => connect(options, cb), 1500);
          return producer;
        }) as typeof producer.connect;
        return producer;
      },
    },
  );
  const started = engine.start().then(
    () => 'started',
    (error: Error) => error.message,
  );
  await waitFor('the producer connecting', () => connecting, 30_000);
  const closed = await engine.close();
  expect(closed.drained).toBe(true);
  expect(await started).toBe('closed while starting');
  await sleep(2000);
  expect(engine.lifecycle).toBe('closed');
  expect(engine.snapshot().consumed).toBe(0);
  await drop();
});
