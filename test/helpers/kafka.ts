/**
 * Helpers for integration tests against the real local broker (scripts/kafka.sh up):
 * random names, producing keyed records, reading a topic to its end, running engines.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { waitNoOpenTransactions } from '../../chaos/read-back';
import { deleteTopics, ensureTopics } from '../../src/admin/topics';
import { analyse } from '../../src/cli/verify-analysis';
import { loadConfig, type RawConfig } from '../../src/config/load';
import { Engine, type EngineOptions } from '../../src/engine';
import { createLogger } from '../../src/observability/logger';

export const BROKERS = process.env.TURBINE_TEST_BROKERS ?? '127.0.0.1:9092';
export const ROOT = join(__dirname, '..', '..');
export const SPIN_WORKER = join(ROOT, 'dist', 'workers', 'spin.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export function randomName(prefix: string): string {
  return `it-${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createTopics(
  topics: Array<{ name: string; partitions: number; config?: Record<string, string> }>,
  brokers = BROKERS,
): Promise<void> {
  await ensureTopics(brokers, topics);
}

export async function dropTopics(names: string[], brokers = BROKERS): Promise<void> {
  await deleteTopics(brokers, names).catch(() => undefined);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface ProducedInput {
  partition: number;
  offset: number;
  key: string | null;
}

/**
 * Produces `count` JSON records {i} with keys key-(i % keys) to explicit partitions
 * (round-robin over `partitions`) and returns their coordinates once all are acknowledged.
 */
export async function produceRecords(
  topic: string,
  count: number,
  options: {
    keys?: number;
    partitions?: number;
    startIndex?: number;
    value?: (i: number) => Buffer;
    brokers?: string;
  } = {},
): Promise<ProducedInput[]> {
  const keys = options.keys ?? 100;
  const producer = new Kafka.Producer({
    'metadata.broker.list': options.brokers ?? BROKERS,
    dr_cb: true,
    'enable.idempotence': true,
    'linger.ms': 5,
  });
  await new Promise<void>((resolve, reject) =>
    producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  producer.setPollInterval(10);
  const out: ProducedInput[] = [];
  let acked = 0;
  let failed: unknown;
  producer.on('delivery-report', (err, report) => {
    if (err) failed = err;
    else {
      out.push({ partition: report.partition, offset: report.offset, key: report.key ? String(report.key) : null });
      acked++;
    }
  });
  const start = options.startIndex ?? 0;
  for (let i = start; i < start + count; i++) {
    const key = `key-${i % keys}`;
    const partition = options.partitions ? i % options.partitions : null;
    const value = options.value ? options.value(i) : Buffer.from(JSON.stringify({ i, key }));
    for (;;) {
      try {
        producer.produce(topic, partition, value, Buffer.from(key));
        break;
      } catch {
        await sleep(5);
      }
    }
  }
  await waitFor('input acknowledgements', () => acked === count || failed !== undefined, 60_000);
  producer.disconnect();
  if (failed) throw failed;
  return out;
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

/**
 * Reads a topic from the beginning to its high watermarks at call time. read_committed (the
 * librdkafka default) skips records of aborted transactions and first waits until no
 * transaction is open (a read_committed watermark query returns the last stable offset, which
 * stays behind while one is), as a downstream reader would; the end of a partition is then
 * known from its end-of-partition event, since the last offsets may be transaction markers that
 * never arrive as records.
 */
export async function readTopic(
  topic: string,
  timeoutMs = 30_000,
  isolationLevel: IsolationLevel = 'read_committed',
  brokers = BROKERS,
): Promise<ReadRecord[]> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': randomName('reader'),
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': isolationLevel,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
    consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))),
  );
  const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
  if (isolationLevel === 'read_committed') await waitNoOpenTransactions(brokers, topic, timeoutMs);
  const highs = new Map<number, number>();
  for (const p of partitions) {
    const high = await new Promise<number>((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))),
    );
    highs.set(p, high);
  }
  const records: ReadRecord[] = [];
  const remaining = new Set(partitions.filter((p) => (highs.get(p) ?? 0) > 0));
  consumer.on('partition.eof', (event) => {
    if (event.offset >= (highs.get(event.partition) ?? 0)) remaining.delete(event.partition);
  });
  consumer.assign(partitions.map((p) => ({ topic, partition: p, offset: 0 })));
  consumer.setDefaultConsumeTimeout(100);
  const start = Date.now();
  while (remaining.size > 0) {
    if (Date.now() - start > timeoutMs) throw new Error(`reading ${topic} timed out`);
    const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
      consumer.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
    );
    for (const m of batch) {
      const headers: Record<string, string> = {};
      for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers[k] = String(v);
      records.push({
        partition: m.partition,
        offset: m.offset,
        key: m.key ? String(m.key) : null,
        value: m.value,
        headers,
      });
      if (m.offset + 1 >= (highs.get(m.partition) ?? 0)) remaining.delete(m.partition);
    }
  }
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return records;
}

/** Lost / duplicate / order-violation report of an output topic against its input. */
export async function verifyTopics(
  input: string,
  output: string,
  ordering: 'partition' | 'key' = 'partition',
  isolationLevel: IsolationLevel = 'read_committed',
  timeoutMs = 30_000,
  brokers = BROKERS,
) {
  const [inputs, outputs] = await Promise.all([
    readTopic(input, timeoutMs, isolationLevel, brokers),
    readTopic(output, timeoutMs, isolationLevel, brokers),
  ]);
  return analyse(
    inputs.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key })),
    outputs.map((r) => ({
      outputPartition: r.partition,
      sourceTopic: r.headers['turbine.source.topic'] ?? '',
      sourcePartition: Number(r.headers['turbine.source.partition']),
      sourceOffset: Number(r.headers['turbine.source.offset']),
      key: r.key,
    })),
    ordering,
  );
}

/**
 * An engine on the local broker with test defaults. `workerEnv` reaches the worker threads
 * (jest gives each test file its own copy of process.env, which worker threads do not see).
 */
export function makeEngine(
  flags: RawConfig,
  workerEnv: Record<string, string> = {},
  options: Omit<EngineOptions, 'logger' | 'workerEnv'> = {},
): Engine {
  const config = loadConfig({
    flags: {
      brokers: BROKERS,
      metricsPort: 0,
      poolSize: 2,
      logLevel: (process.env.TURBINE_TEST_LOG_LEVEL as 'warn' | undefined) ?? 'warn',
      worker: SPIN_WORKER,
      ...flags,
    },
  });
  return new Engine(config, { ...options, logger: createLogger(config.logLevel), workerEnv });
}

/** Waits until the engine consumed `count` records and has nothing in flight. */
export async function waitProcessed(engine: Engine, count: number, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `${count} records processed (have ${engine.snapshot().consumed})`,
    () => {
      const s = engine.snapshot();
      return s.consumed >= count && s.inFlightRecords === 0;
    },
    timeoutMs,
  );
}

/** The group's committed offsets (next offset to read) of partitions 0..partitions-1; -1001 when none. */
export async function committedOffsets(group: string, topic: string, partitions: number): Promise<number[]> {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': BROKERS, 'group.id': group }, {});
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(tps, 10_000, (err, result) => (err ? reject(err) : resolve(result))),
    );
    return tps.map((tp) => committed.find((c) => c.partition === tp.partition)?.offset ?? -1001);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** A fresh input/output topic pair with random names; drop() deletes them and the dead-letter topic. */
export async function freshTopics(
  prefix: string,
  inputPartitions: number,
  outputPartitions = inputPartitions,
  brokers = BROKERS,
): Promise<{ input: string; output: string; drop: () => Promise<void> }> {
  const input = randomName(`${prefix}-in`);
  const output = randomName(`${prefix}-out`);
  await createTopics(
    [
      { name: input, partitions: inputPartitions },
      { name: output, partitions: outputPartitions },
    ],
    brokers,
  );
  return { input, output, drop: () => dropTopics([input, output, `${input}.dlq`], brokers) };
}
