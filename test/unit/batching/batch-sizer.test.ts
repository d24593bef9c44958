import { BatchSizer } from '../../../src/batching/batch-sizer.js';

/** Runs a lane under backlog: every batch fills to the limit, then its task reports `costMs` per record. */
function underBacklog(sizer: BatchSizer, lane: string, tasks: number, costMs: (i: number) => number): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < tasks; i++) {
    const n = sizer.limit(lane);
    sizes.push(n);
    sizer.filled(lane);
    sizer.observe(lane, n, n * costMs(i));
  }
  return sizes;
}

/** A small deterministic generator (mulberry32), so noisy runs are reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('BatchSizer', () => {
  it('converges so a task takes the target time for a given per-record cost', () => {
    for (const costMs of [0.02, 0.1, 1]) {
      const sizer = new BatchSizer({ targetMs: 5, maxRecords: 10_000 });
      const sizes = underBacklog(sizer, 't:0', 60, () => costMs);
      const last = sizes[sizes.length - 1]!;
      expect(last * costMs).toBeGreaterThan(5 * 0.9);
      expect(last * costMs).toBeLessThanOrEqual(5);
      expect(sizer.costMs('t:0')).toBeCloseTo(costMs, 6);
    }
  });

  it('counts the fixed part of a task, so the whole task lands on the target', () => {
    // Each task costs 1 ms plus 0.01 ms per record: the fixed point is (5 - 1) / 0.01 = 400 records.
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 10_000 });
    let n = 0;
    for (let i = 0; i < 200; i++) {
      n = sizer.limit('t:0');
      sizer.filled('t:0');
      sizer.observe('t:0', n, 1 + 0.01 * n);
    }
    expect(n).toBeGreaterThanOrEqual(380);
    expect(n).toBeLessThanOrEqual(420);
  });

  it('grows under backlog from a small start, doubling per filled batch', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 500, initialRecords: 8 });
    // The first batch is cut before its cost is known: the limit waits for that report.
    const sizes = underBacklog(sizer, 't:0', 9, () => 0.001);
    expect(sizes.slice(0, 7)).toEqual([8, 8, 16, 32, 64, 128, 256]);
    expect(sizes[8]).toBe(500);
  });

  it('shrinks when idle: batches cut by linger halve the limit, down to twice what arrived', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 500 });
    underBacklog(sizer, 't:0', 20, () => 0.001);
    expect(sizer.limit('t:0')).toBe(500);
    for (let i = 0; i < 20; i++) sizer.lingered('t:0', 3);
    expect(sizer.limit('t:0')).toBe(6);
    // A batch cut by linger with half the limit or more (a burst's tail) says nothing about idleness.
    sizer.lingered('t:0', 3);
    expect(sizer.limit('t:0')).toBe(6);
    // Load comes back: the limit grows again.
    underBacklog(sizer, 't:0', 10, () => 0.001);
    expect(sizer.limit('t:0')).toBe(500);
  });

  it('keeps its limit when a batch lingers while every worker thread is busy', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 500 });
    underBacklog(sizer, 't:0', 20, () => 0.001);
    // Flow control holds arrivals back while the pool is the bottleneck: not a sign of idleness.
    for (let i = 0; i < 20; i++) sizer.lingered('t:0', 3, true);
    expect(sizer.limit('t:0')).toBe(500);
  });

  it('stays within its bounds', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 200, minRecords: 2 });
    // Very cheap records: the cap is maxRecords.
    underBacklog(sizer, 'cheap', 30, () => 1e-6);
    expect(sizer.limit('cheap')).toBe(200);
    // Very expensive records (1 s each): the floor is minRecords.
    underBacklog(sizer, 'slow', 30, () => 1000);
    expect(sizer.limit('slow')).toBe(2);
    for (let i = 0; i < 10; i++) sizer.lingered('slow', 0);
    expect(sizer.limit('slow')).toBe(2);
    // Nonsense timings are ignored.
    sizer.observe('cheap', 0, 5);
    sizer.observe('cheap', 10, Number.NaN);
    sizer.observe('cheap', 10, -1);
    expect(sizer.limit('cheap')).toBe(200);
  });

  it('is stable under noisy timings, including rare large outliers', () => {
    const rand = random(42);
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 10_000 });
    // 0.05 ms per record ± 30%, and one task in 20 is delayed 20× (GC, a descheduled thread).
    const sizes = underBacklog(sizer, 't:0', 400, () => {
      const jitter = 0.05 * (0.7 + 0.6 * rand());
      return rand() < 0.05 ? jitter * 20 : jitter;
    });
    const settled = sizes.slice(100);
    const ideal = 5 / 0.05;
    for (const n of settled) {
      expect(n).toBeGreaterThan(ideal * 0.4);
      expect(n).toBeLessThan(ideal * 1.6);
    }
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
    expect(mean).toBeGreaterThan(ideal * 0.6);
    expect(mean).toBeLessThan(ideal * 1.3);
  });

  it('starts a new lane from the estimate over all lanes, and forgets dropped lanes', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 10_000, initialRecords: 10_000 });
    underBacklog(sizer, 't:0', 40, () => 0.5);
    expect(sizer.capFor('t:1')).toBe(10);
    expect(sizer.limit('t:1')).toBe(10);
    expect(sizer.laneCount).toBe(1);
    sizer.dropLanes((lane) => lane.startsWith('t:0'));
    expect(sizer.laneCount).toBe(0);
  });

  it('does not grow past its initial limit before any task reported a cost', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 500, initialRecords: 16 });
    for (let i = 0; i < 5; i++) sizer.filled('t:0');
    expect(sizer.limit('t:0')).toBe(16);
    sizer.observe('t:0', 16, 16 * 0.001);
    sizer.filled('t:0');
    expect(sizer.limit('t:0')).toBe(32);
  });

  it('rejects a target that is not positive', () => {
    expect(() => new BatchSizer({ targetMs: 0, maxRecords: 10 })).toThrow(RangeError);
  });
});
