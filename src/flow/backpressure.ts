/**
 * Turns flow control's decision into consumer calls: pauses every owned partition when the
 * in-flight bounds stay reached, resumes them when there is room again, and tells the consume
 * loop how many records it may take. The only place that pauses or resumes for backpressure.
 */
import type { Emit, EngineCounters } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { Source, TopicPartition } from '../source/source.js';
import type { FlowControl } from './flow-control.js';

/** Pause and resume can flip many times a second under backpressure: one line each per 10 s. */
const FLOW_LOG_INTERVAL_MS = 10_000;

export interface BackpressureOptions {
  flow: FlowControl;
  registry: PartitionRegistry;
  metrics: Metrics;
  logger: Logger;
  counters: EngineCounters;
  emit: Emit;
}

export class Backpressure {
  private source: Source | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private readonly lastLogAt: Partial<Record<'pause' | 'resume', number>> = {};

  constructor(private readonly o: BackpressureOptions) {}

  /** Starts acting on the consumer (until then decisions wait). */
  attach(source: Source): void {
    this.source = source;
    this.apply();
  }

  apply(): void {
    const source = this.source;
    if (!source) return;
    const { flow, registry } = this.o;
    const decision = flow.decide();
    if (decision === 'pause') {
      const tps: TopicPartition[] = [];
      for (const [id, s] of registry.entries()) {
        if (!registry.paused.has(id)) {
          registry.paused.add(id);
          tps.push({ topic: s.topic, partition: s.partition });
        }
      }
      source.pause(tps);
      this.o.counters.pauses++;
      this.log(
        'pause',
        { partitions: tps.length, pausesSoFar: this.o.counters.pauses },
        'paused (in-flight bound reached)',
      );
      this.o.emit('paused', tps);
    } else if (decision === 'resume') {
      const tps: TopicPartition[] = [];
      for (const id of registry.paused) {
        const s = registry.get(id);
        if (s) tps.push({ topic: s.topic, partition: s.partition });
      }
      registry.paused.clear();
      source.resume(tps);
      this.log('resume', { partitions: tps.length }, 'resumed');
      this.o.emit('resumed', tps);
    }
    // Never ask for more than the bound leaves room for. While paused, consume(1) keeps rebalance
    // callbacks served (paused partitions deliver nothing); while merely full, consume nothing.
    const room = flow.room;
    source.maxMessages = registry.paused.size > 0 ? Math.max(1, room) : room;
    const due = flow.pauseDueAt;
    if (due !== undefined && !this.pauseTimer) {
      this.pauseTimer = setTimeout(
        () => {
          this.pauseTimer = undefined;
          this.apply();
        },
        Math.max(0, due - Date.now()) + 1,
      );
    }
    this.o.metrics.pausedPartitions.set(registry.paused.size);
  }

  stop(): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
  }

  private log(kind: 'pause' | 'resume', fields: Record<string, number>, message: string): void {
    const now = Date.now();
    if (now - (this.lastLogAt[kind] ?? 0) <= FLOW_LOG_INTERVAL_MS) return;
    this.lastLogAt[kind] = now;
    this.o.logger.info({ ...fields, inFlight: this.o.flow.inFlightRecords }, message);
  }
}
