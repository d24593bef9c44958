/**
 * Restores assigned partitions' keyed state before they are processed (the start check waits
 * for it), and again after an aborted transaction, whose changes the in-memory state may
 * already hold. A failed restore is retried with backoff and a log line.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { TopicPartition } from '../source/source.js';
import { partitionId } from '../types.js';
import { type RestoreSource, readChangelog } from './restore.js';
import type { StateStore } from './state-store.js';

/** One read may take this long before it is retried. */
const RESTORE_TIMEOUT_MS = 300_000;

export interface RestorerOptions {
  source: RestoreSource;
  store: StateStore;
  registry: PartitionRegistry;
  metrics: Metrics;
  logger: Logger;
  /** False once the engine is closing: retries stop. */
  active: () => boolean;
}

export class Restorer {
  /** Partitions being restored, with how many restores of each run (an abort can start a second). */
  private readonly restoringIds = new Map<string, number>();

  constructor(private readonly o: RestorerOptions) {}

  /** Partitions being restored now; /readyz waits for 0. */
  get restoring(): number {
    return this.restoringIds.size;
  }

  /** Whether a partition's state is being restored now (queries wait). */
  isRestoring(id: string): boolean {
    return this.restoringIds.has(id);
  }

  async restore(tps: readonly TopicPartition[]): Promise<void> {
    if (tps.length === 0) return;
    const { store, registry, metrics, logger } = this.o;
    const ids = tps.map((tp) => partitionId(tp.topic, tp.partition));
    for (const id of ids) {
      store.drop(id);
      this.restoringIds.set(id, (this.restoringIds.get(id) ?? 0) + 1);
    }
    metrics.restoringPartitions.set(this.restoring);
    const started = performance.now();
    let delay = 500;
    try {
      for (;;) {
        try {
          const onOpenTransaction = (partition: number, stableOffset: number, highWatermark: number) =>
            logger.info(
              { topic: this.o.source.changelogTopic, partition, stableOffset, highWatermark },
              "changelog partition behind an open transaction (a crashed owner's, aborted by the broker after transaction.timeout.ms); restore waits for it",
            );
          const { values, records } = await readChangelog(
            { ...this.o.source, onOpenTransaction },
            tps.map((tp) => tp.partition),
            Date.now() + RESTORE_TIMEOUT_MS,
          );
          let keys = 0;
          for (const tp of tps) {
            const id = partitionId(tp.topic, tp.partition);
            // Revoked while restoring: its state belongs to the next owner.
            if (!registry.get(id)) continue;
            const map = values.get(tp.partition) ?? new Map();
            keys += map.size;
            store.load(id, map);
          }
          const seconds = (performance.now() - started) / 1000;
          metrics.stateRestoredRecords.inc(records);
          metrics.stateRestoreDuration.observe(seconds);
          metrics.stateKeys.set(store.size);
          logger.info(
            { partitions: tps.map((t) => t.partition), records, keys, ms: Math.round(seconds * 1000) },
            'keyed state restored from the changelog',
          );
          return;
        } catch (error) {
          if (!this.o.active()) throw error;
          logger.warn(
            { err: errorMessage(error), partitions: tps.map((t) => t.partition), retryInMs: delay },
            'restoring keyed state failed; retrying',
          );
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 10_000);
        }
      }
    } finally {
      for (const id of ids) {
        const n = (this.restoringIds.get(id) ?? 1) - 1;
        if (n > 0) this.restoringIds.set(id, n);
        else this.restoringIds.delete(id);
      }
      metrics.restoringPartitions.set(this.restoring);
    }
  }
}
