/**
 * Groups consumed records into batches per lane by count, bytes and linger time. Pure: the
 * engine passes the clock in and arms one timer for nextDeadline(). With a BatchSizer, a lane's
 * count limit is the sizer's (at most maxRecords), and the batcher tells it how each batch was cut.
 */
import type { ConsumedRecord } from '../types.js';
import type { BatchSizer } from './batch-sizer.js';

/** Batch ids are unique within the process. */
let nextBatchId = 1;

export interface Batch {
  readonly id: number;
  readonly topic: string;
  readonly partition: number;
  readonly lane: string;
  readonly epoch: number;
  readonly records: ConsumedRecord[];
  bytes: number;
  /** Clock time of the first record's arrival, for linger and queue-wait figures. */
  readonly openedAt: number;
}

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
  lingerMs: number;
}

export class Batcher {
  private readonly open = new Map<string, Batch>();

  constructor(
    private readonly limits: BatchLimits,
    private readonly sizer?: BatchSizer,
  ) {}

  /** Adds a record; returns the lane's batch when it is full (count or bytes), else null. */
  add(lane: string, epoch: number, record: ConsumedRecord, now: number): Batch | null {
    let batch = this.open.get(lane);
    if (batch && batch.epoch !== epoch) {
      // A new assignment epoch never shares a batch with the old one; hand the old one back first.
      this.open.delete(lane);
      const stale = batch;
      batch = undefined;
      this.open.set(lane, this.newBatch(lane, epoch, record, now));
      return this.afterAdd(lane, stale);
    }
    if (!batch) {
      batch = this.newBatch(lane, epoch, record, now);
      this.open.set(lane, batch);
    } else {
      batch.records.push(record);
      batch.bytes += record.size;
    }
    return this.afterAdd(lane, null);
  }

  private afterAdd(lane: string, stale: Batch | null): Batch | null {
    if (stale) return stale;
    const batch = this.open.get(lane)!;
    const n = batch.records.length;
    if (this.sizer) {
      if (n >= Math.min(this.limits.maxRecords, this.sizer.limit(lane))) {
        this.sizer.filled(lane);
        this.open.delete(lane);
        return batch;
      }
    } else if (n >= this.limits.maxRecords) {
      this.open.delete(lane);
      return batch;
    }
    if (batch.bytes >= this.limits.maxBytes) {
      this.open.delete(lane);
      return batch;
    }
    return null;
  }

  private newBatch(lane: string, epoch: number, record: ConsumedRecord, now: number): Batch {
    return {
      id: nextBatchId++,
      topic: record.topic,
      partition: record.partition,
      lane,
      epoch,
      records: [record],
      bytes: record.size,
      openedAt: now,
    };
  }

  /** Batches whose linger time has passed; `poolBusy` is passed on to the sizer (see BatchSizer.lingered). */
  takeDue(now: number, poolBusy = false): Batch[] {
    const due: Batch[] = [];
    for (const [lane, batch] of this.open) {
      if (now - batch.openedAt >= this.limits.lingerMs) {
        this.open.delete(lane);
        this.sizer?.lingered(lane, batch.records.length, poolBusy);
        due.push(batch);
      }
    }
    return due;
  }

  /** Every open batch matching the filter (all by default), e.g. on revoke or shutdown. */
  takeAll(filter: (batch: Batch) => boolean = () => true): Batch[] {
    const out: Batch[] = [];
    for (const [lane, batch] of this.open) {
      if (filter(batch)) {
        this.open.delete(lane);
        out.push(batch);
      }
    }
    return out;
  }

  /** Earliest time a linger deadline falls due, or undefined when nothing is open. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const batch of this.open.values()) {
      const due = batch.openedAt + this.limits.lingerMs;
      if (earliest === undefined || due < earliest) earliest = due;
    }
    return earliest;
  }

  get openCount(): number {
    return this.open.size;
  }
}
