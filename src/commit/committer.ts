/**
 * Commits each owned partition's commit point (PartitionState: the highest contiguous
 * completed offset + 1): asynchronously on an interval, synchronously on revoke and shutdown
 * where the result must be known. Exactly-once commits go through the transaction instead, and
 * report back here with markCommitted().
 */
import { errorMessage } from '../errors.js';
import { ERR_ILLEGAL_GENERATION, ERR_REBALANCE_IN_PROGRESS, errorCode } from '../kafka/error-codes.js';
import type { Emit } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { Source, TopicPartition } from '../source/source.js';
import { type PartitionId, partitionId } from '../types.js';

/** A commit answered later than this is logged. */
const SLOW_COMMIT_MS = 1_000;
/** First and longest wait between tries of a final commit the group refused during a rebalance. */
const FINAL_RETRY_FIRST_MS = 50;
const FINAL_RETRY_MAX_MS = 1_000;
const REFUSED_DURING_REBALANCE = new Set([ERR_ILLEGAL_GENERATION, ERR_REBALANCE_IN_PROGRESS]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

  /**
   * Commit points that moved since their last commit (or whose commit failed), of `ids` or every
   * owned partition; with `all`, every known commit point, whatever was committed before.
   */
  pending(ids?: readonly PartitionId[], all = false): CommitPosition[] {
    const { registry } = this.o;
    const out: CommitPosition[] = [];
    const states = ids ? ids.map((id) => registry.get(id)) : [...registry.states()];
    for (const s of states) {
      if (!s) continue;
      const offset = all ? s.commitPoint() : s.pendingCommit();
      if (offset !== null) out.push({ topic: s.topic, partition: s.partition, offset });
    }
    return out;
  }

  /**
   * The last commit of partitions about to be handed over (revoke) or left (shutdown), by
   * `deadline` (epoch ms). Every commit point is sent, not only those that moved: an interval
   * commit marked done may still be refused. A refusal because the group is rebalancing
   * (another member joining or leaving) is retried with backoff until the deadline, since the
   * next owner would otherwise re-read everything since the last accepted commit. Resolves
   * whether the commit was accepted.
   */
  async commitFinal(ids: readonly PartitionId[] | undefined, deadline: number): Promise<boolean> {
    const source = this.o.source();
    const offsets = this.pending(ids, true);
    if (offsets.length === 0 || !source) return true;
    let waitMs = FINAL_RETRY_FIRST_MS;
    for (let tries = 1; ; tries++) {
      const started = Date.now();
      try {
        source.commitSync(offsets);
        this.markCommitted(offsets);
        this.recordLatency(Date.now() - started, offsets.length);
        if (tries > 1) this.o.logger.info({ tries, offsets }, 'offset commit accepted after the rebalance');
        return true;
      } catch (error) {
        this.o.metrics.commitFailures.inc();
        const code = errorCode(error);
        if (code === undefined || !REFUSED_DURING_REBALANCE.has(code) || Date.now() + waitMs > deadline) {
          // ERR__STATE: the partitions are no longer ours (lost assignment); the owner re-reads them.
          this.o.logger.warn({ err: errorMessage(error), offsets, tries }, 'synchronous offset commit failed');
          return false;
        }
        if (tries === 1) {
          this.o.logger.info(
            { err: errorMessage(error), offsets },
            'offset commit refused while the group rebalances; retrying until it is accepted',
          );
        }
        await sleep(waitMs);
        waitMs = Math.min(waitMs * 2, FINAL_RETRY_MAX_MS);
      }
    }
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
