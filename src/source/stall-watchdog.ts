/**
 * Stall watchdog. A partition we own, have not paused, with records waiting on the broker and
 * room to take them, that delivered nothing for STALL_RESTART_MS is resumed and sought to the
 * next offset it needs, which restarts librdkafka's fetch for it (the workaround librdkafka
 * gives for fetches lost in pause/assign races, librdkafka#2190 and #5591). The wait doubles
 * while it does not help, so a tail of transaction markers costs one line now and then.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionState } from '../ordering/partition-state.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { type PartitionId, partitionId } from '../types.js';
import type { Source } from './source.js';

/** A partition with records waiting that delivered nothing this long is restarted. */
const STALL_RESTART_MS = 15_000;
/** The wait doubles after each restart that did not help, up to this. */
const MAX_WAIT_MS = 300_000;

/** When a partition last delivered a record (its highest tracked offset moved) or got a new epoch. */
type Progress = { state: PartitionState; offset: number; at: number };

export interface StallWatchdogOptions {
  registry: PartitionRegistry;
  source: () => Source | undefined;
  /** Records flow control has room for. */
  room: () => number;
  running: () => boolean;
  metrics: Metrics;
  logger: Logger;
}

export class StallWatchdog {
  private readonly progress = new Map<PartitionId, Progress>();
  private readonly restarts = new Map<PartitionId, { at: number; waitMs: number }>();

  constructor(private readonly o: StallWatchdogOptions) {}

  /** Looks at one owned partition, given its high watermark (called about once a second). */
  check(s: PartitionState, high: number): void {
    const id = partitionId(s.topic, s.partition);
    const now = Date.now();
    let p = this.progress.get(id);
    if (!p || p.state !== s || p.offset !== s.lastOffset) {
      p = { state: s, offset: s.lastOffset, at: now };
      this.progress.set(id, p);
    }
    const last = this.restarts.get(id);
    // Delivering again since the last restart: the next stall starts from the base wait.
    if (last && p.at > last.at) this.restarts.delete(id);
    const next = s.lastOffset >= 0 ? s.lastOffset + 1 : s.committed;
    // A gap of one can be the commit marker of a transactional input, never delivered.
    if (next < 0 || high - next <= 1) return;
    const { registry } = this.o;
    if (registry.paused.has(id) || registry.revoking.has(id) || this.o.room() <= 0 || !this.o.running()) return;
    const restart = this.restarts.get(id);
    const waitMs = restart ? restart.waitMs * 2 : STALL_RESTART_MS;
    if (now - Math.max(p.at, restart?.at ?? 0) < (restart?.waitMs ?? STALL_RESTART_MS)) return;
    this.restarts.set(id, { at: now, waitMs: Math.min(waitMs, MAX_WAIT_MS) });
    this.o.metrics.stalledPartitionRestarts.inc();
    this.o.logger.warn(
      { topic: s.topic, partition: s.partition, nextOffset: next, highWatermark: high, idleMs: now - p.at },
      'partition delivered nothing while records wait; resuming it and seeking to its next offset',
    );
    const source = this.o.source();
    if (!source) return;
    const tp = { topic: s.topic, partition: s.partition };
    source.resume([tp]);
    source
      .seek(tp, next)
      .catch((error) =>
        this.o.logger.warn({ err: errorMessage(error), partition: s.partition }, 'stall restart seek failed'),
      );
  }

  /** Forgets partitions no longer owned. */
  prune(): void {
    for (const id of this.progress.keys()) {
      if (this.o.registry.get(id)) continue;
      this.progress.delete(id);
      this.restarts.delete(id);
    }
  }
}
