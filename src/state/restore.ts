/**
 * Restores keyed state from the changelog: the changelog partitions read from the beginning to
 * their end, read_committed (kafka/read-to-end.ts), so only changes whose transaction committed
 * count (Kafka Streams restores the same way). The last change per key wins; a tombstone deletes.
 */
import type Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { readToEnd } from '../kafka/read-to-end.js';
import { LINEAGE_HEADERS } from '../sink/output-messages.js';
import type { StoredValue } from './state-store.js';

export interface RestoreSource {
  brokers: string;
  clientId: string;
  /** Passed-through librdkafka properties (security settings reach the restore consumer too). */
  kafka: Readonly<Record<string, string>>;
  changelogTopic: string;
  /** A changelog value as JSON text (the store's codec); UTF-8 JSON when left out. */
  decode?: (value: Buffer) => string;
  /** Told when a changelog partition is behind a transaction still open (the read waits for it). */
  onOpenTransaction?: (partition: number, stableOffset: number, highWatermark: number) => void;
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
  const decode = s.decode ?? ((value: Buffer) => value.toString('utf8'));
  let records = 0;
  let unfinished: number[];
  try {
    unfinished = await readToEnd(
      {
        brokers: s.brokers,
        clientId: `${s.clientId}-restore`,
        kafka: s.kafka,
        topic: s.changelogTopic,
        partitions,
        deadlineMs,
        // Changes committed after a crashed owner's open transaction are invisible until the
        // broker aborts it: restoring without them would resume on stale state.
        waitForOpenTransactions: { onWaiting: s.onOpenTransaction ?? (() => undefined) },
      },
      (m) => {
        const map = values.get(m.partition);
        if (!m.key || !map) return;
        records++;
        const key = (typeof m.key === 'string' ? Buffer.from(m.key) : m.key).toString('latin1');
        if (m.value === null || m.value === undefined) map.delete(key);
        else map.set(key, { json: decodeAt(decode, m.value, m), sourceOffset: sourceOffsetOf(m) });
      },
    );
  } catch (error) {
    if (error instanceof TurbineError) throw error;
    throw new TurbineError('STATE_RESTORE_FAILED', `restoring ${s.changelogTopic} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (unfinished.length > 0) {
    throw new TurbineError(
      'STATE_RESTORE_FAILED',
      `restoring ${s.changelogTopic} partitions ${unfinished.join(', ')} did not reach their end in time`,
    );
  }
  return { values, records };
}

function decodeAt(decode: (value: Buffer) => string, value: Buffer, m: Kafka.Message): string {
  try {
    return decode(value);
  } catch (error) {
    throw new TurbineError(
      'STATE_RESTORE_FAILED',
      `changelog ${m.topic} partition ${m.partition} offset ${m.offset} does not decode: ${errorMessage(error)} (was the store's stateSchema changed?)`,
      { cause: error },
    );
  }
}

function sourceOffsetOf(m: Kafka.Message): number {
  for (const h of m.headers ?? []) {
    const v = h[LINEAGE_HEADERS.offset];
    if (v !== undefined) return Number(v.toString());
  }
  return -1;
}
