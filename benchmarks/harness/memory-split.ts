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

export function memoryText(m: MemorySample): string {
  const rest = m.rssMb - m.heapTotalMb - m.externalMb;
  return `RSS ${m.rssMb} MiB = main-thread V8 heap ${m.heapTotalMb} (${m.heapUsedMb} used) + external ${m.externalMb} + rest ${rest} (worker heaps, librdkafka, code; fetch queue ${m.fetchQueueMessages ?? '?'} messages)`;
}
