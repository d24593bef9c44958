/**
 * Checks what a real-workload drain wrote, so that a fast but wrong system cannot win: every
 * input must have exactly its output (lineage headers name the source record), every output must
 * be what the worker makes, and a digest of the outputs lets systems be compared byte for byte
 * (the workers are deterministic). The tally and the value checks are pure and unit-tested
 * (test/unit/benchmarks/workload-outputs.test.ts); only readOutputs touches the broker.
 */
import { createHash } from 'node:crypto';
import { readWhole } from './latency-reader.js';
import { sourceOf } from './peer-outputs.js';
import type { OutputCheck, WorkloadName } from './report.js';

/** One output record as read back. */
export interface OutputRecordSeen {
  /** `partition:offset` of the source record, undefined without lineage headers. */
  source: string | undefined;
  value: Buffer | null;
  /** The broker's append time (LogAppendTime topics), Unix ms. */
  appendedAtMs: number;
}

/** A WebP file: `RIFF`, a 4-byte size, `WEBP` (RFC 9649 §2.5). */
export function isWebp(value: Buffer | null): boolean {
  return (
    value !== null &&
    value.length >= 12 &&
    value.toString('latin1', 0, 4) === 'RIFF' &&
    value.toString('latin1', 8, 12) === 'WEBP'
  );
}

/** A review analysis as workers/text.ts writes it: `{id, product, tokens, topTerms, sentiment, score}`. */
export function isReviewAnalysis(value: Buffer | null): boolean {
  if (value === null) return false;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  } catch {
    return false;
  }
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof v.product === 'string' &&
    typeof v.tokens === 'number' &&
    Array.isArray(v.topTerms) &&
    (v.sentiment === 'positive' || v.sentiment === 'negative' || v.sentiment === 'neutral') &&
    typeof v.score === 'number' &&
    v.score > -1 &&
    v.score < 1
  );
}

export const OUTPUT_CHECKS: Record<WorkloadName, (value: Buffer | null) => boolean> = {
  image: isWebp,
  text: isReviewAnalysis,
};

/**
 * Tallies outputs: distinct sources, those appended by `untilMs`, duplicates, outputs without
 * lineage, invalid values, and the digest: the XOR of SHA-1(source, value) over the first output
 * of each source, so it does not depend on the order outputs were read in.
 */
export function tallyOutputs(
  outputs: Iterable<OutputRecordSeen>,
  valid: (value: Buffer | null) => boolean,
  untilMs = Number.POSITIVE_INFINITY,
): Omit<OutputCheck, 'deadLettered'> {
  const seen = new Set<string>();
  const inWindow = new Set<string>();
  const digest = Buffer.alloc(20);
  let total = 0;
  let duplicates = 0;
  let withoutLineage = 0;
  let invalid = 0;
  for (const o of outputs) {
    total++;
    if (!valid(o.value)) invalid++;
    if (o.source === undefined) {
      withoutLineage++;
      continue;
    }
    if (o.appendedAtMs <= untilMs) inWindow.add(o.source);
    if (seen.has(o.source)) {
      duplicates++;
      continue;
    }
    seen.add(o.source);
    const h = createHash('sha1').update(o.source).update('\0');
    if (o.value !== null) h.update(o.value);
    const d = h.digest();
    for (let i = 0; i < 20; i++) digest[i]! ^= d[i]!;
  }
  return {
    outputs: total,
    sources: seen.size,
    inWindow: inWindow.size,
    duplicates,
    withoutLineage,
    invalid,
    digest: digest.toString('hex'),
  };
}

/**
 * Why a drain's outputs do not count, or null when they do: every input has an output or was
 * dead-lettered, no output lacks lineage, and every output is valid. Duplicates are allowed (an
 * at-least-once system may write one twice) and shown.
 */
export function outputProblem(check: OutputCheck, records: number): string | null {
  const accounted = check.sources + check.deadLettered;
  if (accounted !== records)
    return `${check.sources} inputs with an output + ${check.deadLettered} dead-lettered for ${records} inputs`;
  if (check.withoutLineage > 0) return `${check.withoutLineage} outputs without lineage headers`;
  if (check.invalid > 0) return `${check.invalid} of ${check.outputs} outputs are not what the worker makes`;
  return null;
}

/** Reads a whole output topic back and tallies it against `untilMs`. */
export async function readOutputs(
  brokers: string,
  topic: string,
  workload: WorkloadName,
  untilMs = Number.POSITIVE_INFINITY,
): Promise<Omit<OutputCheck, 'deadLettered'>> {
  const seen: OutputRecordSeen[] = [];
  await readWhole({
    brokers,
    topic,
    timeoutMs: 180_000,
    onMessage(m) {
      seen.push({ source: sourceOf(m), value: m.value ?? null, appendedAtMs: m.timestamp ?? Number.POSITIVE_INFINITY });
    },
  });
  return tallyOutputs(seen, OUTPUT_CHECKS[workload], untilMs);
}
