/**
 * No two in-flight batches of one partition share a key; disjoint batches run side by side and
 * waiting batches start in arrival order per key.
 */
import { KeyLocks } from '../../../src/state/key-locks';
import { seededRandom } from '../../helpers/prng';

const keys = (...k: string[]) => new Set(k);

describe('KeyLocks', () => {
  it('runs disjoint batches at once and holds an overlapping one until its keys are free', () => {
    const locks = new KeyLocks<string>();
    expect(locks.acquire('p0', keys('a', 'b'), 'b1')).toBe(true);
    expect(locks.acquire('p0', keys('c'), 'b2')).toBe(true);
    expect(locks.acquire('p0', keys('b', 'd'), 'b3')).toBe(false);
    expect(locks.waiting).toBe(1);
    expect(locks.release('p0', keys('c'))).toEqual([]);
    expect(locks.release('p0', keys('a', 'b'))).toEqual(['b3']);
    expect(locks.waiting).toBe(0);
  });

  it('keeps partitions apart', () => {
    const locks = new KeyLocks<string>();
    expect(locks.acquire('p0', keys('a'), 'x')).toBe(true);
    expect(locks.acquire('p1', keys('a'), 'y')).toBe(true);
  });

  it('a batch never passes a waiting batch that shares a key with it', () => {
    const locks = new KeyLocks<string>();
    locks.acquire('p0', keys('a'), 'b1');
    expect(locks.acquire('p0', keys('a', 'b'), 'b2')).toBe(false);
    // b is free, but b2 (waiting, ahead) wants it: b3 waits behind b2.
    expect(locks.acquire('p0', keys('b'), 'b3')).toBe(false);
    // A batch sharing nothing with anyone goes ahead.
    expect(locks.acquire('p0', keys('z'), 'b4')).toBe(true);
    expect(locks.release('p0', keys('a'))).toEqual(['b2']);
    expect(locks.release('p0', keys('a', 'b'))).toEqual(['b3']);
  });

  it('drops the waiting batches of matching partitions', () => {
    const locks = new KeyLocks<string>();
    locks.acquire('p0', keys('a'), 'b1');
    locks.acquire('p0', keys('a'), 'b2');
    locks.acquire('p1', keys('a'), 'c1');
    locks.acquire('p1', keys('a'), 'c2');
    expect(locks.dropWaiting((p) => p === 'p0')).toEqual(['b2']);
    expect(locks.waiting).toBe(1);
    expect(locks.release('p0', keys('a'))).toEqual([]);
    expect(locks.release('p1', keys('a'))).toEqual(['c2']);
  });

  it('random arrivals and completions: never two running batches with a common key, and per-key order kept', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const prng = seededRandom(seed);
      const rng = () => prng.next();
      const locks = new KeyLocks<number>();
      const batchKeys: Set<string>[] = [];
      const running = new Set<number>();
      const startedOrder: number[] = [];
      const start = (b: number) => {
        for (const r of running) for (const k of batchKeys[b]!) expect(batchKeys[r]!.has(k)).toBe(false);
        running.add(b);
        startedOrder.push(b);
      };
      for (let b = 0; b < 40; b++) {
        const ks = new Set<string>();
        const n = prng.int(1, 3);
        for (let i = 0; i < n; i++) ks.add(`k${prng.int(0, 5)}`);
        batchKeys.push(ks);
        if (locks.acquire('p', ks, b)) start(b);
        while (running.size > 0 && rng() < 0.5) {
          const list = [...running];
          const done = list[prng.int(0, list.length - 1)]!;
          running.delete(done);
          for (const next of locks.release('p', batchKeys[done]!)) start(next);
        }
      }
      while (running.size > 0) {
        const done = [...running][0]!;
        running.delete(done);
        for (const next of locks.release('p', batchKeys[done]!)) start(next);
      }
      expect(startedOrder.length).toBe(40);
      // Per key, batches started in arrival order.
      for (let k = 0; k < 6; k++) {
        const order = startedOrder.filter((b) => batchKeys[b]!.has(`k${k}`));
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }
    }
  });
});
