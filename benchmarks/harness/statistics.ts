/**
 * The statistics the benchmark reports: medians of repeated runs and latency percentiles.
 * Pure functions, unit-tested in test/unit/benchmarks/statistics.test.ts.
 */

/** Median of the values (mean of the two middle ones for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Nearest-rank percentile of values already sorted ascending: the smallest value with at least
 * p% of the values at or below it (p in (0, 100]). Null when empty.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  // The epsilon keeps 99.9% of 1000 at rank 999 despite floating point (0.999 × 1000 = 999.0000000000001).
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.max(0, rank - 1)]!;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** p50 / p99 / p99.9 / max of latency samples (any order; the input is not modified). */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p99: percentileOfSorted(sorted, 99),
    p999: percentileOfSorted(sorted, 99.9),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
  };
}

/** records/s ÷ (threads × 10⁶/W): the share of the pool's CPU spent on the work. Null at W = 0. */
export function cpuEfficiency(perSec: number, threads: number, spinUs: number): number | null {
  if (spinUs <= 0 || threads <= 0) return null;
  return perSec / (threads * (1e6 / spinUs));
}

/**
 * Least-squares slope of RSS over time after the warm-up, MiB per minute: a leak shows as a
 * steady rise, while a transient spike (a GC cycle, a burst in flight) barely moves it.
 */
export function rssTrendMbPerMin(samples: ReadonlyArray<readonly [number, number]>, warmupS: number): number | null {
  const points = samples.filter(([t]) => t >= warmupS);
  if (points.length < 2) return null;
  const n = points.length;
  const meanT = points.reduce((a, [t]) => a + t, 0) / n;
  const meanM = points.reduce((a, [, m]) => a + m, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, m] of points) {
    num += (t - meanT) * (m - meanM);
    den += (t - meanT) ** 2;
  }
  return den === 0 ? null : (num / den) * 60;
}
