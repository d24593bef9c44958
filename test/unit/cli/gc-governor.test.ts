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

  it('collects at most once per interval however high memory stays', () => {
    const over = { heapUsed: 900 * MiB, external: 900 * MiB };
    const g = governor([over, over, over, over]);
    for (let t = 0; t <= 2000; t += 200) g.at(t);
    // Forced at 0 and 1000 and 2000 (each followed by its second collection 200 ms later).
    expect(g.triggers).toHaveLength(3);
    expect(g.collections).toEqual([0, 200, 1000, 1200, 2000]);
  });
});
