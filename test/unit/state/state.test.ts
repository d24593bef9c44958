/**
 * Keyed state's pure parts: the store, a batch's state as failed batches are retried record by
 * record, the worker's view of its batch's keys, and Kafka's default partitioner.
 */
import { BatchStateView } from '../../../src/state/batch-state-view';
import { keyPartition, murmur2 } from '../../../src/state/murmur2';
import { StateStore, stateKey } from '../../../src/state/state-store';
import type { ConsumedRecord } from '../../../src/types';
import { BatchState } from '../../../workers/batch-state';

const rec = (offset: number, key: string | null): ConsumedRecord => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 0,
  key: key === null ? null : Buffer.from(key),
  value: null,
  headers: undefined,
  size: 0,
});

describe('StateStore', () => {
  it('hands out the values of a batch keys, applies changes and deletes, and forgets a partition', () => {
    const store = new StateStore('levels', 'g-levels-changelog');
    const records = [rec(1, 'a'), rec(2, 'b'), rec(3, 'a'), rec(4, null)];
    const keys = store.keysOf(records);
    expect([...keys]).toEqual(['a', 'b']);
    expect(store.entries('t:0', keys)).toEqual([
      ['a', null],
      ['b', null],
    ]);
    store.apply('t:0', [['a', '5']], new Map([['a', 3]]));
    expect(store.get('t:0', 'a')).toEqual({ json: '5', sourceOffset: 3 });
    expect(store.size).toBe(1);
    store.apply('t:0', [['a', null]], new Map());
    expect(store.get('t:0', 'a')).toBeUndefined();
    store.apply('t:1', [['x', '1']], new Map());
    store.drop('t:1');
    expect(store.size).toBe(0);
  });

  it('forgets the partitions a revoke names', () => {
    const store = new StateStore('levels', 'g-levels-changelog');
    store.apply('t:0', [['a', '1']], new Map());
    store.apply('t:1', [['b', '2']], new Map());
    store.dropWhere((id) => id === 't:0');
    expect(store.get('t:0', 'a')).toBeUndefined();
    expect(store.get('t:1', 'b')).toEqual({ json: '2', sourceOffset: -1 });
  });

  it('keys are the key bytes, losslessly, including non-UTF-8 bytes', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x80]);
    expect(Buffer.from(stateKey(bytes)!, 'latin1')).toEqual(bytes);
    expect(stateKey(null)).toBeNull();
  });
});

describe('BatchStateView', () => {
  it('threads changes through record-by-record retries and credits each key to its last record', () => {
    const view = new BatchStateView([
      ['a', '1'],
      ['b', null],
    ]);
    const r1 = rec(10, 'a');
    const r2 = rec(11, 'a');
    const r3 = rec(12, 'b');
    expect(view.entriesFor([r1])).toEqual([['a', '1']]);
    view.merge([r1], [['a', '2']]);
    // The next record of the same key sees what the previous one left.
    expect(view.entriesFor([r2, r3])).toEqual([
      ['a', '2'],
      ['b', null],
    ]);
    view.merge([r2, r3], [['a', '3']]);
    expect(view.changes()).toEqual([['a', '3']]);
    expect(view.offsets.get('a')).toBe(11);
  });
});

describe('BatchState (worker side)', () => {
  it('gets, sets and deletes its own keys and reports the final changes', () => {
    const key = (s: string) => Buffer.from(s).toString('latin1');
    const state = new BatchState([
      [key('sku-1'), '{"WH-1":5}'],
      [key('sku-2'), null],
    ]);
    expect(state.get(Buffer.from('sku-1'))).toEqual({ 'WH-1': 5 });
    expect(state.get('sku-2')).toBeUndefined();
    state.set('sku-2', { 'WH-2': 1 });
    state.set(Buffer.from('sku-1'), { 'WH-1': 6 });
    state.delete('sku-1');
    expect(state.changes()).toEqual([
      [key('sku-2'), '{"WH-2":1}'],
      [key('sku-1'), null],
    ]);
  });

  it('refuses a key outside its batch with STATE_KEY_NOT_IN_BATCH', () => {
    const state = new BatchState([['a', null]]);
    expect(() => state.get('b')).toThrow(expect.objectContaining({ code: 'STATE_KEY_NOT_IN_BATCH' }));
    expect(() => state.set('b', 1)).toThrow(/not a key of this batch/);
    expect(() => state.set('a', undefined)).toThrow(TypeError);
  });

  it('a value set is copied, as the next batch would read it', () => {
    const state = new BatchState([['a', null]]);
    const value = { n: 1 };
    state.set('a', value);
    value.n = 2;
    expect(state.get('a')).toEqual({ n: 1 });
  });
});

describe('murmur2 (Kafka default partitioner)', () => {
  it("matches Kafka's own test vectors (UtilsTest.testMurmur2)", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, expected] of cases) expect(murmur2(Buffer.from(text))).toBe(expected);
  });

  it('maps a key to a partition in range', () => {
    for (let i = 0; i < 100; i++) {
      const p = keyPartition(Buffer.from(`key-${i}`), 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
    }
  });
});
