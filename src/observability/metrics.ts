/**
 * Every metric Turbine exports, declared once with help text that says what it shows and what
 * to tune when it moves (Arroyo's metric_defs). Built into an injected prom-client Registry.
 * Labels are bounded: topic and partition only, never keys or record data.
 *
 * `aggregate` says how `turbine run --processes N` serves a metric on its one /metrics: `sum`
 * adds the processes' series (counters, histograms, and gauges whose container total means
 * something), `per-process` keeps one series per process with a `process` label (ratios and
 * latencies, where a sum would mislead).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Fine around the 10–500 ms where latency objectives usually sit, so interpolated p99s are close. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SIZE_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** How the supervisor of several engine processes combines a metric's series. */
export type MetricAggregation = 'sum' | 'per-process';

export interface MetricDefinition {
  type: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  labels: readonly string[];
  aggregate: MetricAggregation;
  buckets?: readonly number[];
}

export const METRIC_DEFINITIONS = {
  recordsConsumed: {
    type: 'counter',
    name: 'turbine_records_consumed_total',
    help: 'Input records consumed. Compare with produced to see the engine keep up; if it lags, add pool threads or instances.',
    labels: ['topic'],
    aggregate: 'sum',
  },
  recordsProduced: {
    type: 'counter',
    name: 'turbine_records_produced_total',
    help: 'Output records acknowledged by the broker.',
    labels: ['topic'],
    aggregate: 'sum',
  },
  recordsDeadLettered: {
    type: 'counter',
    name: 'turbine_records_dead_lettered_total',
    help: 'Input records sent to the dead-letter topic after failing; a rising rate means bad input or a worker bug.',
    labels: ['topic', 'code'],
    aggregate: 'sum',
  },
  recordsSkipped: {
    type: 'counter',
    name: 'turbine_records_skipped_total',
    help: 'Input records dropped after failing, without a dead-letter copy (onFailure skip). Any rate here is data not processed.',
    labels: ['topic', 'code'],
    aggregate: 'sum',
  },
  parkedKeys: {
    type: 'gauge',
    name: 'turbine_parked_keys',
    help: 'Key mode: keys held back behind a record whose retries are running. Constantly non-zero: a worker keeps failing on some input.',
    labels: [],
    aggregate: 'sum',
  },
  recordsRetried: {
    type: 'counter',
    name: 'turbine_records_retried_total',
    help: 'Input records run again after a failed attempt (retry policy).',
    labels: ['topic'],
    aggregate: 'sum',
  },
  batchesDispatched: {
    type: 'counter',
    name: 'turbine_batches_dispatched_total',
    help: 'Batches handed to the worker pool.',
    labels: ['topic'],
    aggregate: 'sum',
  },
  workerTasks: {
    type: 'counter',
    name: 'turbine_worker_tasks_total',
    help: 'Tasks sent to worker threads, retries included. Fewer than batches dispatched when batches that waited for a busy pool were packed into one task (taskPacking).',
    labels: [],
    aggregate: 'sum',
  },
  batchSize: {
    type: 'histogram',
    name: 'turbine_batch_size_records',
    help: 'Records per dispatched batch. Tiny batches under load mean per-task overhead dominates: raise batchTargetMs (adaptive) or batchLingerMs.',
    labels: [],
    aggregate: 'sum',
    buckets: SIZE_BUCKETS,
  },
  taskDuration: {
    type: 'histogram',
    name: 'turbine_worker_task_duration_seconds',
    help: 'Time a batch spent inside a worker (decode, user function, encode).',
    labels: [],
    aggregate: 'sum',
    buckets: LATENCY_BUCKETS,
  },
  queueWait: {
    type: 'histogram',
    name: 'turbine_queue_wait_seconds',
    help: 'Time from a batch being opened to its result returning, minus worker time: linger plus pool queueing. High values: pool saturated.',
    labels: [],
    aggregate: 'sum',
    buckets: LATENCY_BUCKETS,
  },
  forcedGcs: {
    type: 'counter',
    name: 'turbine_forced_gcs_total',
    help: "Full garbage collections `turbine run` forced because the main thread's heap in use plus external memory passed gcHighWaterMb. Frequent: the engine is behind a backlog (or the mark is below its live memory).",
    labels: [],
    aggregate: 'sum',
  },
  consumeDelay: {
    type: 'histogram',
    name: 'turbine_consume_delay_seconds',
    help: "Input record timestamp to the engine taking it from librdkafka: the time before Turbine (the producer's linger, the broker, the fetch, librdkafka's queue). turbine_end_to_end_latency_seconds minus this is the engine's own share.",
    labels: [],
    aggregate: 'sum',
    buckets: LATENCY_BUCKETS,
  },
  endToEndLatency: {
    type: 'histogram',
    name: 'turbine_end_to_end_latency_seconds',
    help: 'Input record timestamp to its outputs acknowledged by the broker.',
    labels: [],
    aggregate: 'sum',
    buckets: LATENCY_BUCKETS,
  },
  inFlightRecords: {
    type: 'gauge',
    name: 'turbine_in_flight_records',
    help: 'Records consumed and not yet complete. At maxInFlightRecords partitions pause.',
    labels: [],
    aggregate: 'sum',
  },
  inFlightBytes: {
    type: 'gauge',
    name: 'turbine_in_flight_bytes',
    help: 'Bytes consumed and not yet complete. At maxInFlightBytes partitions pause.',
    labels: [],
    aggregate: 'sum',
  },
  pausedPartitions: {
    type: 'gauge',
    name: 'turbine_paused_partitions',
    help: 'Partitions paused by backpressure. Constantly non-zero: the pool or the producer is the bottleneck.',
    labels: [],
    aggregate: 'sum',
  },
  poolUtilization: {
    type: 'gauge',
    name: 'turbine_pool_utilization_ratio',
    help: 'Share of worker-thread time spent running batches over the last second. Near 1: add threads or instances.',
    labels: [],
    aggregate: 'per-process',
  },
  poolQueueDepth: {
    type: 'gauge',
    name: 'turbine_pool_queue_depth',
    help: 'Batches waiting for a free worker thread.',
    labels: [],
    aggregate: 'sum',
  },
  workerCrashes: {
    type: 'counter',
    name: 'turbine_worker_crashes_total',
    help: 'Tasks whose worker thread exited or ran out of memory; the pool replaced the thread.',
    labels: [],
    aggregate: 'sum',
  },
  taskTimeouts: {
    type: 'counter',
    name: 'turbine_task_timeouts_total',
    help: 'Batches aborted for running longer than taskTimeoutMs; their thread was replaced and the batch retried. Rising: a worker hangs on some input.',
    labels: [],
    aggregate: 'sum',
  },
  commits: {
    type: 'counter',
    name: 'turbine_commits_total',
    help: 'Offset commit requests sent (periodic, on revoke and on shutdown).',
    labels: [],
    aggregate: 'sum',
  },
  commitFailures: {
    type: 'counter',
    name: 'turbine_commit_failures_total',
    help: 'Offset commits that failed; offsets are committed again on the next interval.',
    labels: [],
    aggregate: 'sum',
  },
  transactionsCommitted: {
    type: 'counter',
    name: 'turbine_transactions_committed_total',
    help: 'Exactly-once: transactions committed (outputs and input offsets together). Roughly one per transactionIntervalMs while records flow.',
    labels: [],
    aggregate: 'sum',
  },
  transactionsAborted: {
    type: 'counter',
    name: 'turbine_transactions_aborted_total',
    help: 'Exactly-once: transactions aborted (reason abortable or fatal); their records are read again from the committed offsets. Any rise deserves a look at the logs.',
    labels: ['reason'],
    aggregate: 'sum',
  },
  transactionDuration: {
    type: 'histogram',
    name: 'turbine_transaction_duration_seconds',
    help: 'Exactly-once: time from beginning a transaction to its commit answer. Far above transactionIntervalMs: acknowledgements or the commit are slow (broker load).',
    labels: [],
    aggregate: 'sum',
    buckets: LATENCY_BUCKETS,
  },
  commitLatency: {
    type: 'histogram',
    name: 'turbine_commit_latency_seconds',
    help: 'Time from sending an offset commit to its result.',
    labels: [],
    aggregate: 'sum',
    buckets: LATENCY_BUCKETS,
  },
  rebalances: {
    type: 'counter',
    name: 'turbine_rebalances_total',
    help: 'Rebalance events by kind (assign, revoke).',
    labels: ['kind'],
    aggregate: 'sum',
  },
  assignedPartitions: {
    type: 'gauge',
    name: 'turbine_assigned_partitions',
    help: 'Partitions this instance owns.',
    labels: [],
    aggregate: 'sum',
  },
  deliveryErrors: {
    type: 'counter',
    name: 'turbine_producer_delivery_errors_total',
    help: 'Output deliveries that failed and were produced again.',
    labels: ['topic'],
    aggregate: 'sum',
  },
  producerRecoveries: {
    type: 'counter',
    name: 'turbine_producer_fatal_recoveries_total',
    help: 'Fatal producer errors recovered from by re-creating the producer and rewinding owned partitions to the commit point. Outputs since then may be duplicated.',
    labels: [],
    aggregate: 'sum',
  },
  stalledPartitionRestarts: {
    type: 'counter',
    name: 'turbine_stalled_partition_restarts_total',
    help: 'Owned, unpaused partitions that delivered nothing for 15 s while records waited on the broker, and were resumed and sought to their next offset. Any rise is worth a look at the logs.',
    labels: [],
    aggregate: 'sum',
  },
  stateKeys: {
    type: 'gauge',
    name: 'turbine_state_keys',
    help: 'Keyed state: keys held in memory for the partitions this instance owns. Size the memory limit from it (docs/state.md).',
    labels: [],
    aggregate: 'sum',
  },
  stateChangelogRecords: {
    type: 'counter',
    name: 'turbine_state_changelog_records_total',
    help: 'Keyed state: changes (sets and deletes) produced to the changelog topic, in the transactions of their outputs.',
    labels: [],
    aggregate: 'sum',
  },
  stateBatchesDelayed: {
    type: 'counter',
    name: 'turbine_state_batches_delayed_total',
    help: 'Keyed state: batches that waited because a batch of the same partition sharing a key was running or waiting ahead. Draining a backlog, most batches wait even with many keys, at no measured throughput cost (benchmarks/RESULTS.md, keyed state); a high share with idle worker threads means few hot keys, where smaller batches help.',
    labels: [],
    aggregate: 'sum',
  },
  stateRestoredRecords: {
    type: 'counter',
    name: 'turbine_state_restored_records_total',
    help: 'Keyed state: changelog records read to restore assigned partitions.',
    labels: [],
    aggregate: 'sum',
  },
  stateRestoreDuration: {
    type: 'histogram',
    name: 'turbine_state_restore_duration_seconds',
    help: 'Keyed state: time to restore a set of assigned partitions from the changelog, during which their records wait. Long: the changelog is large (compaction keeps one record per key) or the broker is slow.',
    labels: [],
    aggregate: 'sum',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  },
  restoringPartitions: {
    type: 'gauge',
    name: 'turbine_state_restoring_partitions',
    help: 'Keyed state: assigned partitions whose state is being restored; /readyz is not ready while it is above 0.',
    labels: [],
    aggregate: 'sum',
  },
  brokerRtt: {
    type: 'gauge',
    name: 'turbine_kafka_broker_rtt_seconds',
    help: 'Broker round-trip time seen by librdkafka (statistics.interval.ms), by client and broker; stat is avg or p99. High: network or broker load.',
    labels: ['client', 'broker', 'stat'],
    aggregate: 'per-process',
  },
  brokerOutbuf: {
    type: 'gauge',
    name: 'turbine_kafka_broker_requests_waiting',
    help: 'Requests queued for or awaiting a response from each broker (librdkafka outbuf_cnt + waitresp_cnt). Growing: the broker is the bottleneck.',
    labels: ['client', 'broker'],
    aggregate: 'sum',
  },
  producerQueue: {
    type: 'gauge',
    name: 'turbine_kafka_producer_queue_messages',
    help: "Messages in librdkafka's producer queue, not yet acknowledged (msg_cnt). Near queue.buffering.max.messages: produce backpressure.",
    labels: [],
    aggregate: 'sum',
  },
  consumerFetchQueue: {
    type: 'gauge',
    name: 'turbine_kafka_consumer_fetch_queue_messages',
    help: "Messages prefetched by librdkafka and not yet consumed by the engine: the consumer queue all partitions forward to (the largest partition fetchq_cnt, since each reports that shared queue's length).",
    labels: [],
    aggregate: 'sum',
  },
  kafkaClientPath: {
    type: 'gauge',
    name: 'turbine_kafka_client_path_info',
    help: 'Kafka client path of the engine: 1 for path="native-batch" (the default) or path="stock" (TURBINE_NATIVE_BATCH=0, or the install could not compile the batch path: about twice the main-thread CPU per record; rerun npm ci and read its patch-node-rdkafka lines).',
    labels: ['path'],
    aggregate: 'sum',
  },
  registryLookups: {
    type: 'counter',
    name: 'turbine_schema_registry_lookups_total',
    help: 'Writer-schema lookups sent to the Schema Registry, by outcome: ok (cached from then on), failed (retried with backoff while the batches that need the schema wait; a rate here means the registry is down or refusing), unknown_id (its records are dead-lettered as SCHEMA_ID_UNKNOWN).',
    labels: ['outcome'],
    aggregate: 'sum',
  },
  registryPendingLookups: {
    type: 'gauge',
    name: 'turbine_schema_registry_pending_lookups',
    help: 'Schema ids being looked up in the Schema Registry or waiting for a retry. Above 0 for more than a few seconds: batches are held until the registry answers.',
    labels: [],
    aggregate: 'sum',
  },
  consumerLag: {
    type: 'gauge',
    name: 'turbine_consumer_lag_records',
    help: 'High watermark minus committed offset, per partition. Growing: the engine does not keep up.',
    labels: ['topic', 'partition'],
    aggregate: 'sum',
  },
} as const satisfies Record<string, MetricDefinition>;

type Definitions = typeof METRIC_DEFINITIONS;
type MetricOf<D> = D extends { type: 'counter' }
  ? Counter<string>
  : D extends { type: 'gauge' }
    ? Gauge<string>
    : Histogram<string>;

export type Metrics = { [K in keyof Definitions]: MetricOf<Definitions[K]> } & { registry: Registry };

export function createMetrics(registry = new Registry(), defaults = true): Metrics {
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'turbine_process_' });
  const out: Record<string, unknown> = { registry };
  for (const [key, def] of Object.entries(METRIC_DEFINITIONS)) {
    const common = { name: def.name, help: def.help, labelNames: [...def.labels] as string[], registers: [registry] };
    if (def.type === 'counter') out[key] = new Counter(common);
    else if (def.type === 'gauge') out[key] = new Gauge(common);
    else out[key] = new Histogram({ ...common, buckets: [...def.buckets] });
  }
  return out as Metrics;
}
