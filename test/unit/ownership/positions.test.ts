/**
 * Positions decide, per partition, whether a consumed record goes on, is held (exactly-once
 * start check) or is dropped until a seek lands ("from offset X on").
 */
import { Positions } from '../../../src/ownership/positions';

const rec = (offset: number) => ({ offset });

describe('Positions: live partitions', () => {
  it('accepts everything of a partition with no entry', () => {
    const p = new Positions<{ offset: number }>(10);
    expect(p.size).toBe(0);
    expect(p.admit('t:0', rec(5))).toBe('accept');
  });
});

describe('Positions: start check', () => {
  it('holds records until the committed offset is known, then releases them when the first sits there', () => {
    const p = new Positions<{ offset: number }>(10);
    const token = p.check('t:0');
    expect(p.admit('t:0', rec(40))).toBe('hold');
    expect(p.admit('t:0', rec(41))).toBe('hold');
    expect(p.settleCheck('t:0', 40, token).map((r) => r.offset)).toEqual([40, 41]);
    expect(p.size).toBe(0);
    expect(p.admit('t:0', rec(42))).toBe('accept');
    expect(p.takeMoves()).toEqual([]);
  });

  it('seeks to the committed offset when the consumer started elsewhere (auto.offset.reset after UNSTABLE_OFFSET_COMMIT)', () => {
    const p = new Positions<{ offset: number }>(10);
    const token = p.check('t:0');
    expect(p.admit('t:0', rec(0))).toBe('hold');
    expect(p.settleCheck('t:0', 500, token)).toEqual([]);
    expect(p.targetOf('t:0')).toBe(500);
    expect(p.takeMoves()).toEqual([{ id: 't:0', startedAt: 0, committed: 500 }]);
    // Leftovers of the stream before the seek are dropped, whatever their offset.
    expect(p.admit('t:0', rec(1))).toBe('drop');
    expect(p.admit('t:0', rec(500))).toBe('drop');
    const due = p.due();
    expect(due).toEqual([{ id: 't:0', offset: 500, generation: expect.any(Number) }]);
    p.done(due);
    expect(p.admit('t:0', rec(500))).toBe('accept');
  });

  it('with no committed offset, wherever the consumer started is right', () => {
    const p = new Positions<{ offset: number }>(10);
    const token = p.check('t:0');
    p.admit('t:0', rec(7));
    expect(p.settleCheck('t:0', null, token).map((r) => r.offset)).toEqual([7]);
  });

  it('compares the first record that arrives after the offset became known', () => {
    const p = new Positions<{ offset: number }>(10);
    const token = p.check('t:0');
    expect(p.settleCheck('t:0', 20, token)).toEqual([]);
    expect(p.isChecking('t:0')).toBe(true);
    expect(p.admit('t:0', rec(20))).toBe('accept');
    expect(p.size).toBe(0);

    const other = p.check('t:1');
    p.settleCheck('t:1', 20, other);
    // This record is what tells the start check to seek; the ones after it are just dropped.
    expect(p.admit('t:1', rec(3))).toBe('seek');
    expect(p.admit('t:1', rec(4))).toBe('drop');
    expect(p.targetOf('t:1')).toBe(20);
  });

  it('beyond the hold bound it drops and seeks back to the first offset it saw', () => {
    const p = new Positions<{ offset: number }>(2);
    const token = p.check('t:0');
    for (const o of [10, 11, 12, 13]) expect(p.admit('t:0', rec(o))).toBe('hold');
    expect(p.settleCheck('t:0', 10, token)).toEqual([]);
    expect(p.targetOf('t:0')).toBe(10);
    expect(p.takeMoves()).toEqual([]);
  });

  it('ignores the answer of an older check of a partition assigned again', () => {
    const p = new Positions<{ offset: number }>(10);
    const old = p.check('t:0');
    p.forget('t:0');
    const current = p.check('t:0');
    p.admit('t:0', rec(3));
    expect(p.settleCheck('t:0', 99, old)).toEqual([]);
    expect(p.isChecking('t:0', current)).toBe(true);
    expect(p.isChecking('t:0', old)).toBe(false);
  });
});

describe('Positions: seeking', () => {
  it('takes the first dropped offset as the target when none was known', () => {
    const p = new Positions<{ offset: number }>(10);
    p.seek('t:0', -1);
    expect(p.targetOf('t:0')).toBe(-1);
    expect(p.admit('t:0', rec(33))).toBe('drop');
    expect(p.admit('t:0', rec(34))).toBe('drop');
    expect(p.targetOf('t:0')).toBe(33);
  });

  it('a partition that fetched nothing needs no seek and goes live when the pass is done', () => {
    const p = new Positions<{ offset: number }>(10);
    p.seek('t:0', -1);
    const due = p.due();
    expect(due.map((d) => d.offset)).toEqual([-1]);
    p.done(due);
    expect(p.admit('t:0', rec(0))).toBe('accept');
  });

  it("the start check's seeks can be taken apart from a re-positioning's", () => {
    const p = new Positions<{ offset: number }>(10);
    const token = p.check('t:0');
    p.admit('t:0', rec(0));
    p.settleCheck('t:0', 40, token);
    p.seek('t:1', 7);
    expect(p.due('start').map((d) => d.id)).toEqual(['t:0']);
    expect(p.due('reposition').map((d) => d.id)).toEqual(['t:1']);
    expect(p.due().map((d) => d.id)).toEqual(['t:0', 't:1']);
  });

  it('a seek that finishes after the partition was re-targeted does not end the newer one', () => {
    const p = new Positions<{ offset: number }>(10);
    p.seek('t:0', 10);
    const first = p.due();
    p.seek('t:0', 5);
    p.done(first);
    expect(p.targetOf('t:0')).toBe(5);
    expect(p.admit('t:0', rec(10))).toBe('drop');
    p.done(p.due());
    expect(p.admit('t:0', rec(5))).toBe('accept');
  });
});
