/**
 * Gauges read once a second rather than kept per record: in-flight figures, pool utilization
 * and queue depth, and each owned partition's lag (high watermark minus committed offset).
 * Each lag answer also feeds the stall watchdog.
 */
import { performance } from 'node:perf_hooks';
import type { PartitionState } from '../ordering/partition-state.js';
import { type PartitionId, partitionId } from '../types.js';
import type { Metrics } from './metrics.js';

/** What the gauges read: narrow views of flow control, the pool, the dispatcher, the registry and the consumer. */
export interface GaugeSources {
  metrics: Metrics;
  poolSize: number;
  flow: { readonly inFlightRecords: number; readonly inFlightBytes: number };
  /** Tasks waiting for a worker thread. */
  pool: { readonly queueSize: number };
  /** Worker milliseconds reported since the last call. */
  dispatcher: { takeWorkerMs(): number };
  registry: { states(): Iterable<PartitionState>; get(id: PartitionId): PartitionState | undefined };
  source: { queryHighWatermark(topic: string, partition: number): Promise<number> };
  watchdog: { prune(): void; check(s: PartitionState, high: number): void };
}

export class Gauges {
  private utilizationAt = performance.now();

  constructor(private readonly g: GaugeSources) {}

  update(): void {
    const { metrics, registry } = this.g;
    metrics.inFlightRecords.set(this.g.flow.inFlightRecords);
    metrics.inFlightBytes.set(this.g.flow.inFlightBytes);
    // Piscina 5.3's own utilization divides milliseconds by 1000 twice (reads ~0); use the
    // worker time returned with each task instead: busy ms over thread-ms since the last tick.
    const now = performance.now();
    const elapsed = now - this.utilizationAt;
    const busy = this.g.dispatcher.takeWorkerMs();
    if (elapsed > 0) metrics.poolUtilization.set(Math.min(1, busy / (elapsed * this.g.poolSize)));
    this.utilizationAt = now;
    metrics.poolQueueDepth.set(this.g.pool.queueSize);
    this.g.watchdog.prune();
    for (const s of registry.states()) {
      this.g.source
        .queryHighWatermark(s.topic, s.partition)
        .then((high) => {
          // Revoked (or re-positioned) meanwhile: this state's lag is no longer ours to report.
          if (registry.get(partitionId(s.topic, s.partition)) !== s) return;
          const committed = s.committed >= 0 ? s.committed : (s.commitPoint() ?? 0);
          metrics.consumerLag.set({ topic: s.topic, partition: String(s.partition) }, Math.max(0, high - committed));
          this.g.watchdog.check(s, high);
        })
        .catch(() => undefined);
    }
  }
}
