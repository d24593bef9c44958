/**
 * Keyed state consistency: no two in-flight batches of one partition share a key. A batch
 * whose keys overlap a running batch of its partition, or a batch waiting ahead of it, waits;
 * batches with disjoint keys run side by side. Waiting batches start in arrival order per key.
 */
import type { PartitionId } from '../types.js';

interface Waiting<T> {
  keys: ReadonlySet<string>;
  item: T;
}

interface PartitionLocks<T> {
  /** Keys of running batches, with how many hold each (a batch holds each of its keys once). */
  held: Map<string, number>;
  waiting: Waiting<T>[];
}

export class KeyLocks<T> {
  private readonly partitions = new Map<PartitionId, PartitionLocks<T>>();
  private waitingCount = 0;

  /** Batches waiting for a key now, across partitions. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Takes the keys and returns true, or queues `item` (false) behind the batches it overlaps. */
  acquire(partition: PartitionId, keys: ReadonlySet<string>, item: T): boolean {
    const p = this.locks(partition);
    if (!overlaps(keys, p.held) && !p.waiting.some((w) => intersects(keys, w.keys))) {
      take(p.held, keys);
      return true;
    }
    p.waiting.push({ keys, item });
    this.waitingCount++;
    return false;
  }

  /** A batch finished: frees its keys and returns the waiting items that now hold theirs, in order. */
  release(partition: PartitionId, keys: ReadonlySet<string>): T[] {
    const p = this.partitions.get(partition);
    if (!p) return [];
    for (const k of keys) {
      const n = (p.held.get(k) ?? 0) - 1;
      if (n > 0) p.held.set(k, n);
      else p.held.delete(k);
    }
    const started: T[] = [];
    const still: Waiting<T>[] = [];
    for (const w of p.waiting) {
      // A waiting batch may not pass one ahead of it that shares a key.
      if (!overlaps(w.keys, p.held) && !still.some((s) => intersects(w.keys, s.keys))) {
        take(p.held, w.keys);
        started.push(w.item);
      } else still.push(w);
    }
    this.waitingCount -= p.waiting.length - still.length;
    p.waiting = still;
    if (p.held.size === 0 && still.length === 0) this.partitions.delete(partition);
    return started;
  }

  /** Removes the waiting items of matching partitions (revoked or re-positioned) and returns them. */
  dropWaiting(match: (partition: PartitionId) => boolean): T[] {
    const dropped: T[] = [];
    for (const [id, p] of this.partitions) {
      if (!match(id)) continue;
      for (const w of p.waiting) dropped.push(w.item);
      this.waitingCount -= p.waiting.length;
      p.waiting = [];
      if (p.held.size === 0) this.partitions.delete(id);
    }
    return dropped;
  }

  private locks(partition: PartitionId): PartitionLocks<T> {
    let p = this.partitions.get(partition);
    if (!p) {
      p = { held: new Map(), waiting: [] };
      this.partitions.set(partition, p);
    }
    return p;
  }
}

function overlaps(keys: ReadonlySet<string>, held: ReadonlyMap<string, number>): boolean {
  for (const k of keys) if (held.has(k)) return true;
  return false;
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const k of small) if (large.has(k)) return true;
  return false;
}

function take(held: Map<string, number>, keys: ReadonlySet<string>): void {
  for (const k of keys) held.set(k, (held.get(k) ?? 0) + 1);
}
