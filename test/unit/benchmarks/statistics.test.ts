// The benchmark's statistics: medians of repeated runs, nearest-rank percentiles and CPU efficiency.
import {
  cpuEfficiency,
  median,
  percentileOfSorted,
  rssTrendMbPerMin,
  summarizeLatencies,
} from '../../../benchmarks/harness/statistics';

describe('median', () => {
  it('is the middle value of an odd count, in any input order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([9])).toBe(9);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is null for no values and leaves the input alone', () => {
    expect(median([])).toBeNull();
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('percentileOfSorted (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('gives the smallest value with p% of values at or below it', () => {
    expect(percentileOfSorted(hundred, 50)).toBe(50);
    expect(percentileOfSorted(hundred, 99)).toBe(99);
    expect(percentileOfSorted(hundred, 99.9)).toBe(100);
    expect(percentileOfSorted(hundred, 100)).toBe(100);
    expect(percentileOfSorted(hundred, 0.5)).toBe(1);
  });

  it('uses the only value of a single sample for every percentile', () => {
    expect(percentileOfSorted([7], 50)).toBe(7);
    expect(percentileOfSorted([7], 99.9)).toBe(7);
  });

  it('is null when empty and rejects percentiles outside (0, 100]', () => {
    expect(percentileOfSorted([], 50)).toBeNull();
    expect(() => percentileOfSorted([1], 0)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], 101)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('sorts the samples and reports p50, p99, p99.9 and max', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 .. 1, descending
    expect(summarizeLatencies(samples)).toEqual({ count: 1000, p50: 500, p99: 990, p999: 999, max: 1000 });
  });

  it('sorts numerically, not as text', () => {
    expect(summarizeLatencies([10, 9, 100]).p50).toBe(10);
  });

  it('reports nulls for no samples', () => {
    expect(summarizeLatencies([])).toEqual({ count: 0, p50: null, p99: null, p999: null, max: null });
  });
});

describe('cpuEfficiency', () => {
  it('is records/s over what the pool could do at W µs per record', () => {
    // 2 threads at 100 µs could do 20,000/s; 16,000/s is 80%.
    expect(cpuEfficiency(16_000, 2, 100)).toBeCloseTo(0.8);
  });

  it('is undefined (null) at W = 0', () => {
    expect(cpuEfficiency(50_000, 2, 0)).toBeNull();
  });
});

describe('rssTrendMbPerMin', () => {
  it('is the least-squares slope after the warm-up, in MiB per minute', () => {
    const samples: Array<[number, number]> = [
      [0, 100],
      [60, 500], // warm-up: ignored
      [120, 600],
      [180, 601],
      [240, 602],
      [300, 603],
    ];
    expect(rssTrendMbPerMin(samples, 120)).toBeCloseTo(1, 6);
  });

  it('barely moves for one transient spike on a flat series', () => {
    const flat: Array<[number, number]> = Array.from({ length: 97 }, (_, i) => [120 + i * 5, 600]);
    flat[60] = [flat[60]![0], 740];
    expect(Math.abs(rssTrendMbPerMin(flat, 120)!)).toBeLessThan(1);
  });

  it('needs two samples after the warm-up', () => {
    expect(rssTrendMbPerMin([[130, 1]], 120)).toBeNull();
  });
});
