/**
 * Wires the stages and owns the lifecycle (created → starting → running → draining → closed).
 *
 *   source → batcher → worker pool (batch-runner) → reorderer → sink → partition-state → commit
 *                ▲                                                   │
 *                └──────────── flow control (pause / resume) ◄───────┘
 *
 * The main thread only does I/O and bookkeeping; user code runs in the pool's worker threads.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import type Kafka from 'node-rdkafka';
import { ensureTopics, topicPartitions } from './admin/topics.js';
import { BatchSizer } from './batching/batch-sizer.js';
import { type Batch, Batcher } from './batching/batcher.js';
import { loadConfig, type RawConfig, type TurbineConfig } from './config/load.js';
import { type BatchOutcome, type DeadLetter, type RecordRetry, runBatch } from './dispatch/batch-runner.js';
import type { EncodedOutput } from './dispatch/codec.js';
import { planFailures } from './dispatch/failure-policy.js';
import { WorkerPool } from './dispatch/worker-pool.js';
import { errorMessage, TurbineError } from './errors.js';
import { FlowControl } from './flow/flow-control.js';
import { type HttpServer, startHttpServer } from './observability/http-server.js';
import { recordStats } from './observability/librdkafka-stats.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { laneOf } from './ordering/key-lanes.js';
import { KeyParking, keyId, type ParkingEntry } from './ordering/key-parking.js';
import { PartitionState } from './ordering/partition-state.js';
import { Reorderer, type Slot } from './ordering/reorderer.js';
import {
  DEFAULT_TRANSACTION_TIMEOUT_MS,
  type DeliveryGroup,
  type OutboundMessage,
  type ProducerFactory,
  Sink,
  settleFailed,
} from './sink/sink.js';
import { type CommitOffset, kafkaTransactionalClient, TransactionCoordinator } from './sink/transactions.js';
import { Source, type TopicPartition } from './source/source.js';
import { type ConsumedRecord, type PartitionId, partitionId } from './types.js';

export type EngineState = 'created' | 'starting' | 'running' | 'draining' | 'closed';

export const LINEAGE_HEADERS = {
  topic: 'turbine.source.topic',
  partition: 'turbine.source.partition',
  offset: 'turbine.source.offset',
} as const;

export const DEAD_LETTER_HEADERS = {
  code: 'turbine.error.code',
  message: 'turbine.error.message',
  attempts: 'turbine.error.attempts',
  firstFailure: 'turbine.error.first-failure-ms',
  lastFailure: 'turbine.error.last-failure-ms',
  worker: 'turbine.worker',
} as const;

export interface EngineStats {
  state: EngineState;
  consumed: number;
  produced: number;
  deadLettered: number;
  /** Records dropped after failing, without a dead-letter copy (onFailure skip). */
  skipped: number;
  /** Key mode: keys held back behind a record whose retries are running. */
  parkedKeys: number;
  /** Fatal producer errors recovered from. */
  producerRecoveries: number;
  committedBatches: number;
  /** Tasks sent to worker threads and the batches they carried (more batches: packing). */
  workerTasks: number;
  workerTaskBatches: number;
  inFlightRecords: number;
  inFlightBytes: number;
  peakInFlightRecords: number;
  assignedPartitions: number;
  pausedPartitions: number;
  pauses: number;
  /** Worker thread ids that ran batches, per partition (for tests and the status page). */
  threadsByPartition: Record<string, number[]>;
  /** Partitions this instance owns, sorted, and whether backpressure has paused them. */
  partitions: Array<{ topic: string; partition: number; paused: boolean }>;
}

export interface CloseResult {
  /** True when every in-flight record was finished before the deadline. */
  drained: boolean;
  /** What could not complete before the deadline (in-flight records, last transaction, client close); empty when all did. */
  unfinished: string[];
  durationMs: number;
}

export interface EngineOptions {
  logger?: Logger;
  metrics?: Metrics;
  /**
   * Extra environment variables for the worker threads, over the process's own. Worker modules
   * are configured through their environment (SPIN_US, ALERT_TOPIC...).
   */
  workerEnv?: Readonly<Record<string, string>>;
  /** Creates the producer (tests inject a fake to exercise fatal-error recovery). */
  createProducer?: ProducerFactory;
}

/** Exactly-once: a newly assigned partition whose start position is being checked (checkStartPositions). */
interface StartCheck {
  token: number;
  topic: string;
  partition: number;
  /** The group's committed offset; null when it has none; undefined while being read. */
  expected: number | null | undefined;
  /** Records consumed while the committed offset is being read. */
  held: Kafka.Message[];
  /** More records came than START_CHECK_HOLD_MAX: they were dropped, so a seek is needed. */
  overflowed?: boolean;
  /** The first offset the consumer delivered. */
  firstSeen: number;
  seeking: boolean;
}

/** A record held behind its parked key, with its result once it has one. */
interface HeldRecord {
  batch: Batch;
  record: ConsumedRecord;
  outputs: EncodedOutput[];
  deadLetter: DeadLetter | null;
}

interface Connected {
  pool: WorkerPool;
  sink: Sink;
  source: Source;
  /** Exactly-once only. */
  transactions?: TransactionCoordinator;
}

const CONNECT_TIMEOUT_MS = 15_000;
/**
 * Exactly-once start check: how long one committed-offset query may wait. It waits while a
 * crashed owner's transaction is open, up to that transaction's timeout.
 */
const START_CHECK_TIMEOUT_MS = 5_000;
/** Records held per partition while its start check runs; beyond, they are dropped and re-read after a seek. */
const START_CHECK_HOLD_MAX = 5_000;
/** A partition with records waiting that delivered nothing this long is restarted (stall watchdog). */
const STALL_RESTART_MS = 15_000;
/** First contact with the brokers; failing it is logged and retried with backoff. */
const PROBE_TIMEOUT_MS = 5_000;
/** Bounds reached this long: pause partitions so rebalance callbacks keep being served. */
const PAUSE_AFTER_MS = 1_000;
/**
 * Shutdown: the part of shutdownTimeoutMs kept after the drain for flushing, committing and
 * closing the clients (at most a quarter of it).
 */
const CLOSE_RESERVE_MS = 5_000;
/** A commit answered later than this is logged. */
const SLOW_COMMIT_MS = 1_000;
/** Pause and resume can flip many times a second under backpressure: one line each per 10 s. */
const FLOW_LOG_INTERVAL_MS = 10_000;

export class Engine extends EventEmitter {
  readonly config: TurbineConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  private state: EngineState = 'created';
  private parts: Connected | undefined;
  private readonly partitions = new Map<PartitionId, PartitionState>();
  private readonly revoking = new Set<PartitionId>();
  private readonly paused = new Set<PartitionId>();
  private epochCounter = 0;
  private readonly batcher: Batcher;
  /** Adaptive batch size per lane (batchTargetMs > 0), fed with the worker time of each task. */
  private readonly sizer: BatchSizer | undefined;
  private readonly reorderer: Reorderer<Batch, BatchOutcome>;
  private readonly flow: FlowControl;
  private outputPartitions = new Map<string, number>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private gaugeTimer: NodeJS.Timeout | undefined;
  private closing: Promise<CloseResult> | undefined;
  private http: HttpServer | undefined;
  private readonly workerName: string;
  private readonly workerEnv: Readonly<Record<string, string>> | undefined;
  private readonly createProducer: ProducerFactory | undefined;
  /** Key mode: keys parked behind a record whose retries are running. */
  private readonly parking = new KeyParking<HeldRecord>();
  /** onFailure fail: partitions halted at a failed record's offset (nothing at or past it goes on). */
  private readonly haltedAt = new Map<PartitionId, number>();
  private recordFailure: TurbineError | undefined;
  private recoveringProducer = false;
  private readonly stats = {
    consumed: 0,
    produced: 0,
    deadLettered: 0,
    skipped: 0,
    producerRecoveries: 0,
    committedBatches: 0,
    pauses: 0,
  };
  private readonly threadsByPartition = new Map<PartitionId, Set<number>>();
  private joined = false;
  private workerBusyMs = 0;
  private utilizationAt = performance.now();
  /** pool.tasksRun already added to the workerTasks counter. */
  private tasksCounted = 0;
  private readonly lastFlowLogAt: Partial<Record<'pause' | 'resume', number>> = {};
  /** recordsProduced children by topic: acknowledgements arrive one by one, so skip the label hashing. */
  private readonly producedCounters = new Map<string, ReturnType<Metrics['recordsProduced']['labels']>>();
  /**
   * Exactly-once, between an abort and the end of its seek: partitions whose consumed records
   * are dropped, and the offset each is re-read from (-1: take the first dropped offset).
   */
  private readonly rewindTargets = new Map<PartitionId, number>();
  /**
   * Exactly-once: newly assigned partitions whose start position is being checked against the
   * group's committed offset (checkStartPositions). Records consumed meanwhile are held; the
   * first one must be at the committed offset, else the partition is sought there.
   */
  private readonly startChecks = new Map<PartitionId, StartCheck>();
  private startCheckCounter = 0;
  /** Stall watchdog: each partition's last restart and the wait before the next one. */
  private readonly stallRestarts = new Map<PartitionId, { at: number; waitMs: number }>();
  private txnId: string | undefined;
  /**
   * Exactly-once: revoked partitions whose last transaction is being committed. Results that
   * complete from now on are dropped: produced after that commit, they would commit later
   * without their offsets, and the next owner would produce them again.
   */
  private readonly sealed = new Set<PartitionId>();

  constructor(config: TurbineConfig, options: EngineOptions = {}) {
    super();
    this.config = config;
    this.logger = options.logger ?? createLogger(config.logLevel);
    this.metrics = options.metrics ?? createMetrics();
    this.sizer =
      config.batchTargetMs > 0
        ? new BatchSizer({ targetMs: config.batchTargetMs, maxRecords: config.batchMaxRecords })
        : undefined;
    this.batcher = new Batcher(
      {
        maxRecords: config.batchMaxRecords,
        maxBytes: config.batchMaxBytes,
        lingerMs: config.batchLingerMs,
      },
      this.sizer,
    );
    this.reorderer = new Reorderer(config.ordering !== 'unordered');
    this.flow = new FlowControl({
      maxRecords: config.maxInFlightRecords,
      maxBytes: config.maxInFlightBytes,
      pauseAfterMs: PAUSE_AFTER_MS,
    });
    this.workerName = basename(config.worker);
    this.workerEnv = options.workerEnv;
    this.createProducer = options.createProducer;
  }

  get lifecycle(): EngineState {
    return this.state;
  }

  /**
   * Milliseconds since the consume loop last came back, with or without records (an idle topic
   * is healthy; a loop stuck inside the client is not). /healthz uses it.
   */
  get consumeLoopIdleMs(): number {
    const source = this.parts?.source;
    return source ? Date.now() - source.lastReturnAt : 0;
  }

  /** True once the group coordinator answered with an assignment (possibly empty). */
  get joinedGroup(): boolean {
    return this.joined;
  }

  /** Exactly-once: this instance's transactional.id (set at start), else undefined. */
  get transactionalId(): string | undefined {
    return this.txnId;
  }

  /** Loads the worker, checks the topics, connects, and starts consuming. */
  async start(): Promise<void> {
    if (this.state !== 'created')
      throw new TurbineError('INVARIANT_VIOLATION', `start() called in state ${this.state}`);
    this.state = 'starting';
    const c = this.config;
    // Serve /healthz and /metrics from the start, so probes see an engine that is still connecting.
    if (c.metricsPort > 0) {
      this.http = await startHttpServer(this, c.metricsHost, c.metricsPort);
      this.logger.info({ port: this.http.port }, 'metrics and health endpoints listening');
    }
    const pool = new WorkerPool({
      threads: c.poolSize,
      taskTimeoutMs: c.taskTimeoutMs,
      setup: {
        workerPath: c.worker,
        inputFormat: c.inputFormat,
        outputFormat: c.outputFormat,
        inputSchema: c.inputSchema,
        outputSchema: c.outputSchema,
        avroWireFormat: c.avroWireFormat,
        outputSchemaId: c.outputSchemaId,
      },
      env: this.workerEnv,
      // A packed task is sized like one adaptive batch: about batchTargetMs of work.
      ...(c.taskPacking
        ? {
            packLimit: () => (this.sizer ? this.sizer.capFor(undefined) : c.batchMaxRecords),
            maxPackBytes: c.batchMaxBytes,
          }
        : {}),
    });
    try {
      await pool.probe();
      await this.prepareTopics();
      const exactlyOnce = c.guarantee === 'exactly-once';
      // Unique per engine instance: with KIP-447 fencing comes from the consumer group metadata
      // sent with the offsets, not from a transactional.id tied to partitions.
      if (exactlyOnce) this.txnId = `turbine-${c.group}-${randomUUID().slice(0, 8)}`;
      const sink = new Sink({
        transactionalId: this.txnId,
        // Longer than a transaction can legitimately stay open: its interval, plus a revoke's drain.
        transactionTimeoutMs: Math.max(
          DEFAULT_TRANSACTION_TIMEOUT_MS,
          c.rebalanceDrainTimeoutMs + 2 * c.transactionIntervalMs + 2_000,
        ),
        onTransactionError: (error) => this.parts?.transactions?.fail(error),
        brokers: c.brokers,
        clientId: c.clientId,
        kafka: c.kafka,
        retryInitialMs: c.retryInitialMs,
        retryMaxMs: c.retryMaxMs,
        logger: this.logger,
        onDeliveryError: (topic) => this.metrics.deliveryErrors.inc({ topic }),
        onFatal: (error) => this.fail(error),
        onStats: (json) => recordStats(this.metrics, json, 'producer'),
        onAcked: (topic, n) => {
          this.stats.produced += n;
          this.producedCounter(topic).inc(n);
        },
        onProducerFatal: (err) => void this.recoverProducer(err),
        ...(this.createProducer ? { createProducer: this.createProducer } : {}),
      });
      const source = new Source({
        brokers: c.brokers,
        group: c.group,
        topic: c.input,
        clientId: c.clientId,
        startFrom: c.startFrom,
        readCommitted: exactlyOnce,
        kafka: c.kafka,
        logger: this.logger,
        onStats: (json) => recordStats(this.metrics, json, 'consumer'),
        onFatal: (error) => this.fail(error),
        onCommitted: (err, durationMs, offsets) => {
          // 0: a commit this source did not time (a synchronous one, timed in commitSync).
          if (durationMs > 0) this.recordCommitLatency(durationMs);
          if (err) {
            this.metrics.commitFailures.inc();
            // Offered again on the next interval, even if nothing new was acknowledged meanwhile.
            for (const o of offsets) {
              if (o.offset !== undefined)
                this.partitions.get(partitionId(o.topic, o.partition))?.commitFailed(o.offset);
            }
            this.logger.warn({ err: errorMessage(err) }, 'offset commit failed; retried on the next interval');
          }
        },
      });
      this.parts = { pool, sink, source };
      this.applyFlow();
      await sink.connect(CONNECT_TIMEOUT_MS);
      await source.connect(CONNECT_TIMEOUT_MS);
      if (exactlyOnce) {
        this.parts.transactions = this.createTransactions(sink, source);
        await this.parts.transactions.start();
      }
      source.start({
        holdsPaused: () => this.flow.isPaused,
        onAssign: (tps) => this.onAssign(tps),
        onRevoke: (tps) => void this.onRevoke(tps),
        onMessages: (msgs) => this.onMessages(msgs),
      });
    } catch (error) {
      this.state = 'closed';
      await this.http?.close();
      await this.parts?.sink.disconnect().catch(() => undefined);
      await this.parts?.source.disconnect(2000).catch(() => undefined);
      await pool.destroy().catch(() => undefined);
      throw error;
    }
    const transactions = this.parts?.transactions;
    this.commitTimer = transactions
      ? setInterval(() => transactions.tick(), c.transactionIntervalMs)
      : setInterval(() => this.commitAcknowledged(), c.commitIntervalMs);
    this.gaugeTimer = setInterval(() => this.updateGauges(), 1000);
    this.state = 'running';
    this.logger.info(
      {
        input: c.input,
        output: c.output,
        group: c.group,
        poolSize: c.poolSize,
        ordering: c.ordering,
        guarantee: c.guarantee,
        transactionalId: this.txnId,
        worker: c.worker,
      },
      'engine started',
    );
    this.emit('started');
  }

  /** Broker down at start: retry with backoff and say so, rather than hang silently. */
  private async prepareTopics(): Promise<void> {
    const c = this.config;
    let delay = 1000;
    for (;;) {
      if (this.state !== 'starting') throw new TurbineError('KAFKA_CONNECT_FAILED', 'closed while waiting for Kafka');
      try {
        const counts = await topicPartitions(
          c.brokers,
          [c.input, c.output, c.deadLetterTopic],
          c.kafka,
          PROBE_TIMEOUT_MS,
        );
        const inputPartitions = counts.get(c.input);
        if (inputPartitions === undefined) {
          throw new TurbineError('KAFKA_ADMIN_FAILED', `Input topic ${c.input} does not exist on ${c.brokers}`);
        }
        const missing = [c.output, c.deadLetterTopic].filter((t) => !counts.has(t));
        if (missing.length > 0) {
          if (!c.createTopics) {
            throw new TurbineError(
              'KAFKA_ADMIN_FAILED',
              `Topic(s) ${missing.join(', ')} do not exist; create them or set createTopics true`,
            );
          }
          await ensureTopics(
            c.brokers,
            missing.map((name) => ({ name, partitions: inputPartitions })),
            c.kafka,
          );
          this.logger.info({ topics: missing, partitions: inputPartitions }, 'created missing topics');
          for (const t of missing) counts.set(t, inputPartitions);
        }
        this.outputPartitions = counts;
        return;
      } catch (error) {
        if (error instanceof TurbineError && error.code !== 'KAFKA_CONNECT_FAILED') throw error;
        if (this.state !== 'starting') {
          throw new TurbineError('KAFKA_CONNECT_FAILED', 'closed while waiting for Kafka', { cause: error });
        }
        this.logger.warn(
          { brokers: c.brokers, err: errorMessage(error), retryInMs: delay },
          'Kafka is not reachable; retrying',
        );
        // Sleep in small steps so a close() during the backoff is honoured promptly.
        const until = Date.now() + delay;
        while (Date.now() < until && this.state === 'starting') await new Promise((r) => setTimeout(r, 100));
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  // ---- source callbacks ----

  private onAssign(tps: TopicPartition[]): void {
    this.joined = true;
    for (const tp of tps) {
      const id = partitionId(tp.topic, tp.partition);
      this.partitions.set(id, new PartitionState(tp.topic, tp.partition, ++this.epochCounter));
      this.revoking.delete(id);
    }
    // The source has paused these if flow control holds the consumer back (holdsPaused), and
    // resumed them otherwise.
    if (this.flow.isPaused) for (const tp of tps) this.paused.add(partitionId(tp.topic, tp.partition));
    if (this.config.guarantee === 'exactly-once' && tps.length > 0) void this.checkStartPositions(tps);
    this.metrics.rebalances.inc({ kind: 'assign' }, 1);
    this.metrics.assignedPartitions.set(this.partitions.size);
    // Cooperative rebalances often hand out nothing new; only real changes are worth a line.
    if (tps.length > 0)
      this.logger.info({ partitions: tps.map((t) => t.partition), topic: tps[0]?.topic }, 'partitions assigned');
    this.emit('assigned', tps);
  }

  private async onRevoke(tps: TopicPartition[]): Promise<void> {
    const ids = tps.map((tp) => partitionId(tp.topic, tp.partition));
    for (const id of ids) {
      this.revoking.add(id);
      this.startChecks.delete(id);
    }
    this.metrics.rebalances.inc({ kind: 'revoke' }, 1);
    // Finish what was consumed from these partitions, so the next owner starts after it.
    for (const batch of this.batcher.takeAll((b) => ids.includes(partitionId(b.topic, b.partition)))) {
      this.dispatch(batch);
    }
    const drained = await this.waitUntil(
      () => ids.every((id) => this.settled(id)),
      this.config.rebalanceDrainTimeoutMs,
    );
    if (!drained) {
      this.logger.warn(
        { partitions: tps.map((t) => t.partition), timeoutMs: this.config.rebalanceDrainTimeoutMs },
        'revoked partitions did not drain in time; committing what is acknowledged (the rest is reprocessed)',
      );
    }
    // Exactly-once: commit the open transaction now, so no output of these partitions commits
    // later without its offsets (or is aborted with them).
    if (this.parts?.transactions) {
      for (const id of ids) this.sealed.add(id);
      await this.parts.transactions.commitNow();
    } else this.commitSync(ids);
    for (const tp of tps) {
      const id = partitionId(tp.topic, tp.partition);
      this.partitions.delete(id);
      this.stallRestarts.delete(id);
      this.revoking.delete(id);
      this.sealed.delete(id);
      this.paused.delete(id);
      // Another instance reports this partition's lag from now on.
      this.metrics.consumerLag.remove({ topic: tp.topic, partition: String(tp.partition) });
    }
    const revokedLane = (lane: string) => ids.some((id) => lane === id || lane.startsWith(`${id}#`));
    this.reorderer.dropLanes(revokedLane, (slot) => this.finish(slot.item, false));
    this.sizer?.dropLanes(revokedLane);
    this.dropParked((id) => ids.includes(id as PartitionId));
    for (const id of ids) this.haltedAt.delete(id);
    this.parts?.source.releaseRevoked(tps);
    this.metrics.assignedPartitions.set(this.partitions.size);
    this.logger.info({ partitions: tps.map((t) => t.partition), topic: tps[0]?.topic, drained }, 'partitions revoked');
    this.emit('revoked', tps);
  }

  private onMessages(messages: Kafka.Message[]): void {
    const now = Date.now();
    const ordering = this.config.ordering;
    const lanes = this.config.keyLanes;
    let accepted = 0;
    for (const m of messages) {
      const id = partitionId(m.topic, m.partition);
      const state = this.partitions.get(id);
      // Not ours (any more): the owner re-reads it from the committed offset.
      if (!state || this.revoking.has(id)) continue;
      if (this.startChecks.size > 0) {
        const check = this.startChecks.get(id);
        if (check && !this.passesStartCheck(id, check, m)) continue;
      }
      if (this.rewindTargets.size > 0 && this.rewindTargets.has(id)) {
        // Exactly-once, fetched before the seek: dropped, but the first one tells where to re-read from.
        if (this.rewindTargets.get(id)! < 0) this.rewindTargets.set(id, m.offset);
        continue;
      }
      // librdkafka never re-delivers below its position, but a replay must not be tracked twice
      // (nor, after a rewind, a leftover of the stream before the seek).
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
      state.lastConsumedAt = now;
      this.metrics.consumeDelay.observe(Math.max(0, now - record.timestamp) / 1000);
      this.flow.add(1, size);
      accepted++;
      const full = this.batcher.add(laneOf(record, ordering, lanes), state.epoch, record, now);
      if (full) this.dispatch(full);
    }
    if (accepted > 0) this.metrics.recordsConsumed.inc({ topic: messages[0]!.topic }, accepted);
    this.stats.consumed += accepted;
    this.armLinger();
    this.applyFlow();
  }

  // ---- batching and dispatch ----

  private armLinger(): void {
    if (this.lingerTimer) return;
    const deadline = this.batcher.nextDeadline();
    if (deadline === undefined) return;
    this.lingerTimer = setTimeout(
      () => {
        this.lingerTimer = undefined;
        for (const batch of this.batcher.takeDue(Date.now(), this.parts?.pool.busy)) this.dispatch(batch);
        this.armLinger();
      },
      Math.max(0, deadline - Date.now()),
    );
  }

  private dispatch(batch: Batch): void {
    const parts = this.parts!;
    const slot = this.reorderer.add(batch.lane, batch);
    this.metrics.batchesDispatched.inc({ topic: batch.topic });
    this.metrics.batchSize.observe(batch.records.length);
    runBatch(
      (b, records, packable) => parts.pool.run(b, records, packable),
      batch,
      {
        maxAttempts: this.config.retryMaxAttempts,
        initialMs: this.config.retryInitialMs,
        maxMs: this.config.retryMaxMs,
      },
      // Key mode parks only the failing record's key while its retries run (key-parking.ts).
      { parkFailures: this.config.ordering === 'key' },
    )
      .then((outcome) => this.onBatchDone(slot, outcome))
      .catch((error) => this.fail(error));
  }

  private onBatchDone(slot: Slot<Batch, BatchOutcome>, outcome: BatchOutcome): void {
    const batch = slot.item;
    this.metrics.taskDuration.observe(outcome.workerMs / 1000);
    this.workerBusyMs += outcome.workerMs;
    // Only clean single attempts measure the per-record cost (retries and splits add backoff and crashes).
    if (outcome.attempts === 1 && outcome.crashes === 0 && outcome.timeouts === 0) {
      this.sizer?.observe(batch.lane, batch.records.length, outcome.workerMs);
    }
    this.metrics.queueWait.observe(Math.max(0, Date.now() - batch.openedAt - outcome.workerMs) / 1000);
    if (outcome.retriedRecords > 0) this.metrics.recordsRetried.inc({ topic: batch.topic }, outcome.retriedRecords);
    if (outcome.crashes > 0) this.metrics.workerCrashes.inc(outcome.crashes);
    if (outcome.timeouts > 0 || outcome.crashes > 0) {
      this.metrics.taskTimeouts.inc(outcome.timeouts);
      const first = batch.records[0]!.offset;
      const last = batch.records[batch.records.length - 1]!.offset;
      this.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          offsets: [first, last],
          timeouts: outcome.timeouts,
          crashes: outcome.crashes,
        },
        'worker thread replaced while running a batch (timeout or crash); batch retried',
      );
    }
    const id = partitionId(batch.topic, batch.partition);
    let threads = this.threadsByPartition.get(id);
    if (!threads) {
      threads = new Set();
      this.threadsByPartition.set(id, threads);
    }
    for (const t of outcome.threadIds) if (t >= 0) threads.add(t);
    const released = this.reorderer.complete(slot, outcome);
    if (slot.dropped) this.finish(batch, false);
    for (const s of released) this.emitOutputs(s.item, s.result!);
  }

  private isCurrent(batch: Batch): boolean {
    const state = this.partitions.get(partitionId(batch.topic, batch.partition));
    return state !== undefined && state.epoch === batch.epoch;
  }

  private emitOutputs(batch: Batch, outcome: BatchOutcome): void {
    if (
      !this.isCurrent(batch) ||
      (this.sealed.size > 0 && this.sealed.has(partitionId(batch.topic, batch.partition)))
    ) {
      // An older assignment epoch (its partition moved), or a revoked partition whose last
      // transaction is committing: never produce or commit for it.
      for (const p of outcome.parked) p.retry.catch(() => undefined);
      this.finish(batch, false);
      return;
    }
    if (outcome.parked.length === 0 && !this.parking.hasParked(partitionId(batch.topic, batch.partition))) {
      this.deliver(batch, batch.records, outcome.outputs, outcome.deadLetters);
      return;
    }
    this.deliverAroundParked(batch, outcome);
  }

  /**
   * Key mode with parked keys: records being retried park their key, records of parked keys
   * queue behind them, and the rest of the batch is delivered now.
   */
  private deliverAroundParked(batch: Batch, outcome: BatchOutcome): void {
    const id = partitionId(batch.topic, batch.partition);
    const parked = new Map(outcome.parked.map((p) => [p.index, p]));
    const deadByIndex = new Map(outcome.deadLetters.map((d) => [d.index, d]));
    const records: ConsumedRecord[] = [];
    const outputs: EncodedOutput[][] = [];
    const deadLetters: DeadLetter[] = [];
    for (let i = 0; i < batch.records.length; i++) {
      const record = batch.records[i]!;
      const key = keyId(record.key);
      const retrying = parked.get(i);
      const dead = deadByIndex.get(i) ?? null;
      if (retrying) {
        const wasParked = this.parking.isParked(id, key);
        const held: HeldRecord = { batch, record, outputs: [], deadLetter: null };
        const entry = this.parking.enqueue(id, key, record.offset, held, false);
        if (!wasParked) this.onParked(batch, record.offset, retrying.attempts);
        retrying.retry.then(
          (result) => this.onParkedDone(entry, result),
          (error) => this.fail(error),
        );
      } else if (this.parking.isParked(id, key)) {
        const held: HeldRecord = { batch, record, outputs: outcome.outputs[i] ?? [], deadLetter: dead };
        this.parking.enqueue(id, key, record.offset, held, true);
      } else {
        if (dead) deadLetters.push({ ...dead, index: records.length });
        records.push(record);
        outputs.push(outcome.outputs[i] ?? []);
      }
    }
    this.metrics.parkedKeys.set(this.parking.size);
    if (records.length > 0) this.deliver(batch, records, outputs, deadLetters);
  }

  private onParked(batch: Batch, offset: number, attempts: number): void {
    this.logger.warn(
      { topic: batch.topic, partition: batch.partition, offset, attempts },
      'record failed; its key is parked while it is retried (other keys go on)',
    );
    this.emit('parked', { topic: batch.topic, partition: batch.partition, offset });
  }

  /** A parked record is done: deliver it and the records of its key released behind it. */
  private onParkedDone(entry: ParkingEntry<HeldRecord>, result: RecordRetry): void {
    this.workerBusyMs += result.workerMs;
    if (result.crashes > 0) this.metrics.workerCrashes.inc(result.crashes);
    if (result.timeouts > 0) this.metrics.taskTimeouts.inc(result.timeouts);
    const { batch } = entry.item;
    this.metrics.recordsRetried.inc({ topic: batch.topic }, 1);
    const released = this.parking.resolve(entry, {
      ...entry.item,
      outputs: result.outputs,
      deadLetter: result.deadLetter,
    });
    this.metrics.parkedKeys.set(this.parking.size);
    if (released.length === 0) return;
    this.logger.info(
      { topic: batch.topic, partition: batch.partition, offset: entry.offset, released: released.length },
      'parked key released',
    );
    this.emit('unparked', { topic: batch.topic, partition: batch.partition, offset: entry.offset });
    const records: ConsumedRecord[] = [];
    const outputs: EncodedOutput[][] = [];
    const deadLetters: DeadLetter[] = [];
    for (const e of released) {
      if (e.item.deadLetter) deadLetters.push({ ...e.item.deadLetter, index: records.length });
      records.push(e.item.record);
      outputs.push(e.item.outputs);
    }
    // Entries of one key share the partition and its epoch (a revoke or rewind drops them all).
    this.deliver(released[0]!.item.batch, records, outputs, deadLetters);
  }

  /** Drops parked keys of matching partitions; their records are released from flow control. */
  private dropParked(match: (partition: string) => boolean): void {
    for (const e of this.parking.drop(match)) this.finish(e.item.batch, false, [e.item.record]);
    this.metrics.parkedKeys.set(this.parking.size);
  }

  /**
   * Produces the outputs of `records` (a batch, or part of one, in offset order) and applies
   * onFailure to their dead letters; once all is acknowledged the records are complete.
   * `deadLetters` index into `records`.
   */
  private deliver(
    batch: Batch,
    inputRecords: ConsumedRecord[],
    inputOutputs: EncodedOutput[][],
    inputDeadLetters: DeadLetter[],
  ): void {
    const c = this.config;
    let records = inputRecords;
    let outputsOf = inputOutputs;
    let deadLetters = inputDeadLetters;
    let skipped: DeadLetter[] = [];
    const id = partitionId(batch.topic, batch.partition);
    const haltAt = this.haltedAt.get(id);
    if (deadLetters.length > 0 || haltAt !== undefined) {
      const plan = planFailures(
        c.onFailure,
        records.map((r) => r.offset),
        deadLetters,
        haltAt,
      );
      if (plan.haltAt !== undefined) this.haltedAt.set(id, plan.haltAt);
      if (plan.stop) this.stopOnFailure(batch, records[plan.stop.index]!, plan.stop);
      deadLetters = plan.deadLetter;
      skipped = plan.skip;
      if (plan.drop.length > 0) {
        // Halted: nothing at or past the failed record is produced or completed.
        this.finish(
          batch,
          false,
          plan.drop.map((i) => records[i]!),
        );
        const position = new Map(plan.keep.map((i, j) => [i, j]));
        const reindex = (d: DeadLetter) => ({ ...d, index: position.get(d.index)! });
        deadLetters = deadLetters.map(reindex);
        skipped = skipped.map(reindex);
        outputsOf = plan.keep.map((i) => outputsOf[i]!);
        records = plan.keep.map((i) => records[i]!);
        if (records.length === 0) return;
      }
    }
    const group: DeliveryGroup = {
      remaining: 0,
      // Exactly-once: a group settles as failed when its transaction aborts.
      onAcked: () => this.finish(batch, group.failed !== true, records),
      onDropped: () => this.finish(batch, false, records),
    };
    const messages: OutboundMessage[] = [];
    const lineage = c.lineageHeaders;
    const partitionText = String(batch.partition);
    // node-rdkafka reads header objects synchronously inside produce(): the topic and partition
    // headers are the same for every output of this batch, so one object each is shared.
    const topicHeader: Kafka.MessageHeader = { [LINEAGE_HEADERS.topic]: batch.topic };
    const partitionHeader: Kafka.MessageHeader = { [LINEAGE_HEADERS.partition]: partitionText };
    for (let i = 0; i < records.length; i++) {
      const outputs = outputsOf[i] ?? [];
      const record = records[i]!;
      for (const o of outputs) {
        const topic = o.topic ?? c.output;
        const headers: Kafka.MessageHeader[] = [];
        for (const [k, v] of o.headers) headers.push({ [k]: v });
        if (lineage) headers.push(topicHeader, partitionHeader, { [LINEAGE_HEADERS.offset]: String(record.offset) });
        messages.push({
          topic,
          partition: this.partitionFor(topic, o.key, batch.partition),
          key: o.key,
          value: o.value,
          headers,
          group,
          attempts: 0,
        });
      }
    }
    for (const dl of deadLetters) {
      const record = records[dl.index]!;
      this.stats.deadLettered++;
      this.metrics.recordsDeadLettered.inc({ topic: batch.topic, code: dl.code });
      const headers: Kafka.MessageHeader[] = [
        ...(record.headers ?? []).map((h) => ({ ...h }) as Kafka.MessageHeader),
        { [DEAD_LETTER_HEADERS.code]: dl.code },
        { [DEAD_LETTER_HEADERS.message]: dl.message.slice(0, 2000) },
        { [DEAD_LETTER_HEADERS.attempts]: String(dl.attempts) },
        { [DEAD_LETTER_HEADERS.firstFailure]: String(dl.firstFailureAt) },
        { [DEAD_LETTER_HEADERS.lastFailure]: String(dl.lastFailureAt) },
        { [DEAD_LETTER_HEADERS.worker]: this.workerName },
        { [LINEAGE_HEADERS.topic]: batch.topic },
        { [LINEAGE_HEADERS.partition]: partitionText },
        { [LINEAGE_HEADERS.offset]: String(record.offset) },
      ];
      messages.push({
        topic: c.deadLetterTopic,
        partition: this.partitionFor(c.deadLetterTopic, null, batch.partition),
        key: record.key,
        value: record.value,
        headers,
        group,
        attempts: 0,
      });
      this.logger.warn(failureFields(batch, record, dl), 'record dead-lettered');
      this.emit('deadLettered', {
        topic: batch.topic,
        partition: batch.partition,
        offset: record.offset,
        code: dl.code,
      });
    }
    for (const dl of skipped) this.onSkipped(batch, records[dl.index]!, dl);
    if (messages.length === 0) {
      this.finish(batch, true, records);
      return;
    }
    group.remaining = messages.length;
    const parts = this.parts!;
    if (parts.transactions) parts.transactions.send(messages);
    else parts.sink.send(messages);
  }

  private onSkipped(batch: Batch, record: ConsumedRecord, dl: DeadLetter): void {
    this.stats.skipped++;
    this.metrics.recordsSkipped.inc({ topic: batch.topic, code: dl.code });
    this.logger.warn(
      failureFields(batch, record, dl),
      'record skipped (onFailure skip): dropped without a dead-letter copy',
    );
    this.emit('skipped', { topic: batch.topic, partition: batch.partition, offset: record.offset, code: dl.code });
  }

  /** onFailure fail: the partition is halted at the record (by deliver); stop the engine once. */
  private stopOnFailure(batch: Batch, record: ConsumedRecord, dl: DeadLetter): void {
    const where = `${batch.topic}/${batch.partition}@${record.offset}`;
    const error = new TurbineError(
      'RECORD_FAILED',
      `record ${where} failed ${dl.attempts} attempt(s) with ${dl.code}: ${dl.message}; onFailure is fail, so the engine stops without committing it`,
      {
        details: { code: dl.code, topic: batch.topic, partition: batch.partition, offset: record.offset },
      },
    );
    if (this.recordFailure) {
      this.logger.error({ ...error.details, attempts: dl.attempts }, 'another record failed while stopping');
      return;
    }
    this.recordFailure = error;
    this.fail(error);
  }

  /**
   * A partition with nothing left to wait for: all consumed offsets complete, or, halted by
   * onFailure fail, all offsets before the failed record complete.
   */
  private settled(id: PartitionId): boolean {
    const s = this.partitions.get(id);
    if (!s || s.idle) return true;
    const halt = this.haltedAt.get(id);
    return halt !== undefined && s.commitPoint() === halt;
  }

  private producedCounter(topic: string): ReturnType<Metrics['recordsProduced']['labels']> {
    let counter = this.producedCounters.get(topic);
    if (!counter) {
      counter = this.metrics.recordsProduced.labels({ topic });
      this.producedCounters.set(topic, counter);
    }
    return counter;
  }

  /** Keyless outputs keep their input partition (mod the output's count), so order stays observable. */
  private partitionFor(topic: string, key: Buffer | null, inputPartition: number): number {
    if (key !== null) return -1;
    const count = this.outputPartitions.get(topic);
    return count === undefined ? -1 : inputPartition % count;
  }

  /** Releases `records` (a batch, or part of one) from flow control; complete if acknowledged. */
  private finish(batch: Batch, acknowledged: boolean, records: ConsumedRecord[] = batch.records): void {
    let bytes = 0;
    for (const r of records) bytes += r.size;
    this.flow.release(records.length, bytes);
    if (acknowledged && this.isCurrent(batch)) {
      const state = this.partitions.get(partitionId(batch.topic, batch.partition))!;
      const offsets = new Array<number>(records.length);
      const now = Date.now();
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        offsets[i] = r.offset;
        this.metrics.endToEndLatency.observe(Math.max(0, now - r.timestamp) / 1000);
      }
      state.complete(offsets);
      this.stats.committedBatches++;
    }
    this.applyFlow();
  }

  // ---- fatal producer errors ----

  /**
   * librdkafka reported a fatal producer error (RD_KAFKA_RESP_ERR__FATAL, e.g. the idempotent
   * producer's sequence state is lost): the producer must be replaced, and whatever it had not
   * acknowledged may or may not be written. Commit what is complete (acknowledged before the
   * error), drop everything in flight (new partition epochs: late results are discarded), seek
   * every owned partition back to its commit point, and go on with a new producer. Outputs
   * since the commit point may appear twice (at-least-once).
   */
  private async recoverProducer(error: unknown): Promise<void> {
    const parts = this.parts;
    if (!parts || this.recoveringProducer || (this.state !== 'running' && this.state !== 'draining')) return;
    this.recoveringProducer = true;
    this.stats.producerRecoveries++;
    this.metrics.producerRecoveries.inc();
    this.commitSync();
    const rewinds: Array<TopicPartition & { offset: number }> = [];
    for (const [id, old] of this.partitions) {
      const point = old.commitPoint();
      const rewind = point === null ? undefined : { from: point, lastConsumed: old.lastOffset };
      const next = new PartitionState(old.topic, old.partition, ++this.epochCounter, old.committed, rewind);
      this.partitions.set(id, next);
      if (point !== null && !old.idle) rewinds.push({ topic: old.topic, partition: old.partition, offset: point });
    }
    this.logger.error(
      { code: 'KAFKA_PRODUCER_FATAL', err: errorMessage(error), rewound: rewinds },
      'fatal producer error: producer re-created, in-flight work dropped, partitions rewound to their commit point',
    );
    this.emit('producerRecovered', { rewound: rewinds });
    for (const batch of this.batcher.takeAll()) this.finish(batch, false);
    this.reorderer.dropLanes(
      () => true,
      (slot) => this.finish(slot.item, false),
    );
    this.dropParked(() => true);
    try {
      await Promise.all([
        parts.sink.replaceProducer(CONNECT_TIMEOUT_MS),
        ...rewinds.map((r) => parts.source.seek(r, r.offset)),
      ]);
    } catch (cause) {
      this.fail(
        new TurbineError(
          'KAFKA_PRODUCER_FATAL',
          `recovery from a fatal producer error failed: ${errorMessage(cause)}`,
          {
            cause,
          },
        ),
      );
    } finally {
      this.recoveringProducer = false;
    }
  }

  // ---- flow control ----

  private applyFlow(): void {
    const source = this.parts?.source;
    if (!source) return;
    const decision = this.flow.decide();
    if (decision === 'pause') {
      const tps: TopicPartition[] = [];
      for (const [id, s] of this.partitions) {
        if (!this.paused.has(id)) {
          this.paused.add(id);
          tps.push({ topic: s.topic, partition: s.partition });
        }
      }
      source.pause(tps);
      this.stats.pauses++;
      this.logFlow(
        'pause',
        { partitions: tps.length, pausesSoFar: this.stats.pauses },
        'paused (in-flight bound reached)',
      );
      this.emit('paused', tps);
    } else if (decision === 'resume') {
      const tps: TopicPartition[] = [];
      for (const id of this.paused) {
        const s = this.partitions.get(id);
        if (s) tps.push({ topic: s.topic, partition: s.partition });
      }
      this.paused.clear();
      source.resume(tps);
      this.logFlow('resume', { partitions: tps.length }, 'resumed');
      this.emit('resumed', tps);
    }
    // Never ask for more than the bound leaves room for. While paused, consume(1) keeps rebalance
    // callbacks served (paused partitions deliver nothing); while merely full, consume nothing.
    const room = this.flow.room;
    source.maxMessages = this.paused.size > 0 ? Math.max(1, room) : room;
    const due = this.flow.pauseDueAt;
    if (due !== undefined && !this.pauseTimer) {
      this.pauseTimer = setTimeout(
        () => {
          this.pauseTimer = undefined;
          this.applyFlow();
        },
        Math.max(0, due - Date.now()) + 1,
      );
    }
    this.metrics.pausedPartitions.set(this.paused.size);
  }

  private logFlow(kind: 'pause' | 'resume', fields: Record<string, number>, message: string): void {
    const now = Date.now();
    if (now - (this.lastFlowLogAt[kind] ?? 0) <= FLOW_LOG_INTERVAL_MS) return;
    this.lastFlowLogAt[kind] = now;
    this.logger.info({ ...fields, inFlight: this.flow.inFlightRecords }, message);
  }

  // ---- commits ----

  private pendingOffsets(ids?: PartitionId[]): Array<TopicPartition & { offset: number }> {
    const out: Array<TopicPartition & { offset: number }> = [];
    const states = ids ? ids.map((id) => this.partitions.get(id)) : [...this.partitions.values()];
    for (const s of states) {
      if (!s) continue;
      const offset = s.pendingCommit();
      if (offset !== null) out.push({ topic: s.topic, partition: s.partition, offset });
    }
    return out;
  }

  private commitAcknowledged(): void {
    const offsets = this.pendingOffsets();
    if (offsets.length === 0 || !this.parts) return;
    try {
      this.parts.source.commit(offsets);
      for (const o of offsets) this.partitions.get(partitionId(o.topic, o.partition))?.markCommitted(o.offset);
      this.metrics.commits.inc();
      this.emit('committed', offsets);
    } catch (error) {
      this.metrics.commitFailures.inc();
      this.logger.warn({ err: errorMessage(error) }, 'offset commit failed; retried on the next interval');
    }
  }

  private commitSync(ids?: PartitionId[]): void {
    const offsets = this.pendingOffsets(ids);
    if (offsets.length === 0 || !this.parts) return;
    const started = Date.now();
    try {
      this.parts.source.commitSync(offsets);
      for (const o of offsets) this.partitions.get(partitionId(o.topic, o.partition))?.markCommitted(o.offset);
      this.metrics.commits.inc();
      this.recordCommitLatency(Date.now() - started, offsets.length);
      this.emit('committed', offsets);
    } catch (error) {
      // ERR__STATE: the partitions are no longer ours (lost assignment); the owner re-reads them.
      this.metrics.commitFailures.inc();
      this.logger.warn({ err: errorMessage(error), offsets }, 'synchronous offset commit failed');
    }
  }

  // ---- exactly-once ----

  private createTransactions(sink: Sink, source: Source): TransactionCoordinator {
    return new TransactionCoordinator({
      client: kafkaTransactionalClient(
        () => sink.client,
        source.client,
        () => sink.replaceProducer(CONNECT_TIMEOUT_MS),
      ),
      logger: this.logger,
      metrics: {
        committed: (ms) => {
          this.metrics.transactionsCommitted.inc();
          this.metrics.transactionDuration.observe(ms / 1000);
        },
        aborted: (reason) => this.metrics.transactionsAborted.inc({ reason }),
      },
      hooks: {
        produce: (messages) => sink.send(messages),
        unacknowledged: () => sink.inFlight,
        pendingOffsets: () => this.pendingOffsets(),
        committed: (offsets) => this.markTransactionCommitted(offsets),
        invalidate: () => this.invalidateInFlight(),
        discard: (messages) => settleFailed(messages),
        rewind: () => this.rewindToCommitted(sink, source),
      },
    });
  }

  /**
   * Commits the last transaction within timeoutMs (a commit or recovery may be retrying against
   * a broker that does not answer); past it the coordinator is abandoned, so nothing is retried
   * after the engine closed. Resolves true when the last transaction committed.
   */
  private async closeTransactions(transactions: TransactionCoordinator, timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([transactions.close(true), timedOut]);
    clearTimeout(timer);
    if (outcome === true) return true;
    if (outcome === 'timeout') transactions.abandon();
    this.logger.warn(
      { outcome: outcome === 'timeout' ? 'deadline passed' : 'aborted' },
      'last transaction not committed; its records are read again by the next owner',
    );
    return false;
  }

  private markTransactionCommitted(offsets: CommitOffset[]): void {
    for (const o of offsets) this.partitions.get(partitionId(o.topic, o.partition))?.markCommitted(o.offset);
    if (offsets.length === 0) return;
    this.metrics.commits.inc();
    this.emit('committed', offsets);
  }

  /**
   * An abort was decided: every owned partition gets a new epoch (results of the old one are
   * dropped when they return), batches not yet dispatched are dropped, and consumed records are
   * ignored until the partition is sought back to its rewind offset.
   */
  private invalidateInFlight(): void {
    for (const [id, s] of this.partitions) {
      this.rewindTargets.set(id, s.rewindOffset);
      this.partitions.set(id, new PartitionState(s.topic, s.partition, ++this.epochCounter, s.committed));
    }
    for (const batch of this.batcher.takeAll()) this.finish(batch, false);
    this.reorderer.dropLanes(
      () => true,
      (slot) => this.finish(slot.item, false),
    );
  }

  /**
   * Exactly-once: starts newly assigned partitions at the group's committed offset, read here
   * rather than trusted to librdkafka. librdkafka 2.12 fetches it with require_stable; while a
   * crashed owner's transaction holding offsets is open, the broker answers
   * UNSTABLE_OFFSET_COMMIT, and if the assignment changes while that fetch is in flight (the
   * second round of a cooperative rebalance), librdkafka re-queues the partition with offset
   * INVALID and starts it at auto.offset.reset (rdkafka_assignment.c,
   * rd_kafka_assignment_apply_offsets): every record since the beginning would be processed
   * again. committed() waits for the open transaction to end just the same. Records consumed
   * meanwhile are held (passesStartCheck); if the first one is at the committed offset (or the
   * group has none) they go on, else they are dropped and the partition seeks there
   * (seekToStart).
   */
  private async checkStartPositions(tps: TopicPartition[]): Promise<void> {
    const token = ++this.startCheckCounter;
    for (const tp of tps)
      this.startChecks.set(partitionId(tp.topic, tp.partition), {
        token,
        topic: tp.topic,
        partition: tp.partition,
        expected: undefined,
        held: [],
        firstSeen: -1,
        seeking: false,
      });
    const mine = (tp: TopicPartition) => this.startChecks.get(partitionId(tp.topic, tp.partition))?.token === token;
    let delay = 500;
    for (;;) {
      const parts = this.parts;
      const pending = tps.filter(mine);
      if (!parts || pending.length === 0 || this.state === 'closed') return;
      try {
        const committed = await parts.source.committed(pending, START_CHECK_TIMEOUT_MS);
        for (const c of committed) {
          const id = partitionId(c.topic, c.partition);
          const check = this.startChecks.get(id);
          if (check?.token !== token) continue;
          // null: the group has no committed offset; the consumer's startFrom position is right.
          check.expected = c.offset !== undefined && c.offset >= 0 ? c.offset : null;
          const held = check.held;
          check.held = [];
          if (held.length > 0 && this.passesStartCheck(id, check, held[0]!)) this.onMessages(held);
          else if (check.firstSeen >= 0 && !check.seeking) this.seekToStart(id, check);
        }
        return;
      } catch (error) {
        if (tps.filter(mine).length === 0) return;
        this.logger.warn(
          { err: errorMessage(error), partitions: pending.map((t) => t.partition), retryInMs: delay },
          'could not read the committed offsets of assigned partitions; retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /**
   * A record of a partition under its start check: true when the check is over and the record
   * is to be processed (the partition started at its committed offset). Otherwise the record is
   * held (offset still unknown) or dropped (a seek to the committed offset follows).
   */
  private passesStartCheck(id: PartitionId, check: StartCheck, m: Kafka.Message): boolean {
    if (check.firstSeen < 0) check.firstSeen = m.offset;
    if (check.seeking) return false;
    if (check.expected === undefined) {
      if (check.held.length < START_CHECK_HOLD_MAX) check.held.push(m);
      else check.overflowed = true;
      return false;
    }
    const wanted = check.expected ?? check.firstSeen;
    if (m.offset === wanted && !check.overflowed) {
      this.startChecks.delete(id);
      return true;
    }
    this.seekToStart(id, check);
    return false;
  }

  /** Seeks a partition whose consumer started elsewhere to its committed offset (or, after an overflow, its first one). */
  private seekToStart(id: PartitionId, check: StartCheck): void {
    const parts = this.parts;
    if (!parts) return;
    const offset = check.expected ?? check.firstSeen;
    check.seeking = true;
    check.held = [];
    if (check.expected !== null && check.expected !== undefined && check.firstSeen !== check.expected)
      this.logger.warn(
        { partition: check.partition, startedAt: check.firstSeen, committed: check.expected },
        'consumer started a partition away from its committed offset; moving it back',
      );
    const position = { topic: check.topic, partition: check.partition, offset };
    parts.source
      .rewind(() => (this.startChecks.get(id) === check ? [position] : []))
      .then(
        () => {
          if (this.startChecks.get(id) === check) this.startChecks.delete(id);
        },
        (error: unknown) => {
          check.seeking = false;
          this.logger.warn(
            { err: errorMessage(error), partition: check.partition, offset },
            'seek to the committed offset failed; retried on the next record',
          );
        },
      );
  }

  private async rewindToCommitted(sink: Sink, source: Source): Promise<void> {
    sink.failOutstanding();
    const positions: Array<TopicPartition & { offset: number }> = [];
    // Positions are read after the consume() call in flight returned: records it dropped may
    // set the target of a partition that had consumed nothing before.
    await source.rewind(() => {
      for (const [id, target] of this.rewindTargets) {
        const s = this.partitions.get(id);
        if (s && target >= 0) positions.push({ topic: s.topic, partition: s.partition, offset: target });
      }
      return positions;
    });
    // Only once every seek succeeded: a failed rewind is retried with the same targets.
    this.rewindTargets.clear();
    this.logger.info({ partitions: positions.map((p) => `${p.partition}@${p.offset}`) }, 'partitions rewound');
  }

  private recordCommitLatency(ms: number, partitions?: number): void {
    this.metrics.commitLatency.observe(ms / 1000);
    if (ms > SLOW_COMMIT_MS) this.logger.warn({ ms: Math.round(ms), partitions }, 'slow offset commit');
  }

  // ---- gauges ----

  private updateGauges(): void {
    const pool = this.parts?.pool;
    this.metrics.inFlightRecords.set(this.flow.inFlightRecords);
    this.metrics.inFlightBytes.set(this.flow.inFlightBytes);
    if (pool) {
      // Piscina 5.3's own utilization divides milliseconds by 1000 twice (reads ~0); use the
      // worker time returned with each task instead: busy ms over thread-ms since the last tick.
      const now = performance.now();
      const elapsed = now - this.utilizationAt;
      if (elapsed > 0) {
        const ratio = this.workerBusyMs / (elapsed * this.config.poolSize);
        this.metrics.poolUtilization.set(Math.min(1, ratio));
      }
      this.utilizationAt = now;
      this.workerBusyMs = 0;
      this.metrics.poolQueueDepth.set(pool.queueSize);
      this.metrics.workerTasks.inc(pool.tasksRun - this.tasksCounted);
      this.tasksCounted = pool.tasksRun;
    }
    const source = this.parts?.source;
    if (!source) return;
    for (const s of this.partitions.values()) {
      source
        .queryHighWatermark(s.topic, s.partition)
        .then((high) => {
          // Revoked meanwhile: its lag is no longer ours to report.
          if (this.partitions.get(partitionId(s.topic, s.partition)) !== s) return;
          const committed = s.committed >= 0 ? s.committed : (s.commitPoint() ?? 0);
          this.metrics.consumerLag.set(
            { topic: s.topic, partition: String(s.partition) },
            Math.max(0, high - committed),
          );
          this.restartIfStalled(s, high);
        })
        .catch(() => undefined);
    }
  }

  /**
   * Stall watchdog. A partition we own, have not paused, with records waiting on the broker and
   * room to take them, that delivered nothing for STALL_RESTART_MS is resumed and sought to the
   * next offset it needs, which restarts librdkafka's fetch for it (the workaround librdkafka
   * gives for fetches lost in pause/assign races, librdkafka#2190 and #5591). The wait doubles
   * while it does not help, so a tail of transaction markers costs one line now and then.
   */
  private restartIfStalled(s: PartitionState, high: number): void {
    const id = partitionId(s.topic, s.partition);
    const last = this.stallRestarts.get(id);
    // Delivering again since the last restart: the next stall starts from the base wait.
    if (last && s.lastConsumedAt > last.at) this.stallRestarts.delete(id);
    const next = s.lastOffset >= 0 ? s.lastOffset + 1 : s.committed;
    // A gap of one can be the commit marker of a transactional input, never delivered.
    if (next < 0 || high - next <= 1) return;
    if (this.paused.has(id) || this.revoking.has(id) || this.flow.room <= 0 || this.state !== 'running') return;
    const restart = this.stallRestarts.get(id);
    const waitMs = restart ? restart.waitMs * 2 : STALL_RESTART_MS;
    const now = Date.now();
    if (now - Math.max(s.lastConsumedAt, restart?.at ?? 0) < (restart?.waitMs ?? STALL_RESTART_MS)) return;
    this.stallRestarts.set(id, { at: now, waitMs: Math.min(waitMs, 300_000) });
    this.metrics.stalledPartitionRestarts.inc();
    this.logger.warn(
      { topic: s.topic, partition: s.partition, nextOffset: next, highWatermark: high, idleMs: now - s.lastConsumedAt },
      'partition delivered nothing while records wait; resuming it and seeking to its next offset',
    );
    const source = this.parts?.source;
    if (!source) return;
    const tp = { topic: s.topic, partition: s.partition };
    source.resume([tp]);
    source
      .seek(tp, next)
      .catch((error) =>
        this.logger.warn({ err: errorMessage(error), partition: s.partition }, 'stall restart seek failed'),
      );
  }

  // ---- lifecycle ----

  private waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        resolve(done());
      }, timeoutMs);
      const poll = setInterval(() => {
        if (done()) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(true);
        }
      }, 10);
    });
  }

  snapshot(): EngineStats {
    const threadsByPartition: Record<string, number[]> = {};
    for (const [id, set] of this.threadsByPartition) threadsByPartition[id] = [...set].sort((a, b) => a - b);
    return {
      state: this.state,
      consumed: this.stats.consumed,
      produced: this.stats.produced,
      deadLettered: this.stats.deadLettered,
      skipped: this.stats.skipped,
      parkedKeys: this.parking.size,
      producerRecoveries: this.stats.producerRecoveries,
      committedBatches: this.stats.committedBatches,
      workerTasks: this.parts?.pool.tasksRun ?? 0,
      workerTaskBatches: this.parts?.pool.batchesRun ?? 0,
      inFlightRecords: this.flow.inFlightRecords,
      inFlightBytes: this.flow.inFlightBytes,
      peakInFlightRecords: this.flow.peakRecords,
      assignedPartitions: this.partitions.size,
      pausedPartitions: this.paused.size,
      pauses: this.stats.pauses,
      threadsByPartition,
      partitions: [...this.partitions]
        .map(([id, p]) => ({ topic: p.topic, partition: p.partition, paused: this.paused.has(id) }))
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1)),
    };
  }

  private fail(error: unknown): void {
    this.logger.error(
      {
        err: errorMessage(error),
        code: (error as TurbineError).code,
        ...(error instanceof TurbineError ? { details: error.details } : {}),
      },
      'engine failure; shutting down',
    );
    this.emit('error', error);
    void this.close();
  }

  /**
   * Graceful drain: stop fetching, finish in-flight batches, flush the producer, commit, leave
   * the group. Resolves within shutdownTimeoutMs (plus the client close), drained or not.
   */
  close(): Promise<CloseResult> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<CloseResult> {
    const started = Date.now();
    const timeoutMs = this.config.shutdownTimeoutMs;
    const deadline = started + timeoutMs;
    if (this.state === 'created' || this.state === 'closed' || !this.parts) {
      // Not connected yet (still probing the brokers): start() sees the state and gives up.
      this.state = 'closed';
      await this.http?.close();
      return { drained: true, unfinished: [], durationMs: 0 };
    }
    this.state = 'draining';
    this.logger.info({ inFlight: this.flow.inFlightRecords, deadlineMs: timeoutMs }, 'draining');
    // Every step below is bounded so that the whole close ends near the deadline, whatever the
    // brokers do: `budget(keepMs, floorMs)` is the time left minus what later steps keep.
    const reserveMs = Math.min(CLOSE_RESERVE_MS, timeoutMs / 4);
    const budget = (keepMs: number, floorMs: number) => Math.max(floorMs, deadline - Date.now() - keepMs);
    const unfinished: string[] = [];
    const parts = this.parts!;
    // Transactional calls started from now on end before the clients are closed.
    parts.transactions?.endCallsBy(deadline - reserveMs / 5);
    await parts.source.stop();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const batch of this.batcher.takeAll()) this.dispatch(batch);
    const drained = await this.waitUntil(
      () => [...this.partitions.keys()].every((id) => this.settled(id)),
      budget(reserveMs, 0),
    );
    if (!drained) unfinished.push(`${this.flow.inFlightRecords} in-flight records (read again by the next owner)`);
    await parts.sink.flush(budget((reserveMs * 3) / 5, 100));
    if (parts.transactions) {
      if (!(await this.closeTransactions(parts.transactions, budget((reserveMs * 2) / 5, 500))))
        unfinished.push('commit of the last transaction');
    } else this.commitSync();
    if (this.commitTimer) clearInterval(this.commitTimer);
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    if (!(await parts.source.disconnect(budget(reserveMs / 5, 500))))
      unfinished.push('consumer close (leaving the group)');
    // Never close the producer under a running transactional call (they deadlock in librdkafka);
    // left open, the broker aborts its transaction after transaction.timeout.ms.
    if (parts.transactions && !(await parts.transactions.whenIdle(budget(0, 0))))
      unfinished.push('producer close (a transactional call was still running)');
    // Flushed above already: the producer's own close only gets what is left.
    else if (!(await parts.sink.disconnect(100, budget(0, 500)))) unfinished.push('producer close');
    await parts.pool.destroy();
    await this.http?.close();
    this.state = 'closed';
    const result = { drained, unfinished, durationMs: Date.now() - started };
    if (unfinished.length > 0)
      this.logger.error(
        { ...result, inFlight: this.flow.inFlightRecords },
        `shutdown incomplete; not completed: ${unfinished.join(', ')}`,
      );
    this.logger.info(
      { ...result, ...this.snapshot(), threadsByPartition: undefined, partitions: undefined },
      'engine closed',
    );
    this.emit('closed', result);
    return result;
  }
}

/** Log fields naming a record that used up its retries. */
function failureFields(batch: Batch, record: ConsumedRecord, dl: DeadLetter): Record<string, unknown> {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: record.offset,
    code: dl.code,
    attempts: dl.attempts,
    err: dl.message,
  };
}

/** Validates the configuration (once) and returns an engine ready to start(). */
export function createEngine(config: RawConfig | TurbineConfig, options: EngineOptions = {}): Engine {
  const validated = Object.isFrozen(config) ? (config as TurbineConfig) : loadConfig({ flags: config as RawConfig });
  return new Engine(validated, options);
}
