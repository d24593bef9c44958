/**
 * The composition root: builds the stages, wires them, and owns the lifecycle
 * (created → starting → running → draining → closed). docs/architecture.md draws the map.
 *
 *   source → intake → batcher → dispatcher (worker pool, reorderer) → delivery → sink
 *                                                                        │
 *   committer ◄── partition-registry (commit point, epochs) ◄── completion ◄┘
 *   backpressure (pause / resume) reads flow control after every hand-over and completion.
 *
 * The main thread only does I/O and bookkeeping; user code runs in the pool's worker threads.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { prepareTopics } from './admin/prepare-topics.js';
import type { BatchSizer } from './batching/batch-sizer.js';
import type { Batcher } from './batching/batcher.js';
import { Committer } from './commit/committer.js';
import { Completion } from './commit/completion.js';
import { loadConfig, type RawConfig, type TurbineConfig } from './config/load.js';
import { threadpoolSizeOf } from './config/threadpool.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { WorkerPool } from './dispatch/worker-pool.js';
import { errorMessage, TurbineError } from './errors.js';
import { Backpressure } from './flow/backpressure.js';
import type { FlowControl } from './flow/flow-control.js';
import { CONNECT_TIMEOUT_MS } from './kafka/client-connection.js';
import { closeAfterFailedStart, createSink, createSource, createWorkerPool } from './lifecycle/clients.js';
import { drain } from './lifecycle/drain.js';
import { buildPipeline, createBatching } from './lifecycle/pipeline.js';
import { type CloseResult, shutdown } from './lifecycle/shutdown.js';
import { type EngineEvent, newCounters, type StageFigures } from './observability/engine-events.js';
import type { EngineState, EngineStats, EngineView } from './observability/engine-view.js';
import { Gauges } from './observability/gauges.js';
import { type HttpServer, startHttpServer } from './observability/http-server.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { PartitionRegistry } from './ownership/partition-registry.js';
import { Rebalance } from './ownership/rebalance.js';
import { Repositioner } from './ownership/repositioner.js';
import { StartCheck } from './ownership/start-check.js';
import { startRegistry } from './registry/registry-setup.js';
import { createTransactions } from './sink/exactly-once.js';
import { ProducerRecovery } from './sink/producer-recovery.js';
import type { ProducerFactory, Sink } from './sink/sink.js';
import type { TransactionCoordinator } from './sink/transactions.js';
import type { Intake } from './source/intake.js';
import type { Source, TopicPartition } from './source/source.js';
import { StallWatchdog } from './source/stall-watchdog.js';
import { answerStateQuery, createKeyedState, type KeyedState, type StateAnswer } from './state/keyed-state.js';
import type { PartitionId } from './types.js';

export type { CloseResult } from './lifecycle/shutdown.js';
export type { EngineState, EngineStats } from './observability/engine-view.js';

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

/** The stages that exist once the engine is connected. */
interface Connected {
  pool: WorkerPool;
  sink: Sink;
  source: Source;
  intake: Intake;
  dispatcher: Dispatcher;
  /** Exactly-once only. */
  transactions?: TransactionCoordinator;
}

export class Engine extends EventEmitter implements EngineView {
  readonly config: TurbineConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  private state: EngineState = 'created';
  private parts: Connected | undefined;
  private readonly counters = newCounters();
  private readonly registry = new PartitionRegistry();
  private readonly flow: FlowControl;
  private readonly batcher: Batcher;
  private readonly sizer: BatchSizer | undefined;
  private readonly completion: Completion;
  private readonly backpressure: Backpressure;
  private readonly committer: Committer;
  private readonly repositioner: Repositioner;
  private readonly rebalance: Rebalance;
  private readonly watchdog: StallWatchdog;
  private readonly recovery: ProducerRecovery;
  private readonly timers: NodeJS.Timeout[] = [];
  private closing: Promise<CloseResult> | undefined;
  private http: HttpServer | undefined;
  private readonly options: EngineOptions;
  private txnId: string | undefined;
  /** Keyed state (stateStore set): the store and its restorer. */
  private readonly keyed: KeyedState | undefined;
  private inputPartitions = 0;
  /** What most stages share: the partitions, the figures, the log and the events. */
  private readonly shared: { registry: PartitionRegistry; metrics: Metrics; logger: Logger } & StageFigures;

  constructor(config: TurbineConfig, options: EngineOptions = {}) {
    super();
    this.config = config;
    this.logger = options.logger ?? createLogger(config.logLevel);
    this.metrics = options.metrics ?? createMetrics();
    this.options = options;
    const { logger, metrics, registry, counters } = this;
    const emit = (event: EngineEvent, payload?: unknown) => this.emit(event, payload);
    const source = () => this.parts?.source;
    const shared = { registry, metrics, logger, counters, emit };
    this.shared = shared;
    ({ sizer: this.sizer, batcher: this.batcher, flow: this.flow } = createBatching(config));
    this.backpressure = new Backpressure({ ...shared, flow: this.flow });
    this.completion = new Completion({ ...shared, flow: this.flow, onReleased: () => this.backpressure.apply() });
    this.committer = new Committer({ ...shared, source });
    this.repositioner = new Repositioner({ registry, source, logger, dropWork: (match) => this.dropWork(match) });
    this.keyed = createKeyedState(config, registry, metrics, logger, () => this.state !== 'closed', this);
    const restorer = this.keyed?.restorer;
    const startCheck = new StartCheck({
      ...(restorer ? { prepare: (tps: readonly TopicPartition[]) => restorer.restore(tps) } : {}),
      registry,
      source,
      repositioner: this.repositioner,
      admit: (messages) => this.parts?.intake.onMessages(messages),
      closed: () => this.state === 'closed',
      logger,
    });
    this.rebalance = new Rebalance({
      ...shared,
      config,
      source,
      holdsPaused: () => this.flow.isPaused,
      startCheck,
      drain: (ids, timeoutMs) => this.drain(ids, timeoutMs),
      committer: this.committer,
      transactions: () => this.parts?.transactions,
      dropWork: (match) => {
        this.dropWork(match, true);
        this.keyed?.store.dropWhere(match);
      },
    });
    const running = () => this.state === 'running';
    this.watchdog = new StallWatchdog({ ...shared, source, room: () => this.flow.room, running });
    this.recovery = new ProducerRecovery({
      ...shared,
      committer: this.committer,
      repositioner: this.repositioner,
      sink: () => this.parts?.sink,
      active: () => this.state === 'running' || this.state === 'draining',
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      fail: (error) => this.fail(error),
    });
  }

  get lifecycle(): EngineState {
    return this.state;
  }

  /** Since the consume loop last came back, with or without records, ms (/healthz: idle topics are healthy). */
  get consumeLoopIdleMs(): number {
    const source = this.parts?.source;
    return source ? Date.now() - source.lastReturnAt : 0;
  }

  get joinedGroup(): boolean {
    return this.registry.joined;
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
    const registry = await startRegistry(c, this.logger, this.metrics);
    // Serve /healthz and /metrics from the start, so probes see an engine that is still connecting.
    if (c.metricsPort > 0) {
      this.http = await startHttpServer(this, c.metricsHost, c.metricsPort);
      this.logger.info({ port: this.http.port }, 'metrics and health endpoints listening');
    }
    const pool = createWorkerPool(c, {
      env: this.options.workerEnv,
      sizer: this.sizer,
      onTask: () => this.metrics.workerTasks.inc(),
      registry,
    });
    let sink: Sink | undefined;
    let source: Source | undefined;
    try {
      await pool.probe((ms) => this.logger.warn({ waitedMs: ms }, 'worker threads still loading the worker module'));
      const changelog = this.keyed?.store.changelogTopic;
      const partitionCounts = await prepareTopics(c, this.logger, () => this.state === 'starting', changelog);
      this.inputPartitions = partitionCounts.get(c.input) ?? 0;
      await this.keyed?.instances?.start();
      const exactlyOnce = c.guarantee === 'exactly-once';
      // Unique per engine instance: with KIP-447 fencing comes from the consumer group metadata
      // sent with the offsets, not from a transactional.id tied to partitions.
      if (exactlyOnce) this.txnId = `turbine-${c.group}-${randomUUID().slice(0, 8)}`;
      sink = createSink(c, this.txnId, {
        ...this.shared,
        onTransactionError: (error) => this.parts?.transactions?.fail(error),
        onProducerFatal: (err) => void this.recovery.recover(err),
        onFatal: (error) => this.fail(error),
        createProducer: this.options.createProducer,
      });
      source = createSource(c, exactlyOnce, {
        ...this.shared,
        onCommitted: (err, durationMs, offsets) => this.committer.onCommitted(err, durationMs, offsets),
        onFatal: (error) => this.fail(error),
      });
      const { intake, dispatcher } = buildPipeline({
        ...this.shared,
        ...{ config: c, pool, batcher: this.batcher, sizer: this.sizer, flow: this.flow, completion: this.completion },
        partitionCounts,
        workerName: basename(c.worker),
        send: (messages) => (this.parts?.transactions ?? sink!).send(messages),
        state: this.keyed?.store,
        onSeekNeeded: () => this.repositioner.requestSeek(),
        onAdmitted: () => this.backpressure.apply(),
        fail: (error) => this.fail(error),
      });
      this.parts = { pool, sink, source, intake, dispatcher };
      this.backpressure.attach(source);
      await sink.connect(CONNECT_TIMEOUT_MS);
      await source.connect(CONNECT_TIMEOUT_MS);
      this.assertStarting();
      if (exactlyOnce) {
        this.parts.transactions = createTransactions({
          ...this.shared,
          ...{ sink, source, committer: this.committer, repositioner: this.repositioner },
          restoreState: this.keyed && ((tps) => this.keyed!.restorer.restore(tps)),
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
        });
        await this.parts.transactions.start();
        this.assertStarting();
      }
      source.start({
        holdsPaused: () => this.flow.isPaused,
        onAssign: (tps) => this.rebalance.onAssign(tps),
        onRevoke: (tps) => void this.rebalance.onRevoke(tps),
        onMessages: (msgs) => intake.onMessages(msgs),
      });
    } catch (error) {
      this.state = 'closed';
      await closeAfterFailedStart({ http: this.http, instances: this.keyed?.instances, sink, source, pool });
      throw error;
    }
    const { transactions } = this.parts;
    const { flow, watchdog } = this;
    const gauges = new Gauges({ ...this.shared, ...this.parts, poolSize: c.poolSize, flow, watchdog });
    this.timers.push(
      transactions
        ? setInterval(() => transactions.tick(), c.transactionIntervalMs)
        : setInterval(() => this.committer.commitAsync(), c.commitIntervalMs),
      setInterval(() => gauges.update(), 1000),
    );
    this.state = 'running';
    const { input, output, group, poolSize, ordering, guarantee, worker } = c;
    const libuvThreads = threadpoolSizeOf(process.env);
    const fields = { input, output, group, poolSize, libuvThreads, ordering, guarantee, worker };
    this.logger.info({ ...fields, transactionalId: this.txnId }, 'engine started');
    this.emit('started');
  }

  /** A close() during start (SIGTERM while connecting) closed the clients: start must not consume on. */
  private assertStarting(): void {
    if (this.state !== 'starting') throw new TurbineError('KAFKA_CONNECT_FAILED', 'closed while starting');
  }

  /** Drops the batched, ordered and parked work of matching partitions (released, never completed). */
  private dropWork(match: (id: PartitionId) => boolean, forgetSizes = false): void {
    this.parts?.intake.drop(match);
    this.parts?.dispatcher.drop(match, forgetSizes);
  }

  private drain(ids: () => readonly PartitionId[], timeoutMs: number): Promise<boolean> {
    const intake = this.parts?.intake;
    return drain({ registry: this.registry, flush: (match) => intake?.flush(match) }, ids, timeoutMs);
  }

  /** `GET /state/<store>/<key>`: the owner answers with the value (keyed-state.ts). */
  queryState(store: string, key: string, redirected = false): StateAnswer {
    const input = { topic: this.config.input, partitions: this.inputPartitions };
    return answerStateQuery(this.keyed, this.registry, input, { store, key, redirected });
  }

  knownInstances(): Array<{ id: string; url: string; partitions: number[] }> {
    return this.keyed?.instances?.directory.list() ?? [];
  }

  snapshot(): EngineStats {
    const s = this.counters;
    return {
      state: this.state,
      consumed: s.consumed,
      produced: s.produced,
      deadLettered: s.deadLettered,
      skipped: s.skipped,
      parkedKeys: this.parts?.dispatcher.parkedKeys ?? 0,
      producerRecoveries: s.producerRecoveries,
      committedBatches: s.committedBatches,
      workerTasks: this.parts?.pool.tasksRun ?? 0,
      workerTaskBatches: this.parts?.pool.batchesRun ?? 0,
      inFlightRecords: this.flow.inFlightRecords,
      inFlightBytes: this.flow.inFlightBytes,
      peakInFlightRecords: this.flow.peakRecords,
      peakInFlightBytes: this.flow.peakBytes,
      assignedPartitions: this.registry.size,
      pausedPartitions: this.registry.paused.size,
      pauses: s.pauses,
      threadsByPartition: this.parts?.dispatcher.threads() ?? {},
      stateKeys: this.keyed?.store.size ?? 0,
      restoringPartitions: this.keyed?.restorer.restoring ?? 0,
      partitions: this.registry.list(),
    };
  }

  private fail(error: unknown): void {
    const details = error instanceof TurbineError ? { details: error.details } : {};
    const fields = { err: errorMessage(error), code: (error as TurbineError).code, ...details };
    this.logger.error(fields, 'engine failure; shutting down');
    this.emit('error', error);
    void this.close();
  }

  /**
   * Graceful drain: stop fetching, finish in-flight batches, flush the producer, commit, leave
   * the group. Resolves within shutdownTimeoutMs (plus the client close), drained or not.
   */
  close(): Promise<CloseResult> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<CloseResult> {
    const started = Date.now();
    const timeoutMs = this.config.shutdownTimeoutMs;
    const parts = this.parts;
    if (this.state === 'created' || this.state === 'closed' || !parts) {
      // Not connected yet (still probing the brokers): start() sees the state and gives up.
      this.state = 'closed';
      await this.http?.close();
      return { drained: true, unfinished: [], durationMs: 0 };
    }
    this.state = 'draining';
    this.logger.info({ inFlight: this.flow.inFlightRecords, deadlineMs: timeoutMs }, 'draining');
    const { drained, unfinished } = await shutdown(
      {
        ...parts,
        stopStages: () => {
          parts.intake.stop();
          this.backpressure.stop();
          this.repositioner.stop();
        },
        stopTimers: () => {
          for (const timer of this.timers) clearInterval(timer);
        },
        drain: (ms) => this.drain(() => this.registry.ids(), ms),
        inFlightRecords: () => this.flow.inFlightRecords,
        commitFinal: (deadline) => this.committer.commitFinal(undefined, deadline),
        logger: this.logger,
      },
      timeoutMs,
    );
    await this.keyed?.instances?.close();
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

/** Validates the configuration (once) and returns an engine ready to start(). */
export function createEngine(config: RawConfig | TurbineConfig, options: EngineOptions = {}): Engine {
  const validated = Object.isFrozen(config) ? (config as TurbineConfig) : loadConfig({ flags: config as RawConfig });
  return new Engine(validated, options);
}
