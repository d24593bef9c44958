/**
 * The native batch path against the real broker: what it produces is what the stock consumer
 * reads (keys, null keys, tombstones, headers, two topics, Kafka's murmur2 partitions), what it
 * consumes equals what the stock consume returns, delivery reports come back per token, a full
 * local queue stops a batch at the right message, and the Sink parks the rest in order.
 */
import Kafka from 'node-rdkafka';
import { ERR__QUEUE_FULL } from '../../../src/kafka/error-codes';
import { isDeliveryBatch, nativeBatch, PRODUCE_FIELDS } from '../../../src/kafka/native-batch';
import { createLogger } from '../../../src/observability/logger';
import { type DeliveryGroup, type OutboundMessage, Sink } from '../../../src/sink/sink';
import { keyPartition } from '../../../src/state/murmur2';
import { BROKERS, createTopics, dropTopics, randomName, readTopic, sleep } from '../../helpers/kafka';

jest.setTimeout(90_000);

function connect<T extends Kafka.Producer | Kafka.KafkaConsumer>(client: T): Promise<T> {
  return new Promise((resolve, reject) =>
    (client as Kafka.Producer).connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve(client))),
  );
}

function disconnect(client: Kafka.Producer | Kafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve) => (client as Kafka.Producer).disconnect(() => resolve()));
}

async function producer(extra: Record<string, unknown> = {}): Promise<Kafka.Producer> {
  const p = await connect(
    new Kafka.Producer(
      { 'metadata.broker.list': BROKERS, dr_cb: true, 'linger.ms': 5, ...extra } as Kafka.ProducerGlobalConfig,
      {
        partitioner: 'murmur2_random',
      },
    ),
  );
  p.setPollInterval(5);
  return p;
}

/** Describes messages for the native produce call: parts 0 = keys, 1 = values, 2 = headers. */
function describe(
  messages: Array<{ topic: number; partition: number; key: string | null; value: string | null; headers: string[] }>,
  firstToken: number,
) {
  const keys = Buffer.from(messages.map((m) => m.key ?? '').join(''));
  const values = Buffer.from(messages.map((m) => m.value ?? '').join(''));
  const headerChunks: Buffer[] = [];
  const meta = new Float64Array(messages.length * PRODUCE_FIELDS);
  let keyAt = 0;
  let valueAt = 0;
  let headerAt = 0;
  messages.forEach((m, i) => {
    const keyLength = Buffer.byteLength(m.key ?? '');
    const valueLength = Buffer.byteLength(m.value ?? '');
    const headerStart = headerAt;
    for (const name of m.headers) {
      const chunk = Buffer.alloc(8 + name.length * 2);
      chunk.writeUInt32LE(name.length, 0);
      chunk.write(name, 4);
      chunk.writeInt32LE(name.length, 4 + name.length);
      chunk.write(name.toUpperCase(), 8 + name.length);
      headerChunks.push(chunk);
      headerAt += chunk.length;
    }
    meta.set(
      [
        m.topic,
        m.partition,
        m.key === null ? -1 : 0,
        keyAt,
        keyLength,
        m.value === null ? -1 : 1,
        valueAt,
        valueLength,
        2,
        headerStart,
        m.headers.length,
        firstToken + i,
      ],
      i * PRODUCE_FIELDS,
    );
    keyAt += keyLength;
    valueAt += valueLength;
  });
  return { parts: [keys, values, Buffer.concat([Buffer.alloc(1), ...headerChunks]).subarray(1)], meta };
}

test('the install built the batch path into the addon (npm ci runs scripts/patch-node-rdkafka.js)', () => {
  const binding = require('node-rdkafka/librdkafka') as Record<string, unknown>;
  expect(binding.turbineBatchVersion).toBe(2);
  expect(typeof binding.turbineConsumeBatch).toBe('function');
  expect(typeof binding.turbineProduceBatch).toBe('function');
});

// The batch path is the default; these are skipped only when a run turns it off (TURBINE_NATIVE_BATCH=0).
const testNative = nativeBatch ? test : test.skip;

testNative(
  'produced in one batch call, read back by the stock consumer; consumed in one call as the stock path does',
  async () => {
    const batch = nativeBatch!;
    const [a, b] = [randomName('nb-a'), randomName('nb-b')];
    await createTopics([
      { name: a, partitions: 3 },
      { name: b, partitions: 1 },
    ]);
    const p = await producer();
    const reports: Array<[number, number, number, number]> = [];
    p.on('delivery-report', (err, report) => {
      expect(err).toBeNull();
      if (!isDeliveryBatch(report)) return;
      for (let i = 0; i < report.turbineBatch.length; i += 4) {
        const r = report.turbineBatch;
        reports.push([r[i]!, r[i + 1]!, r[i + 2]!, r[i + 3]!]);
      }
    });
    const messages = [
      ...Array.from({ length: 30 }, (_, i) => ({
        topic: 0,
        partition: -1,
        key: `key-${i}`,
        value: `{"n":${i}}`,
        headers: ['h1', 'h2'],
      })),
      { topic: 0, partition: 1, key: null, value: 'keyless', headers: [] },
      { topic: 0, partition: -1, key: 'gone', value: null, headers: ['why'] },
      { topic: 1, partition: 0, key: 'other', value: 'in b', headers: [] },
    ];
    const { parts, meta } = describe(messages, 1000);
    expect(batch.produce(p, [a, b], parts, meta, messages.length)).toEqual([messages.length, 0, '']);
    const deadline = Date.now() + 20_000;
    while (reports.length < messages.length && Date.now() < deadline) await sleep(20);
    expect(reports.map((r) => r[0]).sort((x, y) => x - y)).toEqual(messages.map((_, i) => 1000 + i));
    expect(reports.every((r) => r[3] === 0 && r[2] >= 0)).toBe(true);
    await disconnect(p);

    const readA = await readTopic(a, 30_000, 'read_uncommitted');
    expect(readA).toHaveLength(32);
    for (let i = 0; i < 30; i++) {
      const r = readA.find((x) => x.key === `key-${i}`)!;
      expect(r.value).toEqual(Buffer.from(`{"n":${i}}`));
      expect(r.headers).toEqual({ h1: 'H1', h2: 'H2' });
      // librdkafka's murmur2 partitioner, as Kafka's Java clients and the state queries compute it.
      expect(r.partition).toBe(keyPartition(Buffer.from(`key-${i}`), 3));
    }
    expect(readA.find((x) => x.key === null)).toMatchObject({ partition: 1, value: Buffer.from('keyless') });
    expect(readA.find((x) => x.key === 'gone')).toMatchObject({ value: null, headers: { why: 'WHY' } });
    expect(await readTopic(b, 30_000, 'read_uncommitted')).toMatchObject([
      { key: 'other', value: Buffer.from('in b') },
    ]);

    // Consume topic a both ways and compare message by message.
    const consumeAll = async (native: boolean): Promise<Kafka.Message[]> => {
      const c = await connect(
        new Kafka.KafkaConsumer(
          { 'metadata.broker.list': BROKERS, 'group.id': randomName('nb-g'), 'enable.auto.commit': false },
          {
            'auto.offset.reset': 'earliest',
          },
        ),
      );
      c.subscribe([a]);
      c.setDefaultConsumeTimeout(200);
      const got: Kafka.Message[] = [];
      const until = Date.now() + 30_000;
      while (got.length < 32 && Date.now() < until) {
        const next = native
          ? await batch.consume(c, 1000, 200).catch(() => [])
          : await new Promise<Kafka.Message[]>((resolve) => c.consume(1000, (err, m) => resolve(err ? [] : m)));
        got.push(...next);
      }
      await disconnect(c);
      const order = (m: Kafka.Message) => m.partition * 1e6 + m.offset;
      return got.sort((x, y) => order(x) - order(y));
    };
    const stock = await consumeAll(false);
    const native = await consumeAll(true);
    expect(native).toHaveLength(32);
    const shape = (m: Kafka.Message) => ({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key === null || m.key === undefined ? null : Buffer.from(m.key as Buffer),
      value: m.value === null ? null : Buffer.from(m.value),
      size: m.size,
      headers: (m.headers ?? []).map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)]))),
    });
    expect(native.map(shape)).toEqual(stock.map(shape));
    await dropTopics([a, b]);
  },
);

testNative('a full local queue stops a batch call at the first message it refused', async () => {
  const batch = nativeBatch!;
  const topic = randomName('nb-full');
  await createTopics([{ name: topic, partitions: 1 }]);
  const p = await producer({ 'queue.buffering.max.messages': 10, 'linger.ms': 1000 });
  const messages = Array.from({ length: 25 }, (_, i) => ({
    topic: 0,
    partition: 0,
    key: null,
    value: `v${i}`,
    headers: [],
  }));
  const { parts, meta } = describe(messages, 1);
  const [queued, code] = batch.produce(p, [topic], parts, meta, messages.length);
  expect(queued).toBe(10);
  expect(code).toBe(ERR__QUEUE_FULL);
  await disconnect(p);
  await dropTopics([topic]);
});

testNative(
  'the Sink sends a batch in one call, parks what a full queue refused, and everything arrives in order',
  async () => {
    const topic = randomName('nb-sink');
    await createTopics([{ name: topic, partitions: 1 }]);
    const sink = new Sink({
      brokers: BROKERS,
      clientId: 'nb-sink',
      // A small queue: one send of 3,000 is refused after 500, so most of it goes through parking.
      kafka: { 'queue.buffering.max.messages': '500' },
      retryInitialMs: 50,
      retryMaxMs: 500,
      logger: createLogger('warn'),
    });
    await sink.connect(10_000);
    let acked = 0;
    const groups: DeliveryGroup[] = [];
    const sends = 3;
    const perSend = 3000;
    for (let s = 0; s < sends; s++) {
      const group: DeliveryGroup = { remaining: perSend, onAcked: () => acked++ };
      groups.push(group);
      const messages: OutboundMessage[] = Array.from({ length: perSend }, (_, i) => ({
        topic,
        partition: 0,
        key: null,
        value: Buffer.from(String(s * perSend + i)),
        headers: [{ 'turbine.source.offset': String(s * perSend + i) }],
        group,
        attempts: 0,
      }));
      sink.send(messages);
    }
    const deadline = Date.now() + 60_000;
    while (acked < sends && Date.now() < deadline) await sleep(20);
    expect(acked).toBe(sends);
    expect(sink.inFlight).toBe(0);
    await sink.disconnect();
    const read = await readTopic(topic, 30_000, 'read_uncommitted');
    expect(read.map((r) => Number(r.value!.toString()))).toEqual(Array.from({ length: sends * perSend }, (_, i) => i));
    expect(read.every((r) => r.headers['turbine.source.offset'] === r.value!.toString())).toBe(true);
    await dropTopics([topic]);
  },
);
