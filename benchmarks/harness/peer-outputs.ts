/**
 * A peer's records/s, counted on its output topic rather than taken from the peer's own figure.
 *
 * Every peer prints when it consumed its first record and when its C-th output was acknowledged, as
 * Unix milliseconds (`firstConsumedAtMs`, `lastAckedAtMs`). The harness creates the output topic
 * with message.timestamp.type=LogAppendTime, so each output carries the broker's append time on the
 * same host clock; the outputs appended by `lastAckedAtMs` are the ones produced and acknowledged
 * inside the timed window. The Parallel Consumer peer used to count outputs acknowledged after its
 * clock stopped (while closing, it processed the rest of what it had fetched), which gave records/s
 * above what its threads could spin; a figure read from the topic cannot drift that way.
 */
import type Kafka from 'node-rdkafka';
import { LINEAGE_HEADERS } from '../../src/sink/output-messages.js';
import { header, readWhole } from './latency-reader.js';

/** One output record: the broker's append time and the input it names (undefined without lineage). */
export interface OutputStamp {
  appendedAtMs: number;
  /** `partition:offset` of the source record, from the lineage headers. */
  source: string | undefined;
}

export interface DeliveredCount {
  /** Outputs on the topic, duplicates included. */
  outputs: number;
  /**
   * Outputs appended by the end of the window, each source record counted once (a record processed
   * twice is one record of throughput); outputs without lineage (kcat) are counted one by one.
   */
  inWindow: number;
  /** Outputs beyond the first for the same source record, anywhere on the topic. */
  duplicates: number;
  withoutLineage: number;
}

/** Counts `outputs` appended at or before `untilMs` (both in Unix milliseconds, same clock). */
export function countDelivered(outputs: Iterable<OutputStamp>, untilMs: number): DeliveredCount {
  const seen = new Set<string>();
  const seenInWindow = new Set<string>();
  let total = 0;
  let duplicates = 0;
  let withoutLineage = 0;
  let anonymousInWindow = 0;
  for (const o of outputs) {
    total++;
    const inWindow = o.appendedAtMs <= untilMs;
    if (o.source === undefined) {
      withoutLineage++;
      if (inWindow) anonymousInWindow++;
      continue;
    }
    if (seen.has(o.source)) duplicates++;
    else seen.add(o.source);
    if (inWindow) seenInWindow.add(o.source);
  }
  return { outputs: total, inWindow: seenInWindow.size + anonymousInWindow, duplicates, withoutLineage };
}

/** The timed window a peer reports in its JSON line, in Unix milliseconds. */
export interface PeerWindow {
  firstConsumedAtMs: number;
  lastAckedAtMs: number;
}

/** The window from a peer's JSON line, or a reason it has none. */
export function peerWindow(json: Record<string, unknown> | undefined): PeerWindow | string {
  const first = json?.firstConsumedAtMs;
  const last = json?.lastAckedAtMs;
  if (typeof first !== 'number' || typeof last !== 'number' || !(first > 0) || !(last > 0))
    return 'no firstConsumedAtMs / lastAckedAtMs in its JSON line';
  if (last <= first) return `an empty timed window (${first} → ${last} ms)`;
  return { firstConsumedAtMs: first, lastAckedAtMs: last };
}

/**
 * Records/s over the peer's window from the outputs on the topic, or a reason the run does not
 * count: fewer than `expected` source records have an output appended inside the window.
 */
export function deliveredPerSec(
  count: DeliveredCount,
  window: PeerWindow,
  expected: number,
): { perSec: number } | { notRun: string } {
  if (count.inWindow < expected)
    return {
      notRun: `its output topic holds ${count.inWindow} of ${expected} outputs appended by the end of its timed window`,
    };
  return { perSec: (count.inWindow * 1000) / (window.lastAckedAtMs - window.firstConsumedAtMs) };
}

/** `partition:offset` of the source record an output names by its lineage headers, or undefined. */
export function sourceOf(m: Kafka.Message): string | undefined {
  const partition = header(m, LINEAGE_HEADERS.partition);
  const offset = header(m, LINEAGE_HEADERS.offset);
  return partition === undefined || offset === undefined ? undefined : `${partition}:${offset}`;
}

/** Reads the whole output topic (it must use LogAppendTime) and counts it against `untilMs`. */
export async function countPeerOutputs(brokers: string, topic: string, untilMs: number): Promise<DeliveredCount> {
  const stamps: OutputStamp[] = [];
  await readWhole({
    brokers,
    topic,
    timeoutMs: 120_000,
    onMessage(m) {
      // No timestamp: not provably inside the window (LogAppendTime topics always have one).
      stamps.push({ appendedAtMs: m.timestamp ?? Number.POSITIVE_INFINITY, source: sourceOf(m) });
    },
  });
  return countDelivered(stamps, untilMs);
}
