import { bucketsBetween, histogramBuckets, metricValues } from '../../../benchmarks/harness/processes.js';
import { bucketQuantile } from '../../../src/cli/histogram-quantile.js';

const EXPOSITION = [
  '# HELP turbine_consume_delay_seconds Input record timestamp to the engine taking it.',
  '# TYPE turbine_consume_delay_seconds histogram',
  'turbine_consume_delay_seconds_bucket{le="0.01"} 40',
  'turbine_consume_delay_seconds_bucket{le="0.05"} 90',
  'turbine_consume_delay_seconds_bucket{le="0.1"} 100',
  'turbine_consume_delay_seconds_bucket{le="+Inf"} 100',
  'turbine_consume_delay_seconds_sum 2.5',
  'turbine_consume_delay_seconds_count 100',
  'turbine_kafka_consumer_fetch_queue_messages{client="a"} 7',
  'turbine_kafka_consumer_fetch_queue_messages{client="b"} 5',
  'turbine_process_nodejs_heap_size_used_bytes 1048576',
].join('\n');

describe('engine histograms from /metrics', () => {
  it('reads the cumulative buckets of one histogram', () => {
    expect(histogramBuckets(EXPOSITION, 'turbine_consume_delay_seconds')).toEqual([
      { le: 0.01, count: 40 },
      { le: 0.05, count: 90 },
      { le: 0.1, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ]);
    expect(histogramBuckets(EXPOSITION, 'turbine_end_to_end_latency_seconds')).toEqual([]);
  });

  it('interpolates quantiles inside a bucket like histogram_quantile()', () => {
    const buckets = histogramBuckets(EXPOSITION, 'turbine_consume_delay_seconds');
    // rank 50 lies 10 of 50 observations into (0.01, 0.05].
    expect(bucketQuantile(buckets, 0.5)).toBeCloseTo(0.018, 6);
    // rank 99 lies 9 of 10 into (0.05, 0.1].
    expect(bucketQuantile(buckets, 0.99)).toBeCloseTo(0.095, 6);
    expect(bucketQuantile([{ le: 0.1, count: 0 }], 0.5)).toBeNull();
  });

  it('keeps only what was observed between two scrapes', () => {
    const earlier = [
      { le: 0.01, count: 30 },
      { le: 0.05, count: 30 },
      { le: 0.1, count: 30 },
      { le: Number.POSITIVE_INFINITY, count: 30 },
    ];
    const between = bucketsBetween(earlier, histogramBuckets(EXPOSITION, 'turbine_consume_delay_seconds'));
    expect(between.map((b) => b.count)).toEqual([10, 60, 70, 70]);
    // The warm-up's 30 fast observations no longer pull the median down: rank 35 is in (0.01, 0.05].
    expect(bucketQuantile(between, 0.5)).toBeCloseTo(0.01 + 0.04 * (25 / 50), 6);
  });

  it('sums a gauge over its label sets', () => {
    const values = metricValues(EXPOSITION, [
      'turbine_kafka_consumer_fetch_queue_messages',
      'turbine_process_nodejs_heap_size_used_bytes',
    ]);
    expect(values.get('turbine_kafka_consumer_fetch_queue_messages')).toBe(12);
    expect(values.get('turbine_process_nodejs_heap_size_used_bytes')).toBe(1048576);
  });
});
