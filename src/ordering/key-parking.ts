/**
 * Key mode: a record whose retries are running parks its key. Records of that key that finish
 * later wait behind it in a per-key queue, in input order, while other keys of the partition
 * keep flowing; when the parked record is done (succeeded or used up its retries) the queue
 * releases it and everything behind it that is ready, stopping at the next record still being
 * retried (which parks the key again). A key with no queue is not parked: its records are
 * emitted directly. Entries are never complete while queued, so the partition's commit point
 * (PartitionState) cannot pass a parked record.
 */
import { InvariantViolation } from '../errors.js';

export interface ParkingEntry<T> {
  readonly partition: string;
  readonly key: string;
  /** The record's offset, for logs and the status of parked keys. */
  readonly offset: number;
  item: T;
  ready: boolean;
  /** Set when its partition was dropped; resolving it then releases nothing. */
  dropped: boolean;
}

/** A stable map key for a record key (null keys form one key of their own). */
export function keyId(key: Buffer | null): string {
  return key === null ? '\u0000' : `k${key.toString('latin1')}`;
}

export class KeyParking<T> {
  /** partition → key → queue (head first). Only parked keys have a queue. */
  private readonly queues = new Map<string, Map<string, ParkingEntry<T>[]>>();
  private parkedKeys = 0;

  /** True when some key of the partition is parked (lets the engine skip per-record look-ups). */
  hasParked(partition: string): boolean {
    return this.queues.has(partition);
  }

  isParked(partition: string, key: string): boolean {
    return this.queues.get(partition)?.has(key) ?? false;
  }

  /** Number of parked keys over all partitions. */
  get size(): number {
    return this.parkedKeys;
  }

  /**
   * Queues a record behind its key. A record still being retried (`ready` false) parks the key;
   * a ready record is only queued when its key is parked (else the caller emits it directly).
   */
  enqueue(partition: string, key: string, offset: number, item: T, ready: boolean): ParkingEntry<T> {
    let keys = this.queues.get(partition);
    const queue = keys?.get(key);
    if (!queue && ready) throw new InvariantViolation('queued a ready record behind a key that is not parked', { key });
    const entry: ParkingEntry<T> = { partition, key, offset, item, ready, dropped: false };
    if (queue) {
      const last = queue[queue.length - 1]!;
      if (offset <= last.offset)
        throw new InvariantViolation('parked records must be queued in offset order', { offset, last: last.offset });
      queue.push(entry);
      return entry;
    }
    if (!keys) {
      keys = new Map();
      this.queues.set(partition, keys);
    }
    keys.set(key, [entry]);
    this.parkedKeys++;
    return entry;
  }

  /**
   * Marks a parked record done and returns the entries now released from its key's queue, in
   * order (empty when an earlier record of the key is still being retried). The key stays
   * parked while its queue holds a record still being retried.
   */
  resolve(entry: ParkingEntry<T>, item: T): ParkingEntry<T>[] {
    if (entry.dropped) return [];
    if (entry.ready) throw new InvariantViolation('parked record resolved twice', { offset: entry.offset });
    entry.item = item;
    entry.ready = true;
    const keys = this.queues.get(entry.partition);
    const queue = keys?.get(entry.key);
    if (!keys || !queue) throw new InvariantViolation('resolved a record of a key that is not parked', {});
    let n = 0;
    while (n < queue.length && queue[n]!.ready) n++;
    const released = queue.splice(0, n);
    if (queue.length === 0) {
      keys.delete(entry.key);
      this.parkedKeys--;
      if (keys.size === 0) this.queues.delete(entry.partition);
    }
    return released;
  }

  /** The head offset of every parked key of a partition (the records being retried). */
  parkedOffsets(partition: string): number[] {
    const keys = this.queues.get(partition);
    return keys ? [...keys.values()].map((q) => q[0]!.offset).sort((a, b) => a - b) : [];
  }

  /** Drops the queues of partitions matching `match` (revoked, or rewound); returns their entries. */
  drop(match: (partition: string) => boolean): ParkingEntry<T>[] {
    const dropped: ParkingEntry<T>[] = [];
    for (const [partition, keys] of this.queues) {
      if (!match(partition)) continue;
      for (const queue of keys.values()) {
        for (const e of queue) e.dropped = true;
        dropped.push(...queue);
        this.parkedKeys--;
      }
      this.queues.delete(partition);
    }
    return dropped;
  }
}
