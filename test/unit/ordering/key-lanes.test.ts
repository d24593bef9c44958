import { keyLane, laneOf } from '../../../src/ordering/key-lanes.js';
import type { ConsumedRecord } from '../../../src/types.js';

function record(key: Buffer | null, partition = 3): ConsumedRecord {
  return { topic: 'orders', partition, offset: 0, timestamp: 0, key, value: null, headers: undefined, size: 0 };
}

describe('keyLane', () => {
  it('maps the same key to the same lane, including equal bytes in different buffers', () => {
    for (let i = 0; i < 100; i++) {
      const lane = keyLane(Buffer.from(`key-${i}`), 16);
      expect(keyLane(Buffer.from(`key-${i}`), 16)).toBe(lane);
      expect(lane).toBeGreaterThanOrEqual(0);
      expect(lane).toBeLessThan(16);
      expect(Number.isInteger(lane)).toBe(true);
    }
  });

  it('puts null keys in lane 0, and everything in lane 0 when there is one lane', () => {
    expect(keyLane(null, 16)).toBe(0);
    expect(keyLane(Buffer.from('anything'), 1)).toBe(0);
  });

  it('matches 32-bit FNV-1a', () => {
    // FNV-1a("a") = 0xe40c292c, FNV-1a("") = 0x811c9dc5 (the offset basis).
    expect(keyLane(Buffer.from('a'), 2 ** 32 - 1)).toBe(0xe40c292c % (2 ** 32 - 1));
    expect(keyLane(Buffer.alloc(0), 1000)).toBe(0x811c9dc5 % 1000);
  });

  it('spreads 10k keys roughly evenly over 16 lanes', () => {
    const lanes = 16;
    const counts = new Array<number>(lanes).fill(0);
    for (let i = 0; i < 10_000; i++) counts[keyLane(Buffer.from(`key-${i}`), lanes)]!++;
    const expected = 10_000 / lanes;
    for (const count of counts) {
      expect(count).toBeGreaterThan(expected * 0.8);
      expect(count).toBeLessThan(expected * 1.2);
    }
  });
});

describe('laneOf', () => {
  it('is the partition in partition and unordered mode', () => {
    expect(laneOf(record(Buffer.from('k')), 'partition', 16)).toBe('orders:3');
    expect(laneOf(record(Buffer.from('k')), 'unordered', 16)).toBe('orders:3');
  });

  it('adds the key lane in key mode', () => {
    const key = Buffer.from('customer-42');
    expect(laneOf(record(key), 'key', 16)).toBe(`orders:3#${keyLane(key, 16)}`);
    expect(laneOf(record(null), 'key', 16)).toBe('orders:3#0');
    expect(laneOf(record(key, 4), 'key', 16)).toBe(`orders:4#${keyLane(key, 16)}`);
  });
});
