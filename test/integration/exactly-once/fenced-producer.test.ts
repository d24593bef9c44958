/**
 * Exactly-once after a fatal producer error: another producer takes the engine's transactional.id
 * (initTransactions fences the engine's producer, ERR__FENCED). The engine replaces its producer,
 * aborts what was open, re-reads from the committed offsets and carries on: a read_committed
 * reader still sees every output once and in order.
 */
import Kafka from 'node-rdkafka';
import {
  BROKERS,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  verifyTopics,
  waitFor,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

async function fence(transactionalId: string): Promise<void> {
  const producer = new Kafka.Producer({ 'metadata.broker.list': BROKERS, 'transactional.id': transactionalId });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve, reject) =>
    producer.initTransactions(10_000, (err) => (err ? reject(err) : resolve())),
  );
  await new Promise<void>((resolve) => producer.disconnect(5000, () => resolve()));
}

test('a fenced producer is replaced; read_committed sees no loss, no duplicate, order kept', async () => {
  const { input, output, drop } = await freshTopics('eos-fence', 3);
  const group = randomName('g');
  const count = 6_000;
  await produceRecords(input, count);
  const engine = makeEngine(
    { input, output, group, guarantee: 'exactly-once', batchMaxRecords: 50, maxInFlightRecords: 500 },
    { SPIN_US: '300' },
  );
  const committed = new Map<number, number>();
  engine.on('committed', (offsets: Array<{ partition: number; offset: number }>) => {
    for (const o of offsets) committed.set(o.partition, o.offset);
  });
  await engine.start();
  await waitFor('some records committed', () => [...committed.values()].reduce((a, b) => a + b, 0) > 1000, 60_000);
  await fence(engine.transactionalId!);
  const fatal = async () =>
    (await engine.metrics.transactionsAborted.get()).values.find((v) => v.labels.reason === 'fatal')?.value ?? 0;
  const total = () => [...committed.values()].reduce((a, b) => a + b, 0);
  await waitFor('every offset committed', () => total() === count, 120_000);
  expect(await fatal()).toBeGreaterThanOrEqual(1);
  await engine.close();

  const report = await verifyTopics(input, output, 'partition', 'read_committed');
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
