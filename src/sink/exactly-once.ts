/**
 * Exactly-once wiring: a TransactionCoordinator (transactions.ts) whose hooks reach the rest of
 * the engine. Outputs go into the open transaction; the commit points of owned partitions go
 * with it (sendOffsetsToTransaction); an abort re-positions every owned partition to its last
 * committed offset (ownership/repositioner.ts), so nothing of the aborted transaction is lost
 * or produced twice.
 */
import type { Committer } from '../commit/committer.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { Repositioner } from '../ownership/repositioner.js';
import type { Source, TopicPartition } from '../source/source.js';
import { type PartitionId, partitionId } from '../types.js';
import { type Sink, settleFailed } from './sink.js';
import { kafkaTransactionalClient, TransactionCoordinator, type TransactionHooks } from './transactions.js';

export interface ExactlyOnceParts {
  sink: Sink;
  source: Source;
  registry: PartitionRegistry;
  committer: Committer;
  repositioner: Repositioner;
  metrics: Metrics;
  logger: Logger;
  connectTimeoutMs: number;
  /** Keyed state: restores these partitions from the changelog (an abort leaves the memory ahead of it). */
  restoreState?: ((tps: readonly TopicPartition[]) => Promise<void>) | undefined;
}

type RecoveryParts = Pick<ExactlyOnceParts, 'sink' | 'registry' | 'repositioner' | 'restoreState'>;

/**
 * The abort side of the hooks. `invalidate` re-positions every partition owned at that moment
 * to its last committed offset: their fetched records are dropped until their seek. `rewind`
 * restores the state of exactly the partitions still waiting for that seek. A partition assigned
 * in between (or revoked and assigned again) is not re-read: its own start restored its state,
 * its records may already be processed (their outputs wait for the next transaction), and
 * restoring it again would put its memory behind their changes (chaos stateful: 3 levels wrong).
 */
export function abortHooks(p: RecoveryParts): Pick<TransactionHooks, 'invalidate' | 'rewind'> {
  const { registry } = p;
  return {
    // Every owned partition restarts at its last committed offset, else where this
    // assignment started (the first offset it consumed), else wherever the consumer stands.
    invalidate: () => {
      const targets = new Map<PartitionId, number>();
      for (const [id, s] of registry.entries()) targets.set(id, s.rewindOffset);
      p.repositioner.reposition(targets);
    },
    rewind: async () => {
      p.sink.failOutstanding();
      const tps = registry
        .list()
        .filter((tp) => registry.positions.targetOf(partitionId(tp.topic, tp.partition)) !== undefined);
      await p.restoreState?.(tps);
      // A failed seek rejects: the coordinator tries the recovery again with the same targets.
      await p.repositioner.seekNow();
    },
  };
}

export function createTransactions(p: ExactlyOnceParts): TransactionCoordinator {
  const { sink } = p;
  return new TransactionCoordinator({
    client: kafkaTransactionalClient(
      () => sink.client,
      p.source.client,
      () => sink.replaceProducer(p.connectTimeoutMs),
    ),
    logger: p.logger,
    metrics: {
      committed: (ms) => {
        p.metrics.transactionsCommitted.inc();
        p.metrics.transactionDuration.observe(ms / 1000);
      },
      aborted: (reason) => p.metrics.transactionsAborted.inc({ reason }),
    },
    hooks: {
      produce: (messages) => sink.send(messages),
      unacknowledged: () => sink.inFlight,
      pendingOffsets: () => p.committer.pending(),
      committed: (offsets) => p.committer.markCommitted(offsets),
      discard: (messages) => settleFailed(messages),
      ...abortHooks(p),
    },
  });
}

/**
 * Commits the last transaction within timeoutMs (a commit or recovery may be retrying against
 * a broker that does not answer); past it the coordinator is abandoned, so nothing is retried
 * after the engine closed. Resolves true when the last transaction committed.
 */
export async function closeTransactions(
  transactions: TransactionCoordinator,
  timeoutMs: number,
  logger: Logger,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([transactions.close(true), timedOut]);
  clearTimeout(timer);
  if (outcome === true) return true;
  if (outcome === 'timeout') transactions.abandon();
  logger.warn(
    { outcome: outcome === 'timeout' ? 'deadline passed' : 'aborted' },
    'last transaction not committed; its records are read again by the next owner',
  );
  return false;
}
