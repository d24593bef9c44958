/** The soak's RSS split into what the engine's own gauges account for (benchmarks/soak.ts). */
import type { MemorySample, SoakSummary } from './report.js';

/**
 * Where the RSS went at the warm-up's end and at the peak: the main thread's V8 heap (reserved),
 * its external memory, and the rest (worker threads' heaps, librdkafka's buffers, code).
 */
export function memoryAtPeak(s: SoakSummary): { base: MemorySample; peak: MemorySample } | null {
  const after = (s.memory ?? []).filter((m) => m.t >= s.warmupS);
  if (after.length === 0) return null;
  const peak = after.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
  return { base: after[0]!, peak };
}

/** Whether the engine kept up with the soak's load, in words (empty when not recorded). */
export function keptUpText(s: SoakSummary): string {
  if (!s.offeredRecords || s.consumedRecords === undefined) return '';
  const share = s.consumedRecords / s.offeredRecords;
  const rate = (n: number) => Math.round(n / s.durationS).toLocaleString('en-US');
  return share >= 0.97
    ? `the engine kept up (consumed ${rate(s.consumedRecords)}/s of ${rate(s.offeredRecords)}/s offered)`
    : `the engine did not keep up: it consumed ${rate(s.consumedRecords)}/s of ${rate(s.offeredRecords)}/s offered (${Math.round(share * 100)}%), so its in-flight bound stayed full`;
}

export function memoryText(m: MemorySample): string {
  const rest = m.rssMb - m.heapTotalMb - m.externalMb;
  return `RSS ${m.rssMb} MiB = main-thread V8 heap ${m.heapTotalMb} (${m.heapUsedMb} used) + external ${m.externalMb} + rest ${rest} (worker heaps, librdkafka, code; fetch queue ${m.fetchQueueMessages ?? '?'} messages)`;
}
