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
import { type Batch, Batcher } from './batching/batcher.js';
import { loadConfig, type RawConfig, type TurbineConfig } from './config/load.js';
import { type BatchOutcome, runBatch } from './dispatch/batch-runner.js';
import { WorkerPool } from './dispatch/worker-pool.js';
import { errorMessage, TurbineError } from './errors.js';
import { FlowControl } from './flow/flow-control.js';
import { type HttpServer, startHttpServer } from './observability/http-server.js';
import { recordStats } from './observability/librdkafka-stats.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { laneOf } from './ordering/key-lanes.js';
import { PartitionState } from './ordering/partition-state.js';
import { Reorderer, type Slot } from './ordering/reorderer.js';
import { type DeliveryGroup, type OutboundMessage, Sink, settleFailed } from './sink/sink.js';
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
  committedBatches: number;
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
}

interface Connected {
  pool: WorkerPool;
  sink: Sink;
  source: Source;
  /** Exactly-once only. */
  transactions?: TransactionCoordinator;
}

const CONNECT_TIMEOUT_MS = 15_000;
/** First contact with the brokers; failing it is logged and retried with backoff. */
const PROBE_TIMEOUT_MS = 5_000;
/** Bounds reached this long: pause partitions so rebalance callbacks keep being served. */
const PAUSE_AFTER_MS = 1_000;
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
  private readonly stats = {
    consumed: 0,
    produced: 0,
    deadLettered: 0,
    committedBatches: 0,
    pauses: 0,
  };
  private readonly threadsByPartition = new Map<PartitionId, Set<number>>();
  private joined = false;
  private workerBusyMs = 0;
  private utilizationAt = performance.now();
  private readonly lastFlowLogAt: Partial<Record<'pause' | 'resume', number>> = {};
  /**
   * Exactly-once, between an abort and the end of its seek: partitions whose consumed records
   * are dropped, and the offset each is re-read from (-1: take the first dropped offset).
   */
  private readonly rewindTargets = new Map<PartitionId, number>();
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
    this.batcher = new Batcher({
      maxRecords: config.batchMaxRecords,
      maxBytes: config.batchMaxBytes,
      lingerMs: config.batchLingerMs,
    });
    this.reorderer = new Reorderer(config.ordering !== 'unordered');
    this.flow = new FlowControl({
      maxRecords: config.maxInFlightRecords,
      maxBytes: config.maxInFlightBytes,
      pauseAfterMs: PAUSE_AFTER_MS,
    });
    this.workerName = basename(config.worker);
    this.workerEnv = options.workerEnv;
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
        onTransactionError: (error) => this.parts?.transactions?.fail(error),
        brokers: c.brokers,
        clientId: c.clientId,
        kafka: c.kafka,
        retryInitialMs: c.retryInitialMs,
        retryMaxMs: c.retryMaxMs,
        logger: this.logger,
        onDeliveryError: (topic) => this.metrics.deliveryErrors.inc({ topic }),
        onStats: (json) => recordStats(this.metrics, json, 'producer'),
        onAcked: (topic, n) => {
          this.stats.produced += n;
          this.metrics.recordsProduced.inc({ topic }, n);
        },
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
        onCommitted: (err, durationMs) => {
          // 0: a commit this source did not time (a synchronous one, timed in commitSync).
          if (durationMs > 0) this.recordCommitLatency(durationMs);
          if (err) {
            this.metrics.commitFailures.inc();
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
    if (this.flow.isPaused) {
      this.parts?.source.pause(tps);
      for (const tp of tps) this.paused.add(partitionId(tp.topic, tp.partition));
    }
    this.metrics.rebalances.inc({ kind: 'assign' }, 1);
    this.metrics.assignedPartitions.set(this.partitions.size);
    // Cooperative rebalances often hand out nothing new; only real changes are worth a line.
    if (tps.length > 0)
      this.logger.info({ partitions: tps.map((t) => t.partition), topic: tps[0]?.topic }, 'partitions assigned');
    this.emit('assigned', tps);
  }

  private async onRevoke(tps: TopicPartition[]): Promise<void> {
    const ids = tps.map((tp) => partitionId(tp.topic, tp.partition));
    for (const id of ids) this.revoking.add(id);
    this.metrics.rebalances.inc({ kind: 'revoke' }, 1);
    // Finish what was consumed from these partitions, so the next owner starts after it.
    for (const batch of this.batcher.takeAll((b) => ids.includes(partitionId(b.topic, b.partition)))) {
      this.dispatch(batch);
    }
    const drained = await this.waitUntil(
      () => ids.every((id) => this.partitions.get(id)?.idle ?? true),
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
      this.revoking.delete(id);
      this.sealed.delete(id);
      this.paused.delete(id);
      // Another instance reports this partition's lag from now on.
      this.metrics.consumerLag.remove({ topic: tp.topic, partition: String(tp.partition) });
    }
    this.reorderer.dropLanes(
      (lane) => ids.some((id) => lane === id || lane.startsWith(`${id}#`)),
      (slot) => this.finish(slot.item, false),
    );
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
      if (this.rewindTargets.size > 0 && this.rewindTargets.has(id)) {
        // Fetched before the seek: dropped, but the first one tells where to re-read from.
        if (this.rewindTargets.get(id)! < 0) this.rewindTargets.set(id, m.offset);
        continue;
      }
      // librdkafka never re-delivers below its position, but a replay must not be tracked twice.
      if (m.offset <= state.lastOffset) continue;
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
        for (const batch of this.batcher.takeDue(Date.now())) this.dispatch(batch);
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
    runBatch((b, records) => parts.pool.run(b, records), batch, {
      maxAttempts: this.config.retryMaxAttempts,
      initialMs: this.config.retryInitialMs,
      maxMs: this.config.retryMaxMs,
    })
      .then((outcome) => this.onBatchDone(slot, outcome))
      .catch((error) => this.fail(error));
  }

  private onBatchDone(slot: Slot<Batch, BatchOutcome>, outcome: BatchOutcome): void {
    const batch = slot.item;
    this.metrics.taskDuration.observe(outcome.workerMs / 1000);
    this.workerBusyMs += outcome.workerMs;
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
      this.finish(batch, false);
      return;
    }
    const c = this.config;
    const group: DeliveryGroup = { remaining: 0, onAcked: () => this.finish(batch, group.failed !== true) };
    const messages: OutboundMessage[] = [];
    const lineage = c.lineageHeaders;
    const partitionText = String(batch.partition);
    for (let i = 0; i < batch.records.length; i++) {
      const outputs = outcome.outputs[i] ?? [];
      const record = batch.records[i]!;
      for (const o of outputs) {
        const topic = o.topic ?? c.output;
        const headers: Kafka.MessageHeader[] = o.headers.map(([k, v]) => ({ [k]: v }));
        if (lineage) {
          headers.push(
            { [LINEAGE_HEADERS.topic]: batch.topic },
            { [LINEAGE_HEADERS.partition]: partitionText },
            { [LINEAGE_HEADERS.offset]: String(record.offset) },
          );
        }
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
    for (const dl of outcome.deadLetters) {
      const record = batch.records[dl.index]!;
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
      this.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: record.offset,
          code: dl.code,
          attempts: dl.attempts,
          err: dl.message,
        },
        'record dead-lettered',
      );
      this.emit('deadLettered', {
        topic: batch.topic,
        partition: batch.partition,
        offset: record.offset,
        code: dl.code,
      });
    }
    if (messages.length === 0) {
      this.finish(batch, true);
      return;
    }
    group.remaining = messages.length;
    const parts = this.parts!;
    if (parts.transactions) parts.transactions.send(messages);
    else parts.sink.send(messages);
  }

  /** Keyless outputs keep their input partition (mod the output's count), so order stays observable. */
  private partitionFor(topic: string, key: Buffer | null, inputPartition: number): number {
    if (key !== null) return -1;
    const count = this.outputPartitions.get(topic);
    return count === undefined ? -1 : inputPartition % count;
  }

  private finish(batch: Batch, acknowledged: boolean): void {
    let bytes = 0;
    for (const r of batch.records) bytes += r.size;
    this.flow.release(batch.records.length, bytes);
    if (acknowledged && this.isCurrent(batch)) {
      const state = this.partitions.get(partitionId(batch.topic, batch.partition))!;
      const offsets = new Array<number>(batch.records.length);
      const now = Date.now();
      for (let i = 0; i < batch.records.length; i++) {
        const r = batch.records[i]!;
        offsets[i] = r.offset;
        this.metrics.endToEndLatency.observe(Math.max(0, now - r.timestamp) / 1000);
      }
      state.complete(offsets);
      this.stats.committedBatches++;
    }
    this.applyFlow();
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

  /** Commits the last transaction, bounded by the shutdown deadline (a recovery may be stuck on a broker). */
  private async closeTransactions(transactions: TransactionCoordinator, deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(1000, deadline - Date.now()));
    });
    const outcome = await Promise.race([transactions.close(true), timedOut]);
    clearTimeout(timer);
    if (outcome !== true) {
      this.logger.warn(
        { outcome: outcome === 'timeout' ? 'deadline passed' : 'aborted' },
        'last transaction not committed; its records are read again by the next owner',
      );
    }
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
        })
        .catch(() => undefined);
    }
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
      committedBatches: this.stats.committedBatches,
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
      { err: errorMessage(error), code: (error as TurbineError).code },
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
    const deadline = started + this.config.shutdownTimeoutMs;
    if (this.state === 'created' || this.state === 'closed' || !this.parts) {
      // Not connected yet (still probing the brokers): start() sees the state and gives up.
      this.state = 'closed';
      await this.http?.close();
      return { drained: true, durationMs: 0 };
    }
    this.state = 'draining';
    this.logger.info({ inFlight: this.flow.inFlightRecords, deadlineMs: this.config.shutdownTimeoutMs }, 'draining');
    const parts = this.parts!;
    await parts.source.stop();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const batch of this.batcher.takeAll()) this.dispatch(batch);
    const drained = await this.waitUntil(
      () => [...this.partitions.values()].every((s) => s.idle),
      Math.max(0, deadline - Date.now()),
    );
    await parts.sink.flush(Math.max(1000, deadline - Date.now()));
    if (parts.transactions) await this.closeTransactions(parts.transactions, deadline);
    else this.commitSync();
    if (this.commitTimer) clearInterval(this.commitTimer);
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    await parts.source.disconnect();
    await parts.sink.disconnect();
    await parts.pool.destroy();
    await this.http?.close();
    this.state = 'closed';
    const result = { drained, durationMs: Date.now() - started };
    if (!drained)
      this.logger.warn({ ...result, inFlight: this.flow.inFlightRecords }, 'shutdown deadline passed before drain');
    this.logger.info(
      { ...result, ...this.snapshot(), threadsByPartition: undefined, partitions: undefined },
      'engine closed',
    );
    this.emit('closed', result);
    return result;
  }
}

/** Validates the configuration (once) and returns an engine ready to start(). */
export function createEngine(config: RawConfig | TurbineConfig, options: EngineOptions = {}): Engine {
  const validated = Object.isFrozen(config) ? (config as TurbineConfig) : loadConfig({ flags: config as RawConfig });
  return new Engine(validated, options);
}
