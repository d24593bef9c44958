/**
 * Builds the processing chain of a connected engine, in the order records travel it:
 * intake (admission, batching) → dispatcher (worker pool, reorderer, key parking) → delivery
 * (failure policy, produce) → completion (commit point). The shared state (partition registry,
 * flow control, counters) comes from the engine.
 */
import { BatchSizer } from '../batching/batch-sizer.js';
import { Batcher } from '../batching/batcher.js';
import type { Completion } from '../commit/completion.js';
import type { TurbineConfig } from '../config/load.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import type { WorkerPool } from '../dispatch/worker-pool.js';
import { FlowControl } from '../flow/flow-control.js';
import type { Emit, EngineCounters } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { Delivery } from '../sink/delivery.js';
import type { OutboundMessage } from '../sink/sink.js';
import { Intake } from '../source/intake.js';
import type { StateStore } from '../state/state-store.js';

export interface PipelineParts {
  config: TurbineConfig;
  pool: WorkerPool;
  registry: PartitionRegistry;
  batcher: Batcher;
  sizer: BatchSizer | undefined;
  flow: FlowControl;
  completion: Completion;
  /** Partition counts of the output and dead-letter topics. */
  partitionCounts: ReadonlyMap<string, number>;
  workerName: string;
  send: (messages: OutboundMessage[]) => void;
  /** Keyed state, when a state store is configured. */
  state: StateStore | undefined;
  onSeekNeeded: () => void;
  onAdmitted: () => void;
  metrics: Metrics;
  logger: Logger;
  counters: EngineCounters;
  emit: Emit;
  fail: (error: unknown) => void;
}

/** Bounds reached this long: pause partitions so rebalance callbacks keep being served. */
const PAUSE_AFTER_MS = 1_000;

/** The batching and in-flight accounting an engine keeps from construction on. */
export function createBatching(c: TurbineConfig): {
  sizer: BatchSizer | undefined;
  batcher: Batcher;
  flow: FlowControl;
} {
  // Adaptive batch size per lane (batchTargetMs > 0), fed with the worker time of each task.
  const sizer =
    c.batchTargetMs > 0 ? new BatchSizer({ targetMs: c.batchTargetMs, maxRecords: c.batchMaxRecords }) : undefined;
  const limits = { maxRecords: c.batchMaxRecords, maxBytes: c.batchMaxBytes, lingerMs: c.batchLingerMs };
  const flow = new FlowControl({
    maxRecords: c.maxInFlightRecords,
    maxBytes: c.maxInFlightBytes,
    pauseAfterMs: PAUSE_AFTER_MS,
  });
  return { sizer, batcher: new Batcher(limits, sizer), flow };
}

export function buildPipeline(p: PipelineParts): { intake: Intake; dispatcher: Dispatcher } {
  const c = p.config;
  const delivery = new Delivery({
    config: c,
    topics: {
      output: c.output,
      deadLetterTopic: c.deadLetterTopic,
      lineageHeaders: c.lineageHeaders,
      workerName: p.workerName,
      partitionCounts: p.partitionCounts,
    },
    changelog: p.state && { topic: p.state.changelogTopic, encode: p.state.codec.encode },
    registry: p.registry,
    completion: p.completion,
    send: p.send,
    metrics: p.metrics,
    logger: p.logger,
    counters: p.counters,
    emit: p.emit,
    fail: p.fail,
  });
  const dispatcher = new Dispatcher({
    config: c,
    pool: p.pool,
    sizer: p.sizer,
    registry: p.registry,
    completion: p.completion,
    delivery,
    state: p.state,
    metrics: p.metrics,
    logger: p.logger,
    emit: p.emit,
    fail: p.fail,
  });
  const intake = new Intake({
    config: c,
    registry: p.registry,
    batcher: p.batcher,
    flow: p.flow,
    completion: p.completion,
    metrics: p.metrics,
    counters: p.counters,
    dispatch: (batch) => dispatcher.dispatch(batch),
    poolBusy: () => p.pool.busy,
    onSeekNeeded: p.onSeekNeeded,
    onAdmitted: p.onAdmitted,
  });
  return { intake, dispatcher };
}
