/**
 * Restores keyed state from the changelog: a group-less consumer assigned to the changelog
 * partitions reads them from the beginning to their end, read_committed, so only changes whose
 * transaction committed count (Kafka Streams restores the same way). The end is librdkafka's
 * partition EOF, which under read_committed is the last stable offset.
 */
import { randomUUID } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { connectClient } from '../kafka/security-failures.js';
import { LINEAGE_HEADERS } from '../sink/output-messages.js';
import type { StoredValue } from './state-store.js';

const OFFSET_BEGINNING = -2;
const CONSUME_BATCH = 5_000;
const CONNECT_TIMEOUT_MS = 15_000;

export interface RestoreSource {
  brokers: string;
  clientId: string;
  /** Passed-through librdkafka properties (security settings reach the restore consumer too). */
  kafka: Readonly<Record<string, string>>;
  changelogTopic: string;
}

export interface Restored {
  values: Map<number, Map<string, StoredValue>>;
  records: number;
}

/** Reads the changelog partitions `partitions` to their end; `deadlineMs` bounds the whole read. */
export async function readChangelog(
  s: RestoreSource,
  partitions: readonly number[],
  deadlineMs: number,
): Promise<Restored> {
  const values = new Map<number, Map<string, StoredValue>>(partitions.map((p) => [p, new Map()]));
  const consumer = new Kafka.KafkaConsumer(
    {
      ...(s.kafka as Record<string, string>),
      'metadata.broker.list': s.brokers,
      'client.id': `${s.clientId}-restore`,
      // Never joins or commits: assigned partitions only; the id is required by librdkafka.
      'group.id': `${s.clientId}-restore-${randomUUID()}`,
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': 'read_committed',
    } as Kafka.ConsumerGlobalConfig,
    { 'auto.offset.reset': 'earliest' },
  );
  await connectClient(consumer, CONNECT_TIMEOUT_MS, s.brokers, 'Consumer');
  let records = 0;
  try {
    const remaining = new Set(partitions);
    consumer.on('partition.eof', (e: { partition: number }) => remaining.delete(e.partition));
    consumer.assign(partitions.map((partition) => ({ topic: s.changelogTopic, partition, offset: OFFSET_BEGINNING })));
    consumer.setDefaultConsumeTimeout(100);
    while (remaining.size > 0) {
      if (Date.now() > deadlineMs) {
        throw new TurbineError(
          'STATE_RESTORE_FAILED',
          `restoring ${s.changelogTopic} partitions ${[...remaining].join(', ')} did not reach their end in time`,
        );
      }
      const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(CONSUME_BATCH, (err, msgs) => (err ? reject(err) : resolve(msgs))),
      );
      for (const m of messages) {
        if (!m.key) continue;
        const key = (typeof m.key === 'string' ? Buffer.from(m.key) : m.key).toString('latin1');
        const map = values.get(m.partition);
        if (!map) continue;
        records++;
        if (m.value === null || m.value === undefined) map.delete(key);
        else map.set(key, { json: m.value.toString('utf8'), sourceOffset: sourceOffsetOf(m) });
      }
    }
  } catch (error) {
    if (error instanceof TurbineError) throw error;
    throw new TurbineError('STATE_RESTORE_FAILED', `restoring ${s.changelogTopic} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return { values, records };
}

function sourceOffsetOf(m: Kafka.Message): number {
  for (const h of m.headers ?? []) {
    const v = h[LINEAGE_HEADERS.offset];
    if (v !== undefined) return Number(v.toString());
  }
  return -1;
}
