/**
 * The end of a record's trip through the engine: it leaves flow control's in-flight count, and,
 * if its outputs were acknowledged (or it was dead-lettered) under its partition's current
 * epoch, its offset is marked complete so the commit point can move past it.
 */
import type { Batch } from '../batching/batcher.js';
import type { FlowControl } from '../flow/flow-control.js';
import type { EngineCounters } from '../observability/engine-events.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { type ConsumedRecord, partitionId } from '../types.js';

export interface CompletionOptions {
  flow: FlowControl;
  registry: PartitionRegistry;
  metrics: Metrics;
  counters: EngineCounters;
  /** In-flight figures changed: backpressure may resume partitions. */
  onReleased: () => void;
}

export class Completion {
  constructor(private readonly o: CompletionOptions) {}

  /** Releases `records` (a batch, or part of one) from flow control; complete if acknowledged. */
  finish(batch: Batch, acknowledged: boolean, records: readonly ConsumedRecord[] = batch.records): void {
    const { flow, registry } = this.o;
    let bytes = 0;
    for (const r of records) bytes += r.size;
    flow.release(records.length, bytes);
    if (acknowledged && registry.isCurrent(batch.topic, batch.partition, batch.epoch)) {
      const state = registry.get(partitionId(batch.topic, batch.partition))!;
      const offsets = new Array<number>(records.length);
      const now = Date.now();
      const latency = this.o.metrics.endToEndLatency;
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        offsets[i] = r.offset;
        latency.observe(Math.max(0, now - r.timestamp) / 1000);
      }
      state.complete(offsets);
      this.o.counters.committedBatches++;
    }
    registry.progress();
    this.o.onReleased();
  }
}
