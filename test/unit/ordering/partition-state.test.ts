import { InvariantViolation, TurbineError } from '../../../src/errors.js';
import { PartitionState } from '../../../src/ordering/partition-state.js';
import { seededRandom } from '../../helpers/prng.js';

/** The commit point by definition: lowest incomplete offset, else one past the last consumed. */
function bruteForceCommitPoint(tracked: number[], done: Set<number>): number | null {
  if (tracked.length === 0) return null;
  for (const offset of tracked) if (!done.has(offset)) return offset;
  return tracked[tracked.length - 1]! + 1;
}

describe('PartitionState', () => {
  it('has no commit point before anything is consumed', () => {
    const state = new PartitionState('t', 0, 1);
    expect(state.commitPoint()).toBeNull();
    expect(state.pendingCommit()).toBeNull();
    expect(state.idle).toBe(true);
    expect(state.lastOffset).toBe(-1);
    expect(state.pending).toBe(0);
  });

  it('keeps topic, partition and epoch', () => {
    const state = new PartitionState('orders', 7, 3, 41);
    expect(state.topic).toBe('orders');
    expect(state.partition).toBe(7);
    expect(state.epoch).toBe(3);
    expect(state.committed).toBe(41);
  });

  it('commits the lowest incomplete offset, then one past the last when all are done', () => {
    const state = new PartitionState('t', 0, 1);
    for (const offset of [10, 11, 15, 16]) state.track(offset);
    expect(state.commitPoint()).toBe(10);
    state.complete([11, 15]);
    expect(state.commitPoint()).toBe(10);
    expect(state.pending).toBe(2);
    state.complete([10]);
    // 11 and 15 are done, 16 is not: the gap 12-14 (compaction, markers) is skipped.
    expect(state.commitPoint()).toBe(16);
    state.complete([16]);
    expect(state.commitPoint()).toBe(17);
    expect(state.idle).toBe(true);
    expect(state.pending).toBe(0);
    expect(state.lastOffset).toBe(16);
  });

  it('offers a commit again after the broker refused it, even when nothing new completed', () => {
    const state = new PartitionState('t', 0, 1);
    for (const offset of [0, 1, 2]) state.track(offset);
    state.complete([0, 1, 2]);
    expect(state.pendingCommit()).toBe(3);
    state.markCommitted(3); // sent asynchronously
    expect(state.pendingCommit()).toBeNull();
    state.commitFailed(3); // ILLEGAL_GENERATION during a rebalance
    expect(state.pendingCommit()).toBe(3);
    state.markCommitted(3); // sent again, and this time it holds
    expect(state.pendingCommit()).toBeNull();
    state.commitFailed(2); // a failure of an older commit changes nothing
    expect(state.pendingCommit()).toBeNull();
  });

  it('throws InvariantViolation when an offset is not higher than the last tracked', () => {
    const state = new PartitionState('t', 0, 1);
    state.track(5);
    expect(() => state.track(5)).toThrow(InvariantViolation);
    expect(() => state.track(3)).toThrow(/increasing order/);
    try {
      state.track(4);
      throw new Error('track(4) should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(TurbineError);
      expect((error as TurbineError).code).toBe('INVARIANT_VIOLATION');
      expect((error as TurbineError).details).toMatchObject({ partition: 0, offset: 4, lastTracked: 5 });
    }
    // The failed calls left the state untouched.
    expect(state.lastOffset).toBe(5);
    expect(state.commitPoint()).toBe(5);
  });

  it('throws InvariantViolation when an offset is completed twice', () => {
    const state = new PartitionState('t', 0, 1);
    state.track(1);
    state.track(2);
    state.complete([2]);
    expect(() => state.complete([2])).toThrow(/completed twice/);
    expect(() => state.complete([2])).toThrow(InvariantViolation);
  });

  it('throws InvariantViolation for an offset that was never tracked or is already committed-past', () => {
    const state = new PartitionState('t', 0, 1);
    state.track(1);
    state.track(3);
    expect(() => state.complete([2])).toThrow(/not pending/);
    expect(() => state.complete([99])).toThrow(InvariantViolation);
    state.complete([1]);
    // 1 is behind the head now; completing it again is still an error, not a silent no-op.
    expect(() => state.complete([1])).toThrow(InvariantViolation);
    expect(state.commitPoint()).toBe(3);
  });

  it('rewinds to the last commit, else to the first offset of the assignment, else nowhere (-1)', () => {
    const state = new PartitionState('t', 0, 1);
    expect(state.rewindOffset).toBe(-1);
    state.track(40);
    state.track(41);
    expect(state.rewindOffset).toBe(40);
    state.complete([40]);
    state.markCommitted(41);
    expect(state.rewindOffset).toBe(41);
    expect(new PartitionState('t', 0, 2, 7).rewindOffset).toBe(7);
  });

  it('reports pendingCommit only when the commit point moved past the last commit', () => {
    const state = new PartitionState('t', 0, 1, 10);
    state.track(10);
    state.track(11);
    // Commit point 10 is not past the offset committed at assignment.
    expect(state.pendingCommit()).toBeNull();
    state.complete([10]);
    expect(state.pendingCommit()).toBe(11);
    state.markCommitted(11);
    expect(state.committed).toBe(11);
    expect(state.pendingCommit()).toBeNull();
    state.complete([11]);
    expect(state.pendingCommit()).toBe(12);
    // markCommitted never moves backwards.
    state.markCommitted(5);
    expect(state.committed).toBe(11);
    state.markCommitted(12);
    expect(state.pendingCommit()).toBeNull();
  });

  it('keeps an exact commit point across compaction (more than 4096 completed)', () => {
    const state = new PartitionState('t', 0, 1);
    const total = 20_000;
    for (let offset = 0; offset < total; offset++) state.track(offset * 2);
    // Complete in chunks, leaving offset 2*9000 for last so the head stops there.
    const holdBack = 9000 * 2;
    for (let start = 0; start < total; start += 1000) {
      const chunk: number[] = [];
      for (let i = start; i < Math.min(total, start + 1000); i++) if (i * 2 !== holdBack) chunk.push(i * 2);
      state.complete(chunk);
      const expected = start + 1000 <= 9000 ? (start + 1000) * 2 : holdBack;
      expect(state.commitPoint()).toBe(Math.min(expected, total * 2));
    }
    expect(state.pending).toBe(1);
    expect(() => state.complete([holdBack - 2])).toThrow(InvariantViolation);
    state.complete([holdBack]);
    expect(state.commitPoint()).toBe((total - 1) * 2 + 1);
    expect(state.idle).toBe(true);
    // Still usable after compaction.
    state.track(total * 2 + 5);
    expect(state.commitPoint()).toBe(total * 2 + 5);
    state.complete([total * 2 + 5]);
    expect(state.commitPoint()).toBe(total * 2 + 6);
  });

  it('property: commit point equals the brute-force answer and never decreases (random gaps and orders)', () => {
    // Plain throws inside the loops: an expect() per step costs more than the step itself.
    let checks = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rng = seededRandom(seed);
      const state = new PartitionState('t', 0, seed);
      const tracked: number[] = [];
      const done = new Set<number>();
      let incomplete: number[] = [];
      let next = rng.int(0, 1000);
      let previous: number | null = null;
      // Every 25th seed consumes enough (about 9000 offsets) to pass the compaction threshold.
      const large = seed % 25 === 0;
      const steps = large ? 150 : 60;
      const maxConsume = large ? 120 : 20;
      const check = () => {
        const point = state.commitPoint();
        const expected = bruteForceCommitPoint(tracked, done);
        if (point !== expected) throw new Error(`seed ${seed}: commit point ${point}, expected ${expected}`);
        if (previous !== null && point !== null && point < previous) {
          throw new Error(`seed ${seed}: commit point went back from ${previous} to ${point}`);
        }
        previous = point;
      };
      for (let step = 0; step < steps; step++) {
        // Consume a run of increasing offsets with random gaps.
        const consume = rng.int(0, maxConsume);
        for (let i = 0; i < consume; i++) {
          next += rng.next() < 0.7 ? 1 : rng.int(2, 50);
          state.track(next);
          tracked.push(next);
          incomplete.push(next);
        }
        check();
        // Complete a random group of the incomplete offsets, in random order.
        rng.shuffle(incomplete);
        const groupSize = rng.int(0, incomplete.length);
        const group = incomplete.slice(0, groupSize);
        incomplete = incomplete.slice(groupSize);
        state.complete(group);
        for (const offset of group) done.add(offset);
        check();
        if (state.pending !== incomplete.length) throw new Error(`seed ${seed}: pending ${state.pending}`);
      }
      checks++;
      // Drain everything: the commit point lands one past the last consumed offset.
      state.complete(rng.shuffle(incomplete));
      for (const offset of incomplete) done.add(offset);
      check();
      if (tracked.length > 0) expect(state.commitPoint()).toBe(tracked[tracked.length - 1]! + 1);
      expect(state.idle).toBe(true);
    }
    expect(checks).toBe(200);
  });
});

describe('PartitionState after a re-positioning', () => {
  it('starts its commit point at the restart offset and accepts nothing below it', () => {
    const s = new PartitionState('t', 0, 2, 240, 240);
    expect(s.commitPoint()).toBe(240);
    expect(s.accepts(239)).toBe(false);
    expect(s.accepts(240)).toBe(true);
    s.track(240);
    expect(s.accepts(240)).toBe(false);
    expect(s.accepts(241)).toBe(true);
    s.track(241);
    expect(s.commitPoint()).toBe(240);
    s.complete([240, 241]);
    expect(s.commitPoint()).toBe(242);
    expect(s.committed).toBe(240);
  });

  it('without a restart offset it accepts whatever comes first', () => {
    const s = new PartitionState('t', 0, 2, 10);
    expect(s.commitPoint()).toBeNull();
    expect(s.accepts(0)).toBe(true);
    expect(s.accepts(50)).toBe(true);
  });
});
