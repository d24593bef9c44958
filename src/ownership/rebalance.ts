/**
 * Rebalance callbacks. On assign: a new epoch per partition, the pause flag flow control wants,
 * and (exactly-once) the start check. On revoke: stop admitting the partitions' records, drain
 * their in-flight work by rebalanceDrainTimeoutMs, commit what is acknowledged (or commit the
 * open transaction), drop the rest, and only then let librdkafka hand them over.
 */
import type { Committer } from '../commit/committer.js';
import type { TurbineConfig } from '../config/load.js';
import type { Emit } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { TransactionCoordinator } from '../sink/transactions.js';
import type { Source, TopicPartition } from '../source/source.js';
import { type PartitionId, partitionId } from '../types.js';
import type { PartitionRegistry } from './partition-registry.js';
import type { StartCheck } from './start-check.js';

export interface RebalanceOptions {
  config: Pick<TurbineConfig, 'guarantee' | 'rebalanceDrainTimeoutMs'>;
  registry: PartitionRegistry;
  source: () => Source | undefined;
  /** True while flow control holds the consumer back (newly assigned partitions stay paused). */
  holdsPaused: () => boolean;
  startCheck: StartCheck;
  drain: (ids: () => readonly PartitionId[], timeoutMs: number) => Promise<boolean>;
  committer: Committer;
  /** Exactly-once: the transaction coordinator. */
  transactions: () => TransactionCoordinator | undefined;
  /** Drops the remaining work of matching partitions, learnt batch sizes included. */
  dropWork: (match: (id: PartitionId) => boolean) => void;
  metrics: Metrics;
  logger: Logger;
  emit: Emit;
}

/** After the drain, how long the commit of revoked partitions may be retried while the group rebalances. */
const REVOKE_COMMIT_MS = 5_000;

export class Rebalance {
  constructor(private readonly o: RebalanceOptions) {}

  onAssign(tps: TopicPartition[]): void {
    const { registry, metrics } = this.o;
    registry.assign(tps);
    // The source has paused these if flow control holds the consumer back (holdsPaused), and
    // resumed them otherwise.
    if (this.o.holdsPaused()) for (const tp of tps) registry.paused.add(partitionId(tp.topic, tp.partition));
    if (this.o.config.guarantee === 'exactly-once' && tps.length > 0) void this.o.startCheck.run(tps);
    metrics.rebalances.inc({ kind: 'assign' }, 1);
    metrics.assignedPartitions.set(registry.size);
    // Cooperative rebalances often hand out nothing new; only real changes are worth a line.
    if (tps.length > 0)
      this.o.logger.info({ partitions: tps.map((t) => t.partition), topic: tps[0]?.topic }, 'partitions assigned');
    this.o.emit('assigned', tps);
  }

  async onRevoke(tps: TopicPartition[]): Promise<void> {
    const { registry, metrics } = this.o;
    const ids = tps.map((tp) => partitionId(tp.topic, tp.partition));
    for (const id of ids) {
      registry.revoking.add(id);
      registry.positions.forget(id);
    }
    metrics.rebalances.inc({ kind: 'revoke' }, 1);
    // Finish what was consumed from these partitions, so the next owner starts after it.
    const timeoutMs = this.o.config.rebalanceDrainTimeoutMs;
    const drained = await this.o.drain(() => ids, timeoutMs);
    if (!drained) {
      this.o.logger.warn(
        { partitions: tps.map((t) => t.partition), timeoutMs },
        'revoked partitions did not drain in time; committing what is acknowledged (the rest is reprocessed)',
      );
    }
    await this.commitRevoked(ids, Date.now() + REVOKE_COMMIT_MS);
    registry.release(ids);
    // Another instance reports these partitions' lag from now on.
    for (const tp of tps) metrics.consumerLag.remove({ topic: tp.topic, partition: String(tp.partition) });
    const revoked = new Set(ids);
    this.o.dropWork((id) => revoked.has(id));
    this.o.source()?.releaseRevoked(tps);
    metrics.assignedPartitions.set(registry.size);
    this.o.logger.info(
      { partitions: tps.map((t) => t.partition), topic: tps[0]?.topic, drained },
      'partitions revoked',
    );
    this.o.emit('revoked', tps);
  }

  /**
   * Commits what the partitions completed: synchronously, or (exactly-once) by sealing them and
   * committing the open transaction now, so no output of theirs commits later without its offsets.
   */
  private async commitRevoked(ids: readonly PartitionId[], deadline: number): Promise<void> {
    const transactions = this.o.transactions();
    if (!transactions) {
      await this.o.committer.commitFinal(ids, deadline);
      return;
    }
    for (const id of ids) this.o.registry.sealed.add(id);
    await transactions.commitNow();
  }
}
