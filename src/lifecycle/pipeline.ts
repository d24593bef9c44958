/**
 * Builds the processing chain of a connected engine, in the order records travel it:
 * intake (admission, batching) → dispatcher (worker pool, reorderer, key parking) → delivery
 * (failure policy, produce) → completion (commit point). The shared state (partition registry,
 * flow control, counters) comes from the engine.
 */
import type { BatchSizer } from '../batching/batch-sizer.js';
import type { Batcher } from '../batching/batcher.js';
import type { Completion } from '../commit/completion.js';
import type { TurbineConfig } from '../config/load.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import type { WorkerPool } from '../dispatch/worker-pool.js';
import type { FlowControl } from '../flow/flow-control.js';
import type { Emit, EngineCounters } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { Delivery } from '../sink/delivery.js';
import type { OutboundMessage } from '../sink/sink.js';
import { Intake } from '../source/intake.js';

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
  onSeekNeeded: () => void;
  onAdmitted: () => void;
  metrics: Metrics;
  logger: Logger;
  counters: EngineCounters;
  emit: Emit;
  fail: (error: unknown) => void;
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
