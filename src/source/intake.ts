/**
 * Intake: what the consume loop hands over becomes tracked records in batches. A record is
 * admitted only if its partition is owned, not being revoked, live (not under a start check or
 * a seek, ownership/positions.ts) and new to its PartitionState; it then counts in flight and
 * joins its lane's batch. Full batches go to dispatch at once, the others at their linger time.
 */
import type Kafka from 'node-rdkafka';
import type { Batch, Batcher } from '../batching/batcher.js';
import type { Completion } from '../commit/completion.js';
import type { TurbineConfig } from '../config/load.js';
import type { FlowControl } from '../flow/flow-control.js';
import type { EngineCounters } from '../observability/engine-events.js';
import type { Metrics } from '../observability/metrics.js';
import { laneOf } from '../ordering/key-lanes.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { type ConsumedRecord, type PartitionId, partitionId } from '../types.js';

export interface IntakeOptions {
  config: Pick<TurbineConfig, 'ordering' | 'keyLanes'>;
  registry: PartitionRegistry;
  batcher: Batcher;
  flow: FlowControl;
  completion: Completion;
  metrics: Metrics;
  counters: EngineCounters;
  dispatch: (batch: Batch) => void;
  /** Whether every worker thread is busy (a due batch may then wait to grow). */
  poolBusy: () => boolean;
  /** A record showed that a partition must seek (start check): the repositioner does it. */
  onSeekNeeded: () => void;
  /** After each hand-over: backpressure re-decides. */
  onAdmitted: () => void;
}

export class Intake {
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: IntakeOptions) {}

  onMessages(messages: readonly Kafka.Message[]): void {
    const { registry, batcher, flow, metrics } = this.o;
    const now = Date.now();
    const ordering = this.o.config.ordering;
    const lanes = this.o.config.keyLanes;
    const positions = registry.positions;
    let accepted = 0;
    let seekNeeded = false;
    for (const m of messages) {
      const id = partitionId(m.topic, m.partition);
      const state = registry.get(id);
      // Not ours (any more): the owner re-reads it from the committed offset.
      if (!state || registry.revoking.has(id)) continue;
      if (positions.size > 0) {
        const admission = positions.admit(id, m);
        if (admission !== 'accept') {
          if (admission === 'seek') seekNeeded = true;
          continue;
        }
      }
      if (!state.accepts(m.offset)) continue;
      const key = m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key;
      const size = (m.value?.length ?? 0) + (key?.length ?? 0);
      const record: ConsumedRecord = {
        topic: m.topic,
        partition: m.partition,
        offset: m.offset,
        timestamp: m.timestamp ?? now,
        key,
        value: m.value,
        headers: m.headers as ConsumedRecord['headers'],
        size,
      };
      state.track(m.offset);
      metrics.consumeDelay.observe(Math.max(0, now - record.timestamp) / 1000);
      flow.add(1, size);
      accepted++;
      const full = batcher.add(laneOf(record, ordering, lanes), state.epoch, record, now);
      if (full) this.o.dispatch(full);
    }
    if (accepted > 0) metrics.recordsConsumed.inc({ topic: messages[0]!.topic }, accepted);
    this.o.counters.consumed += accepted;
    this.armLinger();
    this.o.onAdmitted();
    if (seekNeeded) this.o.onSeekNeeded();
  }

  /** Dispatches the open batches of matching partitions now (drain). */
  flush(match: (id: PartitionId) => boolean = () => true): void {
    for (const batch of this.o.batcher.takeAll((b) => match(partitionId(b.topic, b.partition)))) this.o.dispatch(batch);
  }

  /** Drops the open batches of matching partitions; their records leave flow control uncompleted. */
  drop(match: (id: PartitionId) => boolean): void {
    for (const batch of this.o.batcher.takeAll((b) => match(partitionId(b.topic, b.partition))))
      this.o.completion.finish(batch, false);
  }

  /** Clears the linger timer (shutdown: the drain flushes what is open). */
  stop(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  private armLinger(): void {
    if (this.lingerTimer) return;
    const deadline = this.o.batcher.nextDeadline();
    if (deadline === undefined) return;
    this.lingerTimer = setTimeout(
      () => {
        this.lingerTimer = undefined;
        for (const batch of this.o.batcher.takeDue(Date.now(), this.o.poolBusy())) this.o.dispatch(batch);
        this.armLinger();
      },
      Math.max(0, deadline - Date.now()),
    );
  }
}
