/**
 * Reads what a chaos scenario left on the broker: whole topics (input, output, dead letters,
 * a state store's changelog) with keys, lineage headers, timestamps and, when a check needs
 * them, values; and the engines' committed offsets. Reads with
 * assign() and a throwaway group id, never committing. With exactly-once, outputs are read with
 * isolation.level=read_committed so aborted transactions do not count.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import { LINEAGE_HEADERS } from '../src/sink/output-messages.js';
import type { ChangelogRecord, ChaosInput, ChaosResult } from './analysis.js';

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

const CONNECT_TIMEOUT_MS = 15_000;
const QUERY_TIMEOUT_MS = 10_000;
const CONSUME_BATCH = 5_000;
/** librdkafka logical offset OFFSET_BEGINNING. */
const OFFSET_BEGINNING = -2;

function connect(brokers: string, groupId: string, isolation: IsolationLevel): Promise<Kafka.KafkaConsumer> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': groupId,
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': isolation,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  return new Promise((resolve, reject) =>
    consumer.connect({ timeout: CONNECT_TIMEOUT_MS }, (error) => (error ? reject(error) : resolve(consumer))),
  );
}

function disconnect(consumer: Kafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve) => consumer.disconnect(() => resolve()));
}

function partitionsOf(consumer: Kafka.KafkaConsumer, topic: string): Promise<number[]> {
  return new Promise((resolve, reject) =>
    consumer.getMetadata({ topic, timeout: QUERY_TIMEOUT_MS }, (error, metadata) => {
      if (error) reject(error);
      else resolve(metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? []);
    }),
  );
}

function highWatermark(consumer: Kafka.KafkaConsumer, topic: string, partition: number): Promise<number> {
  return new Promise((resolve, reject) =>
    consumer.queryWatermarkOffsets(topic, partition, QUERY_TIMEOUT_MS, (error, marks) =>
      error ? reject(error) : resolve(marks.highOffset),
    ),
  );
}

/** The high watermark of each partition of `topic`. */
export async function topicEnd(brokers: string, topic: string): Promise<Map<number, number>> {
  const consumer = await connect(brokers, `turbine-chaos-${randomUUID()}`, 'read_uncommitted');
  try {
    const ends = new Map<number, number>();
    for (const partition of await partitionsOf(consumer, topic))
      ends.set(partition, await highWatermark(consumer, topic, partition));
    return ends;
  } finally {
    await disconnect(consumer);
  }
}

/** The group's committed offsets on `topic` (-1001, "none", counts as 0). */
export async function committedOffsets(brokers: string, group: string, topic: string): Promise<Map<number, number>> {
  const consumer = await connect(brokers, group, 'read_uncommitted');
  try {
    const partitions = await partitionsOf(consumer, topic);
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(
        partitions.map((partition) => ({ topic, partition })),
        QUERY_TIMEOUT_MS,
        (error, offsets) => (error ? reject(error) : resolve(offsets)),
      ),
    );
    return new Map(committed.map((c) => [c.partition, Math.max(0, c.offset ?? 0)]));
  } finally {
    await disconnect(consumer);
  }
}

/**
 * Waits until no transaction is open on `topic`. A read_committed client's watermark query
 * returns the last stable offset, which stays behind the high watermark while a transaction is
 * open: one of a killed instance stays open until the broker aborts it at transaction.timeout.ms.
 * Reading to the stable offset before then would miss every output written after it.
 */
export async function waitNoOpenTransactions(brokers: string, topic: string, timeoutMs: number): Promise<void> {
  const committed = await connect(brokers, `turbine-chaos-${randomUUID()}`, 'read_committed');
  try {
    await waitStable(brokers, committed, topic, Date.now() + timeoutMs);
  } finally {
    await disconnect(committed);
  }
}

async function waitStable(
  brokers: string,
  committed: Kafka.KafkaConsumer,
  topic: string,
  deadline: number,
): Promise<void> {
  const uncommitted = await connect(brokers, `turbine-chaos-${randomUUID()}`, 'read_uncommitted');
  try {
    const partitions = await partitionsOf(committed, topic);
    for (;;) {
      let open = 0;
      for (const partition of partitions) {
        const stable = await highWatermark(committed, topic, partition);
        if (stable < (await highWatermark(uncommitted, topic, partition))) open++;
      }
      if (open === 0) return;
      if (Date.now() > deadline)
        throw new Error(`chaos: ${open} partition(s) of ${topic} still had an open transaction at the deadline`);
      await sleep(500);
    }
  } finally {
    await disconnect(uncommitted);
  }
}

/** Reads `topic` from the beginning to its high watermarks at call time, handing each message to `take`. */
async function readTopic(
  brokers: string,
  topic: string,
  isolation: IsolationLevel,
  take: (message: Kafka.Message) => void,
  timeoutMs: number,
): Promise<void> {
  const consumer = await connect(brokers, `turbine-chaos-${randomUUID()}`, isolation);
  try {
    const ends = new Map<number, number>();
    const deadline = Date.now() + timeoutMs;
    if (isolation === 'read_committed') await waitStable(brokers, consumer, topic, deadline);
    for (const partition of await partitionsOf(consumer, topic)) {
      const end = await highWatermark(consumer, topic, partition);
      if (end > 0) ends.set(partition, end);
    }
    const remaining = new Map(ends);
    // End of partition: with read_committed, offsets up to here include transaction markers
    // that never arrive as records.
    consumer.on('partition.eof', (event) => {
      const end = remaining.get(event.partition);
      if (end !== undefined && event.offset >= end) remaining.delete(event.partition);
    });
    consumer.setDefaultConsumeTimeout(100);
    consumer.assign([...remaining.keys()].map((partition) => ({ topic, partition, offset: OFFSET_BEGINNING })));
    while (remaining.size > 0) {
      if (Date.now() > deadline) throw new Error(`chaos: reading ${topic} did not reach its end in ${timeoutMs} ms`);
      const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(CONSUME_BATCH, (error, batch) => (error ? reject(error) : resolve(batch))),
      );
      // node-rdkafka emits a batch's partition.eof events before handing over its messages, so
      // messages are kept by offset, whether or not their partition already reached its end.
      for (const message of messages) {
        const end = ends.get(message.partition);
        if (end === undefined || message.offset >= end) continue;
        take(message);
        if (message.offset + 1 >= end) remaining.delete(message.partition);
      }
      if (messages.length === 0) await sleep(10);
    }
  } finally {
    await disconnect(consumer);
  }
}

const keyText = (message: Kafka.Message): string | null => (message.key == null ? null : message.key.toString());
const valueText = (message: Kafka.Message): string | null => (message.value == null ? null : message.value.toString());

/** Reads the input; with `values`, each record's value too (as UTF-8 text). */
export async function readInputs(
  brokers: string,
  topic: string,
  timeoutMs: number,
  values = false,
): Promise<ChaosInput[]> {
  const inputs: ChaosInput[] = [];
  await readTopic(
    brokers,
    topic,
    'read_uncommitted',
    (m) => {
      const input: ChaosInput = {
        partition: m.partition,
        offset: m.offset,
        key: keyText(m),
        timestampMs: m.timestamp ?? 0,
      };
      if (values) input.value = valueText(m);
      inputs.push(input);
    },
    timeoutMs,
  );
  return inputs;
}

/**
 * Reads a state store's changelog in each partition's offset order: keys and values (null for a
 * tombstone). read_committed, so changes of aborted transactions do not count, as in a restore.
 */
export async function readChangelog(brokers: string, topic: string, timeoutMs: number): Promise<ChangelogRecord[]> {
  const records: ChangelogRecord[] = [];
  await readTopic(
    brokers,
    topic,
    'read_committed',
    (m) => records.push({ key: keyText(m), value: valueText(m) }),
    timeoutMs,
  );
  return records;
}

/** Reads outputs or dead letters with their lineage (turbine.source.* headers); with `values`, their values too. */
export async function readResults(
  brokers: string,
  topic: string,
  isolation: IsolationLevel,
  timeoutMs: number,
  values = false,
): Promise<ChaosResult[]> {
  const results: ChaosResult[] = [];
  await readTopic(
    brokers,
    topic,
    isolation,
    (m) => {
      let sourceTopic = '';
      let sourcePartition = Number.NaN;
      let sourceOffset = Number.NaN;
      for (const header of m.headers ?? []) {
        for (const name in header) {
          const text = String(header[name]);
          if (name === LINEAGE_HEADERS.topic) sourceTopic = text;
          else if (name === LINEAGE_HEADERS.partition) sourcePartition = Number(text);
          else if (name === LINEAGE_HEADERS.offset) sourceOffset = Number(text);
        }
      }
      const result: ChaosResult = {
        outputPartition: m.partition,
        sourceTopic,
        sourcePartition,
        sourceOffset,
        key: keyText(m),
        timestampMs: m.timestamp ?? 0,
      };
      if (values) result.value = valueText(m);
      results.push(result);
    },
    timeoutMs,
  );
  return results;
}
