/**
 * Quantiles from a histogram's cumulative buckets, interpolated linearly inside the bucket as
 * Prometheus's histogram_quantile() does. Used by the demo's final report, the status page and
 * the benchmarks (which difference two scrapes of /metrics).
 */
import type { Histogram } from 'prom-client';

/** One cumulative bucket: how many observations were ≤ `le`. */
export interface Bucket {
  le: number;
  count: number;
}

/** The q-quantile of cumulative `buckets` (any order), or null when they hold no observation. */
export function bucketQuantile(buckets: readonly Bucket[], q: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export async function histogramQuantile(histogram: Histogram<string>, q: number): Promise<number | null> {
  const { values } = await histogram.get();
  const buckets = values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), count: v.value }));
  return bucketQuantile(buckets, q);
}
