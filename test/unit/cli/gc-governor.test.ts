import { GcGovernor, type MemoryReading } from '../../../src/cli/gc-governor.js';

const MiB = 1024 * 1024;

function governor(readings: MemoryReading[]) {
  const collections: number[] = [];
  const triggers: MemoryReading[] = [];
  let now = 0;
  const g = new GcGovernor({
    highWaterBytes: 768 * MiB, // any mark: the policy does not depend on the default
    minIntervalMs: 1000,
    usage: () => readings.shift() ?? { heapUsed: 0, external: 0 },
    collect: () => collections.push(now),
    onCollect: (r) => triggers.push(r),
  });
  return {
    at(ms: number) {
      now = ms;
      return g.check(ms);
    },
    collections,
    triggers,
    markBytes: () => g.markBytes,
  };
}

describe('GcGovernor', () => {
  it('does nothing while heap in use plus external memory stay under the mark', () => {
    const g = governor([
      { heapUsed: 300 * MiB, external: 400 * MiB },
      { heapUsed: 368 * MiB, external: 400 * MiB },
    ]);
    expect(g.at(0)).toBe(false);
    expect(g.at(1000)).toBe(false);
    expect(g.collections).toEqual([]);
  });

  it('collects over the mark, then once more 200 ms later to free the dead ArrayBuffers', () => {
    const over = { heapUsed: 400 * MiB, external: 500 * MiB };
    const g = governor([over]);
    expect(g.at(0)).toBe(true);
    expect(g.triggers).toEqual([over]);
    expect(g.at(100)).toBe(false);
    expect(g.at(200)).toBe(true);
    expect(g.collections).toEqual([0, 200]);
    expect(g.triggers).toHaveLength(1);
  });

  it('collects at most once per interval', () => {
    const over = { heapUsed: 900 * MiB, external: 900 * MiB };
    const freed = { heapUsed: 100 * MiB, external: 100 * MiB };
    // Each forced collection is read once before and once after its second collection.
    const g = governor([over, freed, over, freed, over, freed]);
    for (let t = 0; t <= 3000; t += 200) g.at(t);
    // Forced at 0, 1200 and 2400 (each followed by its second collection 200 ms later, and a
    // reading of what they left a second after that, which takes its own check).
    expect(g.triggers).toHaveLength(3);
    expect(g.collections).toEqual([0, 200, 1400, 1600, 2800, 3000]);
  });

  it('moves the mark above a live set that the collection could not free', () => {
    const live = { heapUsed: 300 * MiB, external: 500 * MiB };
    const g = governor([live, live, live, { heapUsed: 700 * MiB, external: 1000 * MiB }]);
    expect(g.at(0)).toBe(true);
    expect(g.at(200)).toBe(true);
    expect(g.markBytes()).toBe(768 * MiB);
    // Read a second after the second collection: 800 MiB survived, so the next waits for twice that.
    expect(g.at(1200)).toBe(false);
    expect(g.markBytes()).toBe(1600 * MiB);
    expect(g.at(2000)).toBe(false);
    expect(g.at(3000)).toBe(true);
    expect(g.triggers).toHaveLength(2);
  });

  it('keeps the configured mark when the collection freed enough', () => {
    const g = governor([
      { heapUsed: 500 * MiB, external: 500 * MiB },
      { heapUsed: 100 * MiB, external: 50 * MiB },
    ]);
    g.at(0);
    g.at(200);
    expect(g.markBytes()).toBe(768 * MiB);
  });
});
