/**
 * Commits each owned partition's commit point (PartitionState: the highest contiguous
 * completed offset + 1): asynchronously on an interval, synchronously on revoke and shutdown
 * where the result must be known. Exactly-once commits go through the transaction instead, and
 * report back here with markCommitted().
 */
import { errorMessage } from '../errors.js';
import type { Emit } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { Source, TopicPartition } from '../source/source.js';
import { type PartitionId, partitionId } from '../types.js';

/** A commit answered later than this is logged. */
const SLOW_COMMIT_MS = 1_000;

export type CommitPosition = TopicPartition & { offset: number };

export interface CommitterOptions {
  registry: PartitionRegistry;
  source: () => Source | undefined;
  metrics: Metrics;
  logger: Logger;
  emit: Emit;
}

export class Committer {
  constructor(private readonly o: CommitterOptions) {}

  /** Commit points that moved since their last commit (or whose commit failed), of `ids` or every owned partition. */
  pending(ids?: readonly PartitionId[]): CommitPosition[] {
    const { registry } = this.o;
    const out: CommitPosition[] = [];
    const states = ids ? ids.map((id) => registry.get(id)) : [...registry.states()];
    for (const s of states) {
      if (!s) continue;
      const offset = s.pendingCommit();
      if (offset !== null) out.push({ topic: s.topic, partition: s.partition, offset });
    }
    return out;
  }

  /** The interval commit: asynchronous, answered through onCommitted(). */
  commitAsync(): void {
    const source = this.o.source();
    const offsets = this.pending();
    if (offsets.length === 0 || !source) return;
    try {
      source.commit(offsets);
      this.markCommitted(offsets);
    } catch (error) {
      this.o.metrics.commitFailures.inc();
      this.o.logger.warn({ err: errorMessage(error) }, 'offset commit failed; retried on the next interval');
    }
  }

  /** Synchronous commit (revoke, shutdown, producer recovery) of `ids` or every owned partition. */
  commitSync(ids?: readonly PartitionId[]): void {
    const source = this.o.source();
    const offsets = this.pending(ids);
    if (offsets.length === 0 || !source) return;
    const started = Date.now();
    try {
      source.commitSync(offsets);
      this.markCommitted(offsets);
      this.recordLatency(Date.now() - started, offsets.length);
    } catch (error) {
      // ERR__STATE: the partitions are no longer ours (lost assignment); the owner re-reads them.
      this.o.metrics.commitFailures.inc();
      this.o.logger.warn({ err: errorMessage(error), offsets }, 'synchronous offset commit failed');
    }
  }

  /** Offsets now committed (by this committer or by a transaction). */
  markCommitted(offsets: readonly CommitPosition[]): void {
    const { registry } = this.o;
    for (const o of offsets) registry.get(partitionId(o.topic, o.partition))?.markCommitted(o.offset);
    if (offsets.length === 0) return;
    this.o.metrics.commits.inc();
    this.o.emit('committed', offsets);
  }

  /** The consumer's answer to an asynchronous commit (durationMs 0: one this committer did not time). */
  onCommitted(err: unknown, durationMs: number, offsets: ReadonlyArray<TopicPartition & { offset?: number }>): void {
    if (durationMs > 0) this.recordLatency(durationMs);
    if (!err) return;
    this.o.metrics.commitFailures.inc();
    // Offered again on the next interval, even if nothing new was acknowledged meanwhile.
    for (const o of offsets) {
      if (o.offset !== undefined) this.o.registry.get(partitionId(o.topic, o.partition))?.commitFailed(o.offset);
    }
    this.o.logger.warn({ err: errorMessage(err) }, 'offset commit failed; retried on the next interval');
  }

  private recordLatency(ms: number, partitions?: number): void {
    this.o.metrics.commitLatency.observe(ms / 1000);
    if (ms > SLOW_COMMIT_MS) this.o.logger.warn({ ms: Math.round(ms), partitions }, 'slow offset commit');
  }
}
