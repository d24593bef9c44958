/**
 * Reads topic partitions from the beginning to their end with a group-less consumer,
 * read_committed, so only records of committed transactions count. The end is librdkafka's
 * partition EOF, which under read_committed is the last stable offset (the last offsets may be
 * transaction markers that never arrive as records). The state restore and `turbine query` read
 * changelogs this way, and the demo's inventory check its input and output topics.
 */
import { randomUUID } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { CONNECT_TIMEOUT_MS, OFFSET_BEGINNING } from './client-connection.js';
import { connectClient } from './security-failures.js';

const CONSUME_BATCH = 5_000;

export interface ReadToEndOptions {
  brokers: string;
  clientId: string;
  /** Passed-through librdkafka properties (security settings reach this consumer too). */
  kafka?: Readonly<Record<string, string>>;
  topic: string;
  /** The partitions to read; all of the topic's when left out. */
  partitions?: readonly number[];
  /** Epoch ms: the read stops here, done or not. */
  deadlineMs: number;
  /**
   * Read past transactions that are still open: a partition is done only when its read_committed
   * end (the last stable offset) reaches its high watermark. An instance killed mid-transaction
   * leaves its transaction open until the broker aborts it (transaction.timeout.ms), and every
   * record committed after it stays invisible until then.
   */
  waitForOpenTransactions?: {
    /** Called once per partition found behind an open transaction. */
    onWaiting(partition: number, stableOffset: number, highWatermark: number): void;
  };
}

/** Hands each record to `visit`; resolves with the partitions whose end was not reached by the deadline. */
export async function readToEnd(o: ReadToEndOptions, visit: (message: Kafka.Message) => void): Promise<number[]> {
  const consumer = new Kafka.KafkaConsumer(
    {
      ...(o.kafka as Record<string, string> | undefined),
      'metadata.broker.list': o.brokers,
      'client.id': o.clientId,
      // Never joins or commits: assigned partitions only; the id is required by librdkafka.
      'group.id': `${o.clientId}-${randomUUID()}`,
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': 'read_committed',
    } as Kafka.ConsumerGlobalConfig,
    { 'auto.offset.reset': 'earliest' },
  );
  await connectClient(consumer, CONNECT_TIMEOUT_MS, o.brokers, 'Consumer');
  try {
    const partitions = o.partitions ?? (await partitionsOf(consumer, o.topic));
    const remaining = new Set(partitions);
    const waiting = new Set<number>();
    consumer.on('partition.eof', (e: { partition: number; offset: number }) => {
      const wait = o.waitForOpenTransactions;
      if (!wait) {
        remaining.delete(e.partition);
        return;
      }
      // The high watermark of the fetch that reached this end; the end itself is the stable offset.
      const { highOffset } = consumer.getWatermarkOffsets(o.topic, e.partition);
      if (e.offset >= highOffset) remaining.delete(e.partition);
      else if (!waiting.has(e.partition)) {
        waiting.add(e.partition);
        wait.onWaiting(e.partition, e.offset, highOffset);
      }
    });
    consumer.assign(partitions.map((partition) => ({ topic: o.topic, partition, offset: OFFSET_BEGINNING })));
    consumer.setDefaultConsumeTimeout(100);
    while (remaining.size > 0 && Date.now() < o.deadlineMs) {
      const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(CONSUME_BATCH, (err, msgs) => (err ? reject(err) : resolve(msgs))),
      );
      for (const m of messages) visit(m);
    }
    return [...remaining];
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

async function partitionsOf(consumer: Kafka.KafkaConsumer, topic: string): Promise<number[]> {
  const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
    consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))),
  );
  return metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
}
