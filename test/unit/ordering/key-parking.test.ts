import { KeyParking, keyId } from '../../../src/ordering/key-parking.js';
import { seededRandom } from '../../helpers/prng.js';

describe('keyId', () => {
  it('separates null keys, empty keys and byte-distinct keys', () => {
    const ids = [keyId(null), keyId(Buffer.alloc(0)), keyId(Buffer.from([0xff])), keyId(Buffer.from('a'))];
    expect(new Set(ids).size).toBe(4);
    expect(keyId(Buffer.from('a'))).toBe(keyId(Buffer.from('a')));
  });
});

describe('KeyParking', () => {
  it('parks only the failing record’s key; later records of that key wait and come out after it', () => {
    const p = new KeyParking<string>();
    const parked = p.enqueue('t:0', 'A', 5, 'A5', false);
    expect(p.isParked('t:0', 'A')).toBe(true);
    expect(p.isParked('t:0', 'B')).toBe(false);
    expect(p.hasParked('t:0')).toBe(true);
    expect(p.hasParked('t:1')).toBe(false);
    p.enqueue('t:0', 'A', 7, 'A7', true);
    p.enqueue('t:0', 'A', 9, 'A9', true);
    expect(p.parkedOffsets('t:0')).toEqual([5]);
    const released = p.resolve(parked, 'A5-done');
    expect(released.map((e) => e.item)).toEqual(['A5-done', 'A7', 'A9']);
    expect(p.isParked('t:0', 'A')).toBe(false);
    expect(p.size).toBe(0);
    expect(p.hasParked('t:0')).toBe(false);
  });

  it('a second record of the key still being retried stops the release and keeps the key parked', () => {
    const p = new KeyParking<string>();
    const first = p.enqueue('t:0', 'A', 1, 'A1', false);
    p.enqueue('t:0', 'A', 2, 'A2', true);
    const second = p.enqueue('t:0', 'A', 3, 'A3', false);
    p.enqueue('t:0', 'A', 4, 'A4', true);
    // The later one finishes first: nothing may pass the earlier one.
    expect(p.resolve(second, 'A3-done')).toEqual([]);
    expect(p.resolve(first, 'A1-done').map((e) => e.item)).toEqual(['A1-done', 'A2', 'A3-done', 'A4']);
    expect(p.size).toBe(0);
  });

  it('a queued ready record behind an unparked key is a bug', () => {
    const p = new KeyParking<string>();
    expect(() => p.enqueue('t:0', 'A', 1, 'A1', true)).toThrow(/not parked/);
  });

  it('records of a key must be queued in offset order', () => {
    const p = new KeyParking<string>();
    p.enqueue('t:0', 'A', 5, 'A5', false);
    expect(() => p.enqueue('t:0', 'A', 4, 'A4', true)).toThrow(/offset order/);
  });

  it('drop returns the queued entries of matching partitions; resolving a dropped entry releases nothing', () => {
    const p = new KeyParking<string>();
    const a = p.enqueue('t:0', 'A', 1, 'A1', false);
    p.enqueue('t:0', 'A', 2, 'A2', true);
    p.enqueue('t:1', 'B', 1, 'B1', false);
    const dropped = p.drop((id) => id === 't:0');
    expect(dropped.map((e) => e.item)).toEqual(['A1', 'A2']);
    expect(p.resolve(a, 'late')).toEqual([]);
    expect(p.size).toBe(1);
    expect(p.parkedOffsets('t:1')).toEqual([1]);
  });

  it('random retry completion orders: per key, released in offset order, each exactly once', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = seededRandom(seed);
      const random = () => rng.next();
      const p = new KeyParking<number>();
      const released: Array<{ key: string; offset: number }> = [];
      const pending: Array<ReturnType<typeof p.enqueue>> = [];
      const emitted: Array<{ key: string; offset: number }> = [];
      for (let offset = 0; offset < 60; offset++) {
        const key = `k${rng.int(0, 3)}`;
        const failing = random() < 0.2;
        if (failing) pending.push(p.enqueue('t:0', key, offset, offset, false));
        else if (p.isParked('t:0', key)) p.enqueue('t:0', key, offset, offset, true);
        else emitted.push({ key, offset });
        // Sometimes a retry finishes in between.
        if (pending.length > 0 && random() < 0.3) {
          const e = pending.splice(rng.int(0, pending.length - 1), 1)[0]!;
          for (const r of p.resolve(e, e.offset)) released.push({ key: r.key, offset: r.offset });
        }
      }
      while (pending.length > 0) {
        const e = pending.splice(rng.int(0, pending.length - 1), 1)[0]!;
        for (const r of p.resolve(e, e.offset)) released.push({ key: r.key, offset: r.offset });
      }
      expect(p.size).toBe(0);
      const all = [...emitted, ...released];
      expect(all.map((r) => r.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      // Released records of each key come out in offset order.
      const last = new Map<string, number>();
      for (const r of released) {
        expect(r.offset).toBeGreaterThan(last.get(r.key) ?? -1);
        last.set(r.key, r.offset);
      }
    }
  });
});
