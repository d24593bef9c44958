/**
 * Exactly-once mode: a Kafka transaction per interval holds the outputs and dead-letter copies
 * produced in it together with the input offsets they complete (KIP-98 + KIP-447). Every
 * `intervalMs` the coordinator holds back new outputs, waits until the open transaction's outputs
 * are acknowledged, sends the commit point of every owned partition (PartitionState, the same
 * offsets at-least-once commits) with sendOffsetsToTransaction, and commits. A reader with
 * isolation.level=read_committed then sees an output if and only if its input offset is committed.
 *
 * Failures (librdkafka's transactional error classes, rd_kafka_error_txn_requires_abort() etc.):
 * - requires abort: abort, drop in-flight work (new partition epochs), seek back to the last
 *   committed offsets, begin again;
 * - fatal (fenced, producer state lost): replace the producer, initTransactions, then as above;
 * - retriable: the same call again, with backoff.
 *
 * The state machine talks to Kafka only through TransactionalClient and to the engine only
 * through TransactionHooks, so it is unit-tested with fakes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { OutboundMessage } from './sink.js';
import type { CommitOffset, ErrorClass, TransactionalClient } from './transactional-client.js';
import { classifyTransactionError, isFatalTransactionalError, isPurgedByAbort } from './transactional-client.js';

// The engine imports these from here.
export { type CommitOffset, kafkaTransactionalClient } from './transactional-client.js';

export interface TransactionHooks {
  /** Produces messages into the open transaction. */
  produce(messages: OutboundMessage[]): void;
  /** Messages produced and neither acknowledged nor failed yet. */
  unacknowledged(): number;
  /** Commit points of owned partitions that moved since the last commit. */
  pendingOffsets(): CommitOffset[];
  /** The transaction carrying these offsets committed. */
  committed(offsets: CommitOffset[]): void;
  /**
   * Synchronous, at the moment an abort is decided: give every owned partition a new epoch and
   * drop in-flight work, so late results are never produced into a later transaction.
   */
  invalidate(): void;
  /** Settles messages that will never be produced (held back when the abort came). */
  discard(messages: OutboundMessage[]): void;
  /** After the abort: settle what the producer still holds, seek partitions to their committed offsets. */
  rewind(): Promise<void>;
}

export interface TransactionMetrics {
  committed(durationMs: number): void;
  aborted(reason: AbortReason): void;
}

export type AbortReason = Exclude<ErrorClass, 'retriable'>;
export type TransactionState = 'created' | 'open' | 'committing' | 'aborting' | 'closed';

export interface TransactionCoordinatorOptions {
  client: TransactionalClient;
  hooks: TransactionHooks;
  logger: Logger;
  metrics?: TransactionMetrics;
  /** Timeout given to each transactional call. */
  callTimeoutMs?: number;
  /** Attempts of a call failing with a retriable error before the transaction is aborted. */
  maxAttempts?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Poll period while waiting for acknowledgements. */
  ackPollMs?: number;
}

export class TransactionCoordinator {
  private readonly client: TransactionalClient;
  private readonly hooks: TransactionHooks;
  private readonly logger: Logger;
  private readonly metrics: TransactionMetrics | undefined;
  private readonly callTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly ackPollMs: number;
  private stateValue: TransactionState = 'created';
  /** Outputs that arrived while no transaction was open; produced after the next begin. */
  private held: OutboundMessage[] = [];
  /** Anything produced since the transaction began. */
  private dirty = false;
  private beganAt = 0;
  /** Bumped on every abort decision; an operation that sees it change stops. */
  private generation = 0;
  private pendingAbort: AbortReason | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Closed or abandoned: no transactional call is started or retried any more. */
  private stopped = false;
  /** Shutdown: transactional calls started from now on end by this time (epoch ms). */
  private callsEndBy: number | undefined;
  /** Transactional calls running in librdkafka (each on a libuv thread). */
  private calling = 0;
  private readonly counts = { committed: 0, aborted: 0, recreated: 0 };

  constructor(options: TransactionCoordinatorOptions) {
    this.client = options.client;
    this.hooks = options.hooks;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.retryInitialMs = options.retryInitialMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 2_000;
    this.ackPollMs = options.ackPollMs ?? 1;
  }

  get state(): TransactionState {
    return this.stateValue;
  }

  get stats(): Readonly<{ committed: number; aborted: number; recreated: number; held: number }> {
    return { ...this.counts, held: this.held.length };
  }

  /** initTransactions (fences an older producer with the same transactional.id) and begin. */
  async start(): Promise<void> {
    await this.retrying('initTransactions', () => this.tracked(this.client.init(this.callTimeout())));
    await this.begin();
  }

  /** Outputs of completed batches: into the open transaction, or held until the next one begins. */
  send(messages: OutboundMessage[]): void {
    if (this.stateValue === 'open') {
      this.dirty = true;
      this.hooks.produce(messages);
    } else if (this.stateValue === 'closed') {
      this.hooks.discard(messages);
    } else {
      for (const m of messages) this.held.push(m);
    }
  }

  /** Interval tick: commit if the transaction holds anything; never queues a second commit. */
  tick(): void {
    if (this.stateValue !== 'open') return;
    if (!this.dirty && this.hooks.pendingOffsets().length === 0) return;
    void this.commitNow();
  }

  /**
   * Commits the open transaction (and waits for any abort it leads to). Resolves true when the
   * outputs and offsets so far are committed, false when they were aborted instead.
   */
  commitNow(): Promise<boolean> {
    const result = this.enqueue(() => this.commitCycle());
    return result.then((committed) => this.queue.then(() => committed));
  }

  /**
   * A failure reported outside a transactional call (a delivery report or produce() error of a
   * transactional producer). Purge errors are consequences of an abort and are ignored.
   */
  fail(error: unknown): void {
    if (isPurgedByAbort(error)) return;
    if (this.stateValue === 'closed') return;
    // node-rdkafka 3.6 gives delivery-report errors a message only (no code, no flags). A failed
    // delivery makes the transaction abortable; if the producer is in fact fatal, the abort
    // fails and recovery escalates to replacing it.
    this.requestAbort(isFatalTransactionalError(error) ? 'fatal' : 'abortable', error);
  }

  /**
   * Shutdown: calls started from now on get a timeout that ends by `at` (epoch ms), so that no
   * call outlives the shutdown deadline by more than the one already running.
   */
  endCallsBy(at: number): void {
    this.callsEndBy = at;
  }

  /**
   * Resolves true once no transactional call is running, false after timeoutMs. The producer
   * must not be closed before: librdkafka's rd_kafka_destroy and a transactional call running
   * on another thread wait for each other (seen with gdb: rd_kafka_txns_term against
   * rd_kafka_send_offsets_to_transaction), and the process cannot exit either.
   */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.calling > 0) {
      if (Date.now() >= until) return false;
      await sleep(Math.min(this.ackPollMs * 10, 20));
    }
    return true;
  }

  /**
   * Gives up at once (the shutdown deadline passed while a commit or recovery was still
   * retrying): no transactional call is started or retried from now on, and later outputs are
   * discarded. A call in progress ends at its own timeout (callTimeoutMs); the open transaction
   * is aborted by the broker after transaction.timeout.ms, and its records are read again.
   */
  abandon(): void {
    this.stopped = true;
    this.stateValue = 'closed';
    const held = this.held;
    this.held = [];
    if (held.length > 0) this.hooks.discard(held);
  }

  /** Commits the last transaction (commit true) or aborts it, then refuses further outputs. */
  async close(commit: boolean): Promise<boolean> {
    let committed = false;
    if (commit && this.stateValue !== 'closed') committed = await this.commitNow();
    await this.queue;
    if (!committed && this.stateValue === 'open' && this.dirty) {
      await this.tracked(this.client.abort(this.callTimeout())).catch((error: unknown) => {
        this.logger.warn({ err: errorMessage(error) }, 'abort of the last transaction failed');
      });
    }
    this.abandon();
    return committed;
  }

  // ---- internals ----

  private callTimeout(): number {
    if (this.callsEndBy === undefined) return this.callTimeoutMs;
    return Math.max(100, Math.min(this.callTimeoutMs, this.callsEndBy - Date.now()));
  }

  private async tracked(call: Promise<void>): Promise<void> {
    this.calling++;
    try {
      await call;
    } finally {
      this.calling--;
    }
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async begin(): Promise<void> {
    if (this.stopped) throw new Error('transaction coordinator closed');
    await this.tracked(this.client.begin());
    this.beganAt = Date.now();
    this.dirty = false;
    this.reopen();
  }

  /** Back to open: outputs held meanwhile go into the transaction. */
  private reopen(): void {
    if (this.stopped) return;
    this.stateValue = 'open';
    const held = this.held;
    this.held = [];
    if (held.length > 0) {
      this.dirty = true;
      this.hooks.produce(held);
    }
  }

  private async commitCycle(): Promise<boolean> {
    if (this.stateValue !== 'open') return false;
    const generation = this.generation;
    this.stateValue = 'committing';
    // Hold new outputs: produce() is refused while a commit is in progress, and every output in
    // this transaction must be acknowledged before its offsets are computed.
    await this.waitAcknowledged(generation);
    if (generation !== this.generation) return false;
    const offsets = this.hooks.pendingOffsets();
    if (offsets.length === 0 && !this.dirty) {
      // Nothing produced and no offset moved: keep the (empty) transaction open.
      this.reopen();
      return true;
    }
    try {
      if (offsets.length > 0) {
        await this.retrying('sendOffsetsToTransaction', () =>
          this.tracked(this.client.sendOffsets(offsets, this.callTimeout())),
        );
      }
      await this.retrying('commitTransaction', () => this.tracked(this.client.commit(this.callTimeout())));
    } catch (error) {
      this.requestAbort(classifyTransactionError(error) === 'fatal' ? 'fatal' : 'abortable', error);
      return false;
    }
    const durationMs = Date.now() - this.beganAt;
    this.counts.committed++;
    this.metrics?.committed(durationMs);
    this.hooks.committed(offsets);
    if (generation !== this.generation) return true;
    try {
      await this.begin();
    } catch (error) {
      this.requestAbort('fatal', error);
    }
    return true;
  }

  private waitAcknowledged(generation: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.hooks.unacknowledged() === 0 || generation !== this.generation || this.stopped) resolve();
        else setTimeout(check, this.ackPollMs);
      };
      check();
    });
  }

  private requestAbort(reason: AbortReason, error: unknown): void {
    if (this.pendingAbort === 'fatal' || this.stopped) return;
    const first = this.pendingAbort === null;
    this.pendingAbort = reason === 'fatal' ? 'fatal' : (this.pendingAbort ?? 'abortable');
    if (!first) return;
    this.generation++;
    this.stateValue = 'aborting';
    this.logger.warn(
      { reason, err: errorMessage(error), held: this.held.length },
      reason === 'fatal'
        ? 'transactional producer failed fatally; replacing it and re-reading from the committed offsets'
        : 'transaction must abort; re-reading its records from the committed offsets',
    );
    this.hooks.invalidate();
    const held = this.held;
    this.held = [];
    if (held.length > 0) this.hooks.discard(held);
    void this.enqueue(() => this.recover());
  }

  private async recover(): Promise<void> {
    let attempt = 0;
    for (;;) {
      if (this.stopped) return;
      attempt++;
      let reason = this.pendingAbort ?? 'abortable';
      try {
        if (reason === 'abortable') {
          try {
            await this.retrying('abortTransaction', () => this.tracked(this.client.abort(this.callTimeout())));
          } catch (error) {
            this.logger.warn({ err: errorMessage(error) }, 'abortTransaction failed; replacing the producer');
            reason = 'fatal';
            this.pendingAbort = 'fatal';
          }
        }
        if (reason === 'fatal') {
          await this.client.recreate();
          this.counts.recreated++;
          await this.retrying('initTransactions', () => this.tracked(this.client.init(this.callTimeout())));
        }
        this.counts.aborted++;
        this.metrics?.aborted(reason);
        this.pendingAbort = null;
        await this.hooks.rewind();
        // An output that arrived during the rewind (new epoch) waits in `held` for this begin.
        await this.begin();
        this.logger.info({ reason }, 'transaction aborted; resumed from the committed offsets');
        return;
      } catch (error) {
        // Recreating or initialising failed (brokers away?): keep trying, ever more slowly.
        const delay = Math.min(this.retryMaxMs * 5, this.retryInitialMs * 2 ** Math.min(attempt, 10));
        this.logger.error(
          { err: errorMessage(error), attempt, retryInMs: delay },
          'recovering the transactional producer failed; retrying',
        );
        this.pendingAbort = 'fatal';
        if (this.stopped) return;
        await sleep(delay);
      }
    }
  }

  private async retrying(what: string, call: () => Promise<void>): Promise<void> {
    let delay = this.retryInitialMs;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) throw new Error(`${what} not attempted: the transaction coordinator is closed`);
      try {
        await call();
        return;
      } catch (error) {
        if (classifyTransactionError(error) !== 'retriable' || attempt >= this.maxAttempts || this.stopped) throw error;
        this.logger.warn(
          { call: what, attempt, retryInMs: delay, err: errorMessage(error) },
          'retriable transaction error',
        );
        await sleep(delay);
        delay = Math.min(this.retryMaxMs, delay * 2);
      }
    }
  }
}
