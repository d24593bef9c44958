/**
 * Partition ownership: which partitions this instance owns, each one's assignment epoch and
 * commit-point tracker (PartitionState), and the flags the rebalance, backpressure, failure and
 * exactly-once paths set on it. Every batch carries the epoch it was consumed under; results of
 * an older epoch are dropped, never committed (Parallel Consumer's EpochAndRecordsMap).
 */
import type Kafka from 'node-rdkafka';
import { PartitionState } from '../ordering/partition-state.js';
import type { TopicPartition } from '../source/source.js';
import { type PartitionId, partitionId } from '../types.js';
import { Positions } from './positions.js';

/** Records held per partition while its exactly-once start check runs; beyond, they are re-read after a seek. */
const START_CHECK_HOLD_MAX = 5_000;

interface SettleWaiter {
  done: () => boolean;
  resolve: (settled: boolean) => void;
  timer: NodeJS.Timeout;
}

export class PartitionRegistry {
  private readonly owned = new Map<PartitionId, PartitionState>();
  private epochCounter = 0;
  /** Revoked partitions still draining: their records are no longer admitted. */
  readonly revoking = new Set<PartitionId>();
  /** Partitions backpressure has paused. */
  readonly paused = new Set<PartitionId>();
  /**
   * Exactly-once: revoked partitions whose last transaction is being committed. Results that
   * complete from now on are dropped: produced after that commit, they would commit later
   * without their offsets, and the next owner would produce them again.
   */
  readonly sealed = new Set<PartitionId>();
  /** onFailure fail: partitions halted at a failed record's offset (nothing at or past it goes on). */
  readonly haltedAt = new Map<PartitionId, number>();
  /** Live, checking (start check) or seeking, per partition. */
  readonly positions = new Positions<Kafka.Message>(START_CHECK_HOLD_MAX);
  /** True once the group coordinator answered with an assignment (possibly empty). */
  joined = false;
  private readonly waiters = new Set<SettleWaiter>();

  get size(): number {
    return this.owned.size;
  }

  get(id: PartitionId): PartitionState | undefined {
    return this.owned.get(id);
  }

  states(): IterableIterator<PartitionState> {
    return this.owned.values();
  }

  entries(): IterableIterator<[PartitionId, PartitionState]> {
    return this.owned.entries();
  }

  ids(): PartitionId[] {
    return [...this.owned.keys()];
  }

  /** Newly assigned partitions start a new epoch. */
  assign(tps: readonly TopicPartition[]): void {
    this.joined = true;
    for (const tp of tps) {
      const id = partitionId(tp.topic, tp.partition);
      this.owned.set(id, new PartitionState(tp.topic, tp.partition, ++this.epochCounter));
      this.revoking.delete(id);
    }
  }

  /**
   * A new epoch for an owned partition (re-positioning): results of the old one are dropped.
   * `nextOffset` is where consumption restarts, when known.
   */
  renew(id: PartitionId, nextOffset?: number): PartitionState | undefined {
    const old = this.owned.get(id);
    if (!old) return undefined;
    const next = new PartitionState(old.topic, old.partition, ++this.epochCounter, old.committed, nextOffset);
    this.owned.set(id, next);
    return next;
  }

  /** Forgets revoked partitions entirely. */
  release(ids: readonly PartitionId[]): void {
    for (const id of ids) {
      this.owned.delete(id);
      this.revoking.delete(id);
      this.sealed.delete(id);
      this.paused.delete(id);
      this.haltedAt.delete(id);
      this.positions.forget(id);
    }
    this.progress();
  }

  /** Whether a batch of `epoch` still belongs to the current assignment of its partition. */
  isCurrent(topic: string, partition: number, epoch: number): boolean {
    return this.owned.get(partitionId(topic, partition))?.epoch === epoch;
  }

  /**
   * Nothing left to wait for in `id`: all consumed offsets complete, or, halted by onFailure
   * fail, all offsets before the failed record complete.
   */
  settled(id: PartitionId): boolean {
    const s = this.owned.get(id);
    if (!s || s.idle) return true;
    const halt = this.haltedAt.get(id);
    return halt !== undefined && s.commitPoint() === halt;
  }

  /** Resolves true once every partition in `ids` settled, false if `timeoutMs` passed first. */
  whenSettled(ids: () => readonly PartitionId[], timeoutMs: number): Promise<boolean> {
    const done = () => ids().every((id) => this.settled(id));
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: SettleWaiter = {
        done,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(done());
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Records completed or were dropped: wakes drains whose partitions settled. */
  progress(): void {
    if (this.waiters.size === 0) return;
    for (const w of this.waiters) {
      if (!w.done()) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(true);
    }
  }

  /** Owned partitions, sorted, with their pause flag (the snapshot and status page read it). */
  list(): Array<{ topic: string; partition: number; paused: boolean }> {
    return [...this.owned]
      .map(([id, p]) => ({ topic: p.topic, partition: p.partition, paused: this.paused.has(id) }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }
}
