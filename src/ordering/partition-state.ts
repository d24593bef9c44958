/**
 * The one place that computes a partition's commit point: the lowest consumed offset not yet
 * complete, or one past the highest consumed offset when everything is complete (Parallel
 * Consumer's PartitionState). Offsets are tracked in consumption order, which Kafka guarantees
 * to be increasing within a partition; gaps (compaction, transaction markers) are fine.
 */
import { InvariantViolation } from '../errors.js';

export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Assignment epoch: bumped on every assign, carried by every batch of this partition. */
  readonly epoch: number;
  private offsets: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  private lastTracked = -1;
  private firstTracked = -1;
  private lastCommitted: number;
  /** An asynchronous commit of this offset failed; it is offered again until one succeeds. */
  private commitFailedAt: number | null = null;

  /**
   * `nextOffset`: after a re-positioning (ownership/repositioner.ts), the offset consumption
   * restarts at; offsets below it belong to an earlier epoch and are not accepted again.
   */
  constructor(topic: string, partition: number, epoch: number, committed = -1, nextOffset?: number) {
    this.topic = topic;
    this.partition = partition;
    this.epoch = epoch;
    this.lastCommitted = committed;
    if (nextOffset !== undefined) this.lastTracked = nextOffset - 1;
  }

  /**
   * Whether a consumed offset is new to this state. librdkafka never re-delivers below its
   * position, but a replay must not be tracked twice.
   */
  accepts(offset: number): boolean {
    return offset > this.lastTracked;
  }

  /** Registers a consumed offset; it must be higher than every offset tracked before. */
  track(offset: number): void {
    if (offset <= this.lastTracked) {
      throw new InvariantViolation('offsets must be tracked in increasing order', {
        topic: this.topic,
        partition: this.partition,
        offset,
        lastTracked: this.lastTracked,
      });
    }
    if (this.firstTracked < 0) this.firstTracked = offset;
    this.offsets.push(offset);
    this.done.push(false);
    this.lastTracked = offset;
  }

  /**
   * Marks offsets complete (their outputs are acknowledged, or they were dead-lettered). A batch's
   * offsets come in increasing order and usually sit next to each other in the tracked list, so
   * each one is looked for right after the previous one before falling back to a binary search.
   */
  complete(offsets: ArrayLike<number>): void {
    let index = -1;
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      const next = index + 1;
      index =
        next >= this.head && next < this.offsets.length && this.offsets[next] === offset ? next : this.find(offset);
      if (this.done[index]) {
        throw new InvariantViolation('offset completed twice', { partition: this.partition, offset });
      }
      this.done[index] = true;
    }
    this.advance();
  }

  private find(offset: number): number {
    let lo = this.head;
    let hi = this.offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.offsets[mid]!;
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new InvariantViolation('completed an offset that is not pending', {
      topic: this.topic,
      partition: this.partition,
      offset,
    });
  }

  private advance(): void {
    while (this.head < this.offsets.length && this.done[this.head]) this.head++;
    // Compact now and then so memory follows the in-flight window, not the partition's history.
    if (this.head > 4096 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
  }

  /** Next offset to commit (Kafka commits "the next offset to read"), or null if nothing consumed. */
  commitPoint(): number | null {
    if (this.head < this.offsets.length) return this.offsets[this.head]!;
    return this.lastTracked >= 0 ? this.lastTracked + 1 : null;
  }

  /** Commit point if it moved past what was last committed (or that commit failed), else null. */
  pendingCommit(): number | null {
    const point = this.commitPoint();
    if (point === null) return null;
    return point > this.lastCommitted || (this.commitFailedAt !== null && point >= this.commitFailedAt) ? point : null;
  }

  markCommitted(offset: number): void {
    if (offset > this.lastCommitted) this.lastCommitted = offset;
    if (this.commitFailedAt !== null && offset >= this.commitFailedAt) this.commitFailedAt = null;
  }

  /**
   * The broker refused an asynchronous commit of `offset` (e.g. ILLEGAL_GENERATION during a
   * rebalance): pendingCommit() offers the commit point again even if it did not move, so an idle
   * partition does not keep an old committed offset for good.
   */
  commitFailed(offset: number): void {
    if (offset === this.lastCommitted) this.commitFailedAt = offset;
  }

  /** Highest offset tracked so far, -1 before the first. */
  get lastOffset(): number {
    return this.lastTracked;
  }

  /**
   * Where a re-read of this partition starts (exactly-once, after an abort): the last committed
   * offset, else the first offset consumed in this assignment (which is where the group's
   * committed position, or auto.offset.reset, put the consumer), else -1 (nothing consumed).
   */
  get rewindOffset(): number {
    return this.lastCommitted >= 0 ? this.lastCommitted : this.firstTracked;
  }

  get committed(): number {
    return this.lastCommitted;
  }

  /** Offsets consumed and not yet complete. */
  get pending(): number {
    let n = 0;
    for (let i = this.head; i < this.offsets.length; i++) if (!this.done[i]) n++;
    return n;
  }

  get idle(): boolean {
    return this.head === this.offsets.length;
  }
}
