/**
 * Builds the messages a delivered batch produces: each worker output with its lineage headers
 * (where in the input it came from), and each dead letter with headers that say why it failed
 * and where it came from. Pure: the delivery stage sends what this returns.
 */
import type Kafka from 'node-rdkafka';
import type { DeadLetter } from '../dispatch/batch-runner.js';
import type { EncodedOutput } from '../dispatch/codec.js';
import type { ConsumedRecord } from '../types.js';
import type { DeliveryGroup, OutboundMessage } from './sink.js';

export const LINEAGE_HEADERS = {
  topic: 'turbine.source.topic',
  partition: 'turbine.source.partition',
  offset: 'turbine.source.offset',
} as const;

export const DEAD_LETTER_HEADERS = {
  code: 'turbine.error.code',
  message: 'turbine.error.message',
  attempts: 'turbine.error.attempts',
  firstFailure: 'turbine.error.first-failure-ms',
  lastFailure: 'turbine.error.last-failure-ms',
  worker: 'turbine.worker',
} as const;

/** Dead-letter error messages are cut to this many characters (headers are not for stack dumps). */
const MAX_ERROR_MESSAGE = 2000;

export interface OutputTopics {
  output: string;
  deadLetterTopic: string;
  /** Whether outputs carry the three lineage headers (dead letters always do). */
  lineageHeaders: boolean;
  /** The worker module's file name, named in dead-letter headers. */
  workerName: string;
  /** Partition counts of the output topics, by name; keyless outputs keep their input partition modulo it. */
  partitionCounts: ReadonlyMap<string, number>;
}

/** Keyless outputs keep their input partition (mod the output's count), so order stays observable. */
export function outputPartition(
  counts: ReadonlyMap<string, number>,
  topic: string,
  key: Buffer | null,
  inputPartition: number,
): number {
  if (key !== null) return -1;
  const count = counts.get(topic);
  return count === undefined ? -1 : inputPartition % count;
}

/**
 * The messages for `records` (in offset order) of one input partition: their outputs
 * (`outputsOf[i]` for `records[i]`), then their dead letters (`deadLetters` index `records`).
 */
export function buildMessages(
  topics: OutputTopics,
  source: { topic: string; partition: number },
  records: readonly ConsumedRecord[],
  outputsOf: readonly (readonly EncodedOutput[] | undefined)[],
  deadLetters: readonly DeadLetter[],
  group: DeliveryGroup,
): OutboundMessage[] {
  const messages: OutboundMessage[] = [];
  const partitionText = String(source.partition);
  // node-rdkafka reads header objects synchronously inside produce(): the topic and partition
  // headers are the same for every output of this batch, so one object each is shared.
  const topicHeader: Kafka.MessageHeader = { [LINEAGE_HEADERS.topic]: source.topic };
  const partitionHeader: Kafka.MessageHeader = { [LINEAGE_HEADERS.partition]: partitionText };
  for (let i = 0; i < records.length; i++) {
    const outputs = outputsOf[i];
    if (!outputs || outputs.length === 0) continue;
    const offsetHeader: Kafka.MessageHeader = { [LINEAGE_HEADERS.offset]: String(records[i]!.offset) };
    for (const o of outputs) {
      const topic = o.topic ?? topics.output;
      const headers: Kafka.MessageHeader[] = [];
      for (const [k, v] of o.headers) headers.push({ [k]: v });
      if (topics.lineageHeaders) headers.push(topicHeader, partitionHeader, offsetHeader);
      messages.push({
        topic,
        partition: outputPartition(topics.partitionCounts, topic, o.key, source.partition),
        key: o.key,
        value: o.value,
        headers,
        group,
        attempts: 0,
      });
    }
  }
  for (const dl of deadLetters) {
    const record = records[dl.index]!;
    const headers: Kafka.MessageHeader[] = [
      ...(record.headers ?? []).map((h) => ({ ...h }) as Kafka.MessageHeader),
      { [DEAD_LETTER_HEADERS.code]: dl.code },
      { [DEAD_LETTER_HEADERS.message]: dl.message.slice(0, MAX_ERROR_MESSAGE) },
      { [DEAD_LETTER_HEADERS.attempts]: String(dl.attempts) },
      { [DEAD_LETTER_HEADERS.firstFailure]: String(dl.firstFailureAt) },
      { [DEAD_LETTER_HEADERS.lastFailure]: String(dl.lastFailureAt) },
      { [DEAD_LETTER_HEADERS.worker]: topics.workerName },
      { [LINEAGE_HEADERS.topic]: source.topic },
      { [LINEAGE_HEADERS.partition]: partitionText },
      { [LINEAGE_HEADERS.offset]: String(record.offset) },
    ];
    messages.push({
      topic: topics.deadLetterTopic,
      partition: outputPartition(topics.partitionCounts, topics.deadLetterTopic, null, source.partition),
      key: record.key,
      value: record.value,
      headers,
      group,
      attempts: 0,
    });
  }
  return messages;
}

/** Where a store's changes go, and how a value (JSON text) is written there (JSON or Avro). */
export interface ChangelogTarget {
  topic: string;
  encode(json: string): Buffer;
}

/**
 * Keyed state: one changelog record per changed key, on the input's partition number (the
 * changelog has the input's partition count), keyed by the record key, with the encoded value or
 * a tombstone (null) for a deleted key, and the input offset that made it as its one header. The
 * input topic and partition are those of the changelog's group and partition, so they are not
 * repeated: every header costs produce() and every restore to convert.
 */
export function changelogMessages(
  changelog: ChangelogTarget,
  source: { topic: string; partition: number },
  changes: ReadonlyArray<readonly [string, string | null]>,
  offsets: ReadonlyMap<string, number>,
  group: DeliveryGroup,
): OutboundMessage[] {
  return changes.map(
    ([key, json]): OutboundMessage => ({
      topic: changelog.topic,
      partition: source.partition,
      key: Buffer.from(key, 'latin1'),
      value: json === null ? null : changelog.encode(json),
      headers: [{ [LINEAGE_HEADERS.offset]: String(offsets.get(key) ?? -1) } as Kafka.MessageHeader],
      group,
      attempts: 0,
    }),
  );
}
