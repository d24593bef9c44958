/**
 * Builds the engine's three clients from the configuration: the worker pool, the sink
 * (producer) and the source (consumer). Their callbacks are the engine's, passed in.
 */
import type { BatchSizer } from '../batching/batch-sizer.js';
import type { TurbineConfig } from '../config/load.js';
import { WorkerPool } from '../dispatch/worker-pool.js';
import type { TurbineError } from '../errors.js';
import { nativeBatch } from '../kafka/native-batch.js';
import type { EngineCounters } from '../observability/engine-events.js';
import { recordStats } from '../observability/librdkafka-stats.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RegistrySetup } from '../registry/registry-setup.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS, type ProducerFactory, Sink } from '../sink/sink.js';
import { Source, type SourceOptions } from '../source/source.js';

export function createWorkerPool(
  c: TurbineConfig,
  o: {
    env: Readonly<Record<string, string>> | undefined;
    sizer: BatchSizer | undefined;
    onTask: () => void;
    /** With a schema registry: the output schema's registered id and the input's writer schemas. */
    registry?: RegistrySetup | undefined;
  },
): WorkerPool {
  return new WorkerPool({
    threads: c.poolSize,
    taskTimeoutMs: c.taskTimeoutMs,
    setup: {
      workerPath: c.worker,
      inputFormat: c.inputFormat,
      outputFormat: c.outputFormat,
      inputSchema: c.inputSchema,
      outputSchema: c.outputSchema,
      avroWireFormat: c.avroWireFormat,
      outputSchemaId: o.registry?.outputSchemaId ?? c.outputSchemaId,
      ...(o.registry?.writerSchemas ? { inputRegistry: true } : {}),
      ...(c.stateSchema ? { stateSchema: c.stateSchema } : {}),
    },
    env: o.env,
    onTask: o.onTask,
    writerSchemas: o.registry?.writerSchemas,
    // A packed task is sized like one adaptive batch: about batchTargetMs of work.
    ...(c.taskPacking
      ? {
          packLimit: () => (o.sizer ? o.sizer.capFor(undefined) : c.batchMaxRecords),
          maxPackBytes: c.batchMaxBytes,
        }
      : {}),
  });
}

export interface SinkCallbacks {
  logger: Logger;
  metrics: Metrics;
  /** Acknowledged outputs are counted here. */
  counters: EngineCounters;
  onTransactionError: (error: unknown) => void;
  onProducerFatal: (error: unknown) => void;
  onFatal: (error: TurbineError) => void;
  createProducer: ProducerFactory | undefined;
}

export function createSink(c: TurbineConfig, transactionalId: string | undefined, o: SinkCallbacks): Sink {
  /** recordsProduced children by topic: acknowledgements arrive one by one, so skip the label hashing. */
  const produced = new Map<string, ReturnType<Metrics['recordsProduced']['labels']>>();
  return new Sink({
    transactionalId,
    // Longer than a transaction can legitimately stay open: its interval, plus a revoke's drain.
    transactionTimeoutMs: Math.max(
      DEFAULT_TRANSACTION_TIMEOUT_MS,
      c.rebalanceDrainTimeoutMs + 2 * c.transactionIntervalMs + 2_000,
    ),
    onTransactionError: o.onTransactionError,
    brokers: c.brokers,
    clientId: c.clientId,
    kafka: c.kafka,
    retryInitialMs: c.retryInitialMs,
    retryMaxMs: c.retryMaxMs,
    logger: o.logger,
    onDeliveryError: (topic) => o.metrics.deliveryErrors.inc({ topic }),
    onFatal: o.onFatal,
    onStats: (json) => recordStats(o.metrics, json, 'producer'),
    onAcked: (topic, n) => {
      o.counters.produced += n;
      let counter = produced.get(topic);
      if (!counter) {
        counter = o.metrics.recordsProduced.labels({ topic });
        produced.set(topic, counter);
      }
      counter.inc(n);
    },
    onProducerFatal: o.onProducerFatal,
    ...(o.createProducer ? { createProducer: o.createProducer } : {}),
  });
}

export function createSource(
  c: TurbineConfig,
  exactlyOnce: boolean,
  o: {
    logger: Logger;
    metrics: Metrics;
    onCommitted: SourceOptions['onCommitted'];
    onFatal: (e: TurbineError) => void;
  },
): Source {
  // Which Kafka client path this process uses (src/kafka/native-batch.ts): say so once per engine.
  o.metrics.kafkaClientPath.set({ path: nativeBatch ? 'native-batch' : 'stock' }, 1);
  o.logger.info(
    { kafkaPath: nativeBatch ? 'native-batch' : 'stock' },
    nativeBatch
      ? 'kafka client: native batch path (consume, produce and delivery reports per batch)'
      : 'kafka client: stock node-rdkafka path (TURBINE_NATIVE_BATCH=0, or the batch path is not built: `node scripts/patch-node-rdkafka.js --check`)',
  );
  return new Source({
    brokers: c.brokers,
    group: c.group,
    topic: c.input,
    clientId: c.clientId,
    startFrom: c.startFrom,
    readCommitted: exactlyOnce,
    kafka: c.kafka,
    logger: o.logger,
    onStats: (json) => recordStats(o.metrics, json, 'consumer'),
    onFatal: o.onFatal,
    ...(o.onCommitted ? { onCommitted: o.onCommitted } : {}),
  });
}

/** What a start that failed half-way may have opened. */
export interface PartlyStarted {
  http?: { close(): Promise<void> };
  instances?: { close(): Promise<void> };
  sink?: Sink;
  source?: Source;
  pool: WorkerPool;
}

/** Closes whatever a failed start opened; errors from closing are not the failure to report. */
export async function closeAfterFailedStart(p: PartlyStarted): Promise<void> {
  await p.http?.close();
  await p.instances?.close().catch(() => undefined);
  await p.sink?.disconnect().catch(() => undefined);
  await p.source?.disconnect(2000).catch(() => undefined);
  await p.pool.destroy().catch(() => undefined);
}
