/**
 * One in-flight batch's keyed state on the main thread: the values its keys had when it was
 * dispatched, updated by each successful attempt, so that when a failed batch is retried record
 * by record, each record sees what the records before it left. Its changes go to the store and
 * the changelog once the batch is done.
 */
import type { StateEntries } from '../dispatch/task.js';
import type { ConsumedRecord } from '../types.js';
import { stateKey } from './state-store.js';

export class BatchStateView {
  private readonly values: Map<string, string | null>;
  private readonly changed = new Map<string, number>();

  constructor(entries: StateEntries) {
    this.values = new Map(entries);
  }

  /** What a worker running `records` gets: the current value of each of their keys. */
  entriesFor(records: readonly ConsumedRecord[]): StateEntries {
    const out: StateEntries = [];
    const seen = new Set<string>();
    for (const r of records) {
      const k = stateKey(r.key);
      if (k === null || seen.has(k)) continue;
      seen.add(k);
      out.push([k, this.values.get(k) ?? null]);
    }
    return out;
  }

  /** A successful attempt over `records` made these changes; each key is credited to its last record. */
  merge(records: readonly ConsumedRecord[], changes: StateEntries): void {
    if (changes.length === 0) return;
    const lastOffset = new Map<string, number>();
    for (const r of records) {
      const k = stateKey(r.key);
      if (k !== null) lastOffset.set(k, r.offset);
    }
    for (const [k, v] of changes) {
      this.values.set(k, v);
      this.changed.set(k, lastOffset.get(k) ?? -1);
    }
  }

  /** Final values of the keys the batch changed (null: deleted). */
  changes(): StateEntries {
    const out: StateEntries = [];
    for (const k of this.changed.keys()) out.push([k, this.values.get(k) ?? null]);
    return out;
  }

  /** Input offset that last changed each key. */
  get offsets(): ReadonlyMap<string, number> {
    return this.changed;
  }
}
