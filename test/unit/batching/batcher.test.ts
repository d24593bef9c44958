import { BatchSizer } from '../../../src/batching/batch-sizer.js';
import { type Batch, Batcher } from '../../../src/batching/batcher.js';
import type { ConsumedRecord } from '../../../src/types.js';

function record(partition: number, offset: number, size = 10): ConsumedRecord {
  return {
    topic: 't',
    partition,
    offset,
    timestamp: 0,
    key: null,
    value: Buffer.alloc(size),
    headers: undefined,
    size,
  };
}

const offsets = (batch: Batch | null) => batch?.records.map((r) => r.offset);

describe('Batcher', () => {
  it('flushes a lane when it reaches maxRecords', () => {
    const b = new Batcher({ maxRecords: 3, maxBytes: 1_000_000, lingerMs: 1000 });
    expect(b.add('t:0', 1, record(0, 0), 0)).toBeNull();
    expect(b.add('t:0', 1, record(0, 1), 0)).toBeNull();
    const full = b.add('t:0', 1, record(0, 2), 0);
    expect(offsets(full)).toEqual([0, 1, 2]);
    expect(full).toMatchObject({ topic: 't', partition: 0, lane: 't:0', epoch: 1, bytes: 30, openedAt: 0 });
    expect(b.openCount).toBe(0);
    // The next record opens a new batch with a new id.
    expect(b.add('t:0', 1, record(0, 3), 5)).toBeNull();
    const rest = b.takeAll();
    expect(offsets(rest[0]!)).toEqual([3]);
    expect(rest[0]!.id).not.toBe(full!.id);
  });

  it('flushes a lane when it reaches maxBytes', () => {
    const b = new Batcher({ maxRecords: 100, maxBytes: 250, lingerMs: 1000 });
    expect(b.add('t:0', 1, record(0, 0, 100), 0)).toBeNull();
    expect(b.add('t:0', 1, record(0, 1, 100), 0)).toBeNull();
    const full = b.add('t:0', 1, record(0, 2, 100), 0);
    expect(offsets(full)).toEqual([0, 1, 2]);
    expect(full!.bytes).toBe(300);
    // One record over the bound is a batch on its own.
    expect(offsets(b.add('t:0', 1, record(0, 3, 500), 0))).toEqual([3]);
  });

  it('keeps lanes apart', () => {
    const b = new Batcher({ maxRecords: 2, maxBytes: 1_000_000, lingerMs: 1000 });
    expect(b.add('t:0', 1, record(0, 0), 0)).toBeNull();
    expect(b.add('t:1', 1, record(1, 0), 0)).toBeNull();
    expect(b.openCount).toBe(2);
    const full = b.add('t:1', 1, record(1, 1), 0);
    expect(full).toMatchObject({ lane: 't:1', partition: 1 });
    expect(offsets(full)).toEqual([0, 1]);
    expect(b.openCount).toBe(1);
  });

  it('takeDue returns batches whose linger time passed, by a fake clock', () => {
    const b = new Batcher({ maxRecords: 100, maxBytes: 1_000_000, lingerMs: 50 });
    expect(b.nextDeadline()).toBeUndefined();
    b.add('t:0', 1, record(0, 0), 1000);
    b.add('t:1', 1, record(1, 0), 1020);
    // A later record does not extend its batch's deadline.
    b.add('t:0', 1, record(0, 1), 1040);
    expect(b.nextDeadline()).toBe(1050);
    expect(b.takeDue(1049)).toEqual([]);
    const due = b.takeDue(1050);
    expect(due.map((x) => x.lane)).toEqual(['t:0']);
    expect(offsets(due[0]!)).toEqual([0, 1]);
    expect(b.nextDeadline()).toBe(1070);
    expect(b.takeDue(1069)).toEqual([]);
    expect(b.takeDue(2000).map((x) => x.lane)).toEqual(['t:1']);
    expect(b.nextDeadline()).toBeUndefined();
    expect(b.openCount).toBe(0);
  });

  it('lingerMs 0 makes every open batch due at once', () => {
    const b = new Batcher({ maxRecords: 100, maxBytes: 1_000_000, lingerMs: 0 });
    b.add('t:0', 1, record(0, 0), 7);
    expect(b.nextDeadline()).toBe(7);
    expect(b.takeDue(7)).toHaveLength(1);
  });

  it('takeAll takes every open batch, or only those matching the filter', () => {
    const b = new Batcher({ maxRecords: 100, maxBytes: 1_000_000, lingerMs: 1000 });
    b.add('t:0', 1, record(0, 0), 0);
    b.add('t:1', 1, record(1, 0), 0);
    b.add('t:2', 1, record(2, 0), 0);
    const revoked = b.takeAll((batch) => batch.partition === 1);
    expect(revoked.map((x) => x.lane)).toEqual(['t:1']);
    expect(b.openCount).toBe(2);
    expect(
      b
        .takeAll()
        .map((x) => x.lane)
        .sort(),
    ).toEqual(['t:0', 't:2']);
    expect(b.openCount).toBe(0);
    expect(b.takeAll()).toEqual([]);
  });

  it('hands back the old batch first when a new epoch arrives for the same lane, never mixing epochs', () => {
    const b = new Batcher({ maxRecords: 3, maxBytes: 1_000_000, lingerMs: 1000 });
    b.add('t:0', 1, record(0, 10), 0);
    b.add('t:0', 1, record(0, 11), 0);
    const stale = b.add('t:0', 2, record(0, 5), 100);
    expect(stale).not.toBeNull();
    expect(stale!.epoch).toBe(1);
    expect(offsets(stale)).toEqual([10, 11]);
    expect(b.openCount).toBe(1);
    // The new epoch's batch opened with the triggering record at the new time.
    expect(b.nextDeadline()).toBe(1100);
    expect(b.add('t:0', 2, record(0, 6), 100)).toBeNull();
    const fresh = b.add('t:0', 2, record(0, 7), 100);
    expect(fresh!.epoch).toBe(2);
    expect(offsets(fresh)).toEqual([5, 6, 7]);
    expect(fresh!.records.every((r) => [5, 6, 7].includes(r.offset))).toBe(true);
  });

  it('gives each batch a distinct, increasing id', () => {
    const b = new Batcher({ maxRecords: 1, maxBytes: 1_000_000, lingerMs: 1000 });
    const ids = [0, 1, 2, 3].map((o) => b.add('t:0', 1, record(0, o), 0)!.id);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it('with a sizer, cuts a lane at the sizer limit and reports how each batch was cut', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxRecords: 100, initialRecords: 2 });
    // A cheap cost is known, so the limit may grow up to maxRecords.
    sizer.observe('t:0', 1, 0.001);
    const b = new Batcher({ maxRecords: 100, maxBytes: 1_000_000, lingerMs: 10 }, sizer);
    expect(b.add('t:0', 1, record(0, 0), 0)).toBeNull();
    expect(offsets(b.add('t:0', 1, record(0, 1), 0))).toEqual([0, 1]);
    // Filled: the limit doubled.
    expect(sizer.limit('t:0')).toBe(4);
    for (let o = 2; o < 5; o++) expect(b.add('t:0', 1, record(0, o), 0)).toBeNull();
    expect(offsets(b.add('t:0', 1, record(0, 5), 0))).toEqual([2, 3, 4, 5]);
    expect(sizer.limit('t:0')).toBe(8);
    // Cut by linger with 1 record while the pool is busy: kept; with an idle thread: halved.
    b.add('t:0', 1, record(0, 6), 20);
    expect(offsets(b.takeDue(30, true)[0]!)).toEqual([6]);
    expect(sizer.limit('t:0')).toBe(8);
    b.add('t:0', 1, record(0, 7), 40);
    expect(offsets(b.takeDue(50)[0]!)).toEqual([7]);
    expect(sizer.limit('t:0')).toBe(4);
    // batchMaxRecords stays the upper bound whatever the sizer says.
    const capped = new Batcher(
      { maxRecords: 3, maxBytes: 1_000_000, lingerMs: 10 },
      new BatchSizer({ targetMs: 5, maxRecords: 1000 }),
    );
    capped.add('t:0', 1, record(0, 0), 0);
    capped.add('t:0', 1, record(0, 1), 0);
    expect(offsets(capped.add('t:0', 1, record(0, 2), 0))).toEqual([0, 1, 2]);
  });
});
