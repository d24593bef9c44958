import { InvariantViolation } from '../../../src/errors.js';
import { Reorderer, type Slot } from '../../../src/ordering/reorderer.js';
import { seededRandom } from '../../helpers/prng.js';

function push(map: Map<string, string[]>, lane: string, item: string): void {
  const list = map.get(lane);
  if (list) list.push(item);
  else map.set(lane, [item]);
}

const items = (released: Slot<string, number>[]) => released.map((s) => s.item);

describe('Reorderer (ordered)', () => {
  it('holds a completed slot until every earlier slot of its lane is complete', () => {
    const r = new Reorderer<string, number>();
    const a = r.add('p0', 'a');
    const b = r.add('p0', 'b');
    const c = r.add('p0', 'c');
    expect(r.size).toBe(3);
    expect(r.complete(c, 3)).toEqual([]);
    expect(r.complete(b, 2)).toEqual([]);
    const released = r.complete(a, 1);
    expect(items(released)).toEqual(['a', 'b', 'c']);
    expect(released.map((s) => s.result)).toEqual([1, 2, 3]);
    expect(r.size).toBe(0);
  });

  it('keeps lanes independent: a slow slot in one lane does not block another', () => {
    const r = new Reorderer<string, number>();
    const slowA = r.add('A', 'a1');
    const a2 = r.add('A', 'a2');
    const b1 = r.add('B', 'b1');
    const b2 = r.add('B', 'b2');
    expect(r.complete(a2, 0)).toEqual([]);
    expect(items(r.complete(b2, 0))).toEqual([]);
    expect(items(r.complete(b1, 0))).toEqual(['b1', 'b2']);
    expect(r.size).toBe(2);
    expect(items(r.complete(slowA, 0))).toEqual(['a1', 'a2']);
    expect(r.size).toBe(0);
  });

  it('throws InvariantViolation when a slot is completed twice', () => {
    const r = new Reorderer<string, number>();
    const a = r.add('p0', 'a');
    const b = r.add('p0', 'b');
    r.complete(b, 1);
    expect(() => r.complete(b, 1)).toThrow(InvariantViolation);
    expect(items(r.complete(a, 0))).toEqual(['a', 'b']);
    // Released slots are done too; completing one again is still an error.
    expect(() => r.complete(a, 0)).toThrow(/completed twice/);
  });

  it('dropLanes hands over slots already completed but waiting, since nothing completes them again', () => {
    const r = new Reorderer<string, number>();
    const a = r.add('t:0', 'a');
    const b = r.add('t:0', 'b');
    const c = r.add('t:0', 'c');
    expect(r.complete(b, 2)).toEqual([]); // waits behind a
    const handed: string[] = [];
    expect(
      r.dropLanes(
        () => true,
        (slot) => handed.push(slot.item),
      ),
    ).toBe(3);
    expect(handed).toEqual(['b']);
    expect(r.complete(a, 1)).toEqual([]);
    expect(r.complete(c, 3)).toEqual([]);
  });

  it('dropLanes marks unreleased slots dropped; completing them releases nothing', () => {
    const r = new Reorderer<string, number>();
    const p0a = r.add('t:0', 'p0a');
    const p0b = r.add('t:0', 'p0b');
    const k1 = r.add('t:1#1', 'k1');
    const k2 = r.add('t:1#2', 'k2');
    const other = r.add('t:10', 'other');
    r.complete(p0a, 0); // released at once, so not dropped below
    expect(r.dropLanes((lane) => lane === 't:1' || lane.startsWith('t:1#') || lane === 't:0')).toBe(3);
    expect(p0a.dropped).toBe(false);
    expect([p0b.dropped, k1.dropped, k2.dropped]).toEqual([true, true, true]);
    expect(other.dropped).toBe(false);
    expect(r.size).toBe(1);
    expect(r.complete(p0b, 1)).toEqual([]);
    expect(r.complete(k1, 1)).toEqual([]);
    expect(r.complete(k2, 1)).toEqual([]);
    expect(items(r.complete(other, 1))).toEqual(['other']);
    // A lane with the same name starts afresh (the partition came back in a new epoch).
    const again = r.add('t:0', 'again');
    expect(items(r.complete(again, 2))).toEqual(['again']);
  });

  it('dropLanes reports slots already completed behind an unfinished one (never completed again)', () => {
    const r = new Reorderer<string, number>();
    r.add('t:0', 'head');
    const behind = r.add('t:0', 'behind');
    const pending = r.add('t:0', 'pending');
    expect(r.complete(behind, 1)).toEqual([]);
    const reported: string[] = [];
    expect(
      r.dropLanes(
        () => true,
        (slot) => reported.push(slot.item),
      ),
    ).toBe(3);
    expect(reported).toEqual(['behind']);
    expect(r.complete(pending, 1)).toEqual([]);
  });

  it('property: per lane, released items concatenate to the order they were added', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rng = seededRandom(seed);
      const r = new Reorderer<string, number>();
      const laneCount = rng.int(1, 5);
      const added = new Map<string, string[]>();
      const released = new Map<string, string[]>();
      let open: Slot<string, number>[] = [];
      let n = 0;
      for (let round = 0; round < 30; round++) {
        const adds = rng.int(0, 15);
        for (let i = 0; i < adds; i++) {
          const lane = `L${rng.int(0, laneCount - 1)}`;
          const item = `${lane}-${n++}`;
          open.push(r.add(lane, item));
          push(added, lane, item);
        }
        rng.shuffle(open);
        const completes = rng.int(0, open.length);
        for (const slot of open.slice(0, completes)) {
          for (const out of r.complete(slot, n)) {
            if (out.lane !== slot.lane || !out.done)
              throw new Error(`seed ${seed}: released a foreign or unfinished slot`);
            push(released, out.lane, out.item);
          }
        }
        open = open.slice(completes);
        // What was released so far is a prefix of what was added, lane by lane.
        for (const [lane, got] of released) {
          const want = added.get(lane)!;
          if (got.some((item, i) => item !== want[i]))
            throw new Error(`seed ${seed}: lane ${lane} released out of order`);
        }
      }
      for (const slot of rng.shuffle(open)) {
        for (const out of r.complete(slot, 0)) push(released, out.lane, out.item);
      }
      expect(r.size).toBe(0);
      expect(new Map([...released].sort())).toEqual(new Map([...added].sort()));
    }
  });

  it('releases in order across the internal compaction (more than 1024 released in a lane)', () => {
    const r = new Reorderer<number, number>();
    const first = r.add('p', 0);
    const rest: Slot<number, number>[] = [];
    for (let i = 1; i < 3000; i++) rest.push(r.add('p', i));
    // Release 1500 in one go while keeping the lane alive.
    const holder = rest[1500]!;
    for (const slot of rest) if (slot !== holder) r.complete(slot, slot.item);
    const out = r.complete(first, 0).map((s) => s.item);
    expect(out).toEqual(Array.from({ length: 1501 }, (_, i) => i));
    expect(r.size).toBe(1499);
    const tail = r.complete(holder, holder.item).map((s) => s.item);
    expect(tail).toEqual(Array.from({ length: 1499 }, (_, i) => 1501 + i));
    expect(r.size).toBe(0);
  });
});

describe('Reorderer (unordered)', () => {
  it('releases every slot as soon as it completes', () => {
    const r = new Reorderer<string, number>(false);
    const a = r.add('p0', 'a');
    const b = r.add('p0', 'b');
    expect(r.size).toBe(0);
    const released = r.complete(b, 2);
    expect(released).toEqual([b]);
    expect(released[0]!.result).toBe(2);
    expect(items(r.complete(a, 1))).toEqual(['a']);
    expect(() => r.complete(a, 1)).toThrow(InvariantViolation);
  });
});
