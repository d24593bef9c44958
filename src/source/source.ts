/**
 * The KafkaConsumer side: connects, subscribes with cooperative-sticky assignment, runs the
 * non-flowing consume loop, and turns rebalance callbacks into assign/revoke calls on a handler.
 * Offsets are committed explicitly (enable.auto.commit=false): the commit point comes only from
 * PartitionState, never from what was merely consumed.
 */
import { performance } from 'node:perf_hooks';
import Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { nativeBatch } from '../kafka/native-batch.js';
import { clientErrorListener, connectClient } from '../kafka/security-failures.js';
import type { Logger } from '../observability/logger.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface SourceHandler {
  /**
   * True while flow control holds the consumer back: partitions assigned then stay paused.
   * Otherwise the source resumes every partition it is assigned (see onRebalance).
   */
  holdsPaused(): boolean;
  /** Called after the partitions are assigned, and paused or resumed as holdsPaused() said. */
  onAssign(partitions: TopicPartition[]): void;
  /** Must eventually call source.releaseRevoked(partitions). */
  onRevoke(partitions: TopicPartition[]): void;
  onMessages(messages: Kafka.Message[]): void;
}

export interface SourceOptions {
  brokers: string;
  group: string;
  topic: string;
  clientId: string;
  startFrom: 'earliest' | 'latest';
  kafka: Readonly<Record<string, string>>;
  logger: Logger;
  onCommitted?: (err: unknown, durationMs: number, offsets: Array<TopicPartition & { offset?: number }>) => void;
  /** librdkafka statistics JSON, every statistics.interval.ms. */
  onStats?: (json: string) => void;
  /** A failure retrying cannot fix (rejected SASL login, untrusted certificate), reported once. */
  onFatal?: (error: TurbineError) => void;
  /** Exactly-once: read only committed records of transactional inputs (isolation.level). */
  readCommitted?: boolean;
}

/** librdkafka rebalance event codes (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS / __REVOKE_PARTITIONS). */
const ERR_ASSIGN = -175;
const ERR_REVOKE = -174;

function commitKey(offsets: ReadonlyArray<TopicPartition & { offset?: number }>): string {
  return offsets.map((o) => `${o.topic}:${o.partition}:${o.offset ?? ''}`).join(',');
}

/** Most messages one consume() call hands over. */
const MAX_CONSUME = 4096;
/** How long a waiting consume(1) blocks for the next message when nothing was queued. */
const WAIT_MS = 20;

/**
 * Fetch batching: the broker answers a fetch once 64 KiB are there or after 10 ms. With librdkafka's
 * fetch.min.bytes=1 a live stream of 1 KB records at 9,500/s cost 741–944 fetch responses a second,
 * each a consume() call's worth of work for the main thread. With these, on the 2-core benchmark
 * machine (W = 0, 50% of the drain peak): p50 92–572 → 32–47 ms, p99 261–1,192 → 116–265 ms; drain
 * throughput 20,846 → 22,326 records/s; at 2,000/s the cost is p50 17 → 24 ms, p99 48–54 → 57–67 ms
 * (NOTES.md, fifth session). `--kafka fetch.min.bytes=1` restores librdkafka's default.
 */
export const FETCH_SETTINGS = { 'fetch.wait.max.ms': 10, 'fetch.min.bytes': 65536 } as const;

export function consumerConfig(
  options: SourceOptions,
  rebalance: (err: Kafka.LibrdKafkaError, a: Kafka.Assignment[]) => void,
): Kafka.ConsumerGlobalConfig {
  return {
    'metadata.broker.list': options.brokers,
    'group.id': options.group,
    'client.id': `${options.clientId}-consumer`,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': 'cooperative-sticky',
    ...FETCH_SETTINGS,
    'statistics.interval.ms': 5000,
    rebalance_cb: rebalance,
    offset_commit_cb: true,
    ...(options.readCommitted ? { 'isolation.level': 'read_committed' } : {}),
    ...(options.kafka as Record<string, string>),
  } as Kafka.ConsumerGlobalConfig;
}

export class Source {
  private readonly consumer: Kafka.KafkaConsumer;
  private readonly options: SourceOptions;
  private handler: SourceHandler | undefined;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** The consume() call in progress, if any; rewind() waits for it. */
  private consuming: Promise<unknown> = Promise.resolve();
  /** Rewinds in progress: while any is, the loop calls consume() no more (they are seeking). */
  private holding = 0;
  private cooperative = true;
  /** Set by disconnect(): revocations are released at once, without waiting for the handler. */
  private closing = false;
  /** Revoked partitions handed to the handler and not yet released (by key topic:partition). */
  private readonly unreleased = new Map<string, TopicPartition>();
  /** How many messages the next consume() may return (0: none, wait); set by the engine from flow control. */
  maxMessages = 1000;
  /**
   * consume(n) returns only after n messages or a wait of the consume timeout for *each* message
   * (node-rdkafka PR #1053), so on a steady stream it waits for n arrivals: at 10k/s, n = 2000
   * adds 200 ms, and a small n caps the rate at n per call (each call also costs a hop through
   * libuv's thread pool). So the loop alternates two calls: with a timeout of 0, consume(n)
   * takes what librdkafka has queued, up to n, without waiting for more; when that was nothing,
   * consume(1) with a WAIT_MS timeout blocks until the next message arrives.
   */
  private queuedLastCall = false;
  private readonly commitsSentAt = new Map<string, number>();
  /** When the consume loop last came back (with or without messages); liveness reads it. */
  lastReturnAt = Date.now();

  constructor(options: SourceOptions) {
    this.options = options;
    this.consumer = new Kafka.KafkaConsumer(
      consumerConfig(options, (err, assignment) => this.onRebalance(err, assignment)),
      { 'auto.offset.reset': options.startFrom },
    );
    this.consumer.on(
      'event.error',
      clientErrorListener(options.brokers, options.onFatal, (err) =>
        options.logger.warn({ err: errorMessage(err) }, 'consumer error'),
      ),
    );
    this.consumer.on('event.stats', (event: { message: string }) => options.onStats?.(event.message));
  }

  connect(timeoutMs: number): Promise<void> {
    return connectClient(this.consumer, timeoutMs, this.options.brokers, 'Consumer');
  }

  start(handler: SourceHandler): void {
    this.handler = handler;
    // Time each answer against the asynchronous commit that sent the same offsets (synchronous
    // commits may be reported here too; they match nothing and are timed by the engine).
    this.consumer.on('offset.commit', (err: unknown, committed: Array<TopicPartition & { offset?: number }>) => {
      const key = commitKey(committed ?? []);
      const sentAt = this.commitsSentAt.get(key);
      this.commitsSentAt.delete(key);
      this.options.onCommitted?.(err, sentAt === undefined ? 0 : performance.now() - sentAt, committed ?? []);
    });
    this.consumer.subscribe([this.options.topic]);
    this.cooperative = true;
    this.running = true;
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      if (this.maxMessages <= 0 || this.holding > 0) {
        // Backpressure: take nothing until the engine has room (it pauses partitions if this lasts).
        this.lastReturnAt = Date.now();
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      try {
        const call = this.consumeCall();
        this.consuming = call.catch(() => undefined);
        const messages = await call;
        this.lastReturnAt = Date.now();
        this.queuedLastCall = messages.length > 0;
        backoffMs = 100;
        if (messages.length > 0 && this.running) this.handler!.onMessages(messages);
      } catch (error) {
        if (!this.running) break;
        this.options.logger.warn({ err: errorMessage(error), retryInMs: backoffMs }, 'consume failed; retrying');
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  /**
   * One consume call. The native batch path waits up to WAIT_MS for the first message and then
   * takes what is queued, in one call. On the stock path, take what is queued; when the last
   * call found nothing, wait for the next arrival.
   */
  private consumeCall(): Promise<Kafka.Message[]> {
    const max = Math.min(MAX_CONSUME, this.maxMessages);
    if (nativeBatch) return nativeBatch.consume(this.consumer, max, WAIT_MS);
    const drain = this.queuedLastCall;
    this.consumer.setDefaultConsumeTimeout(drain ? 0 : WAIT_MS);
    return new Promise<Kafka.Message[]>((resolve, reject) =>
      this.consumer.consume(drain ? max : 1, (err, msgs) => (err ? reject(err) : resolve(msgs))),
    );
  }

  /**
   * Moves a partition's consume position (the next offset delivered is `offset`). Messages
   * fetched before the seek may still come out of a consume() call that was running; the
   * engine's PartitionState tells them apart (see its `staleAbove`).
   */
  seek(tp: TopicPartition, offset: number, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.consumer.seek({ topic: tp.topic, partition: tp.partition, offset }, timeoutMs, (err) => {
        if (err) reject(new TurbineError('KAFKA_CONSUME_FAILED', `seek failed: ${errorMessage(err)}`, { cause: err }));
        else resolve();
      }),
    );
  }

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    const partitions = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    this.cooperative = this.consumer.rebalanceProtocol() !== 'EAGER';
    try {
      if (err.code === ERR_ASSIGN) {
        if (this.cooperative) this.consumer.incrementalAssign(assignment);
        else this.consumer.assign(assignment);
        // librdkafka keeps a partition's pause flag across unassign and a later assign
        // (librdkafka#1849): a partition paused, revoked and assigned again would never be
        // fetched again. So each assignment sets the flag to what flow control wants now.
        // Resuming a partition that is not paused does nothing.
        if (this.handler?.holdsPaused()) this.pause(partitions);
        else this.resume(partitions);
        this.handler?.onAssign(partitions);
      } else if (err.code === ERR_REVOKE) {
        if (this.closing) {
          // The consumer is closing (the engine committed what it could before): librdkafka's
          // close waits, with no timeout, for this revocation to be released.
          this.unassign(partitions);
          return;
        }
        // The unassign happens in releaseRevoked(), after in-flight work of these partitions
        // is drained and committed: librdkafka waits for it (bounded by max.poll.interval.ms).
        for (const tp of partitions) this.unreleased.set(`${tp.topic}:${tp.partition}`, tp);
        this.handler?.onRevoke(partitions);
      } else {
        this.options.logger.error({ err: errorMessage(err) }, 'rebalance error');
      }
    } catch (error) {
      const event = err.code === ERR_ASSIGN ? 'assign' : 'revoke';
      if (this.closing || !this.consumer.isConnected()) {
        // An assignment that reaches an instance while it closes: the group hands these
        // partitions to another member when this one has left.
        this.options.logger.info({ event, partitions }, 'rebalance during shutdown ignored');
        return;
      }
      this.options.logger.error({ err: errorMessage(error), event, partitions }, 'rebalance handling failed');
    }
  }

  /** The handler is done with revoked partitions (a no-op for those disconnect() released already). */
  releaseRevoked(partitions: TopicPartition[]): void {
    const pending = partitions.filter((tp) => this.unreleased.delete(`${tp.topic}:${tp.partition}`));
    if (pending.length > 0) this.unassign(pending);
  }

  private unassign(partitions: TopicPartition[]): void {
    try {
      if (this.cooperative) this.consumer.incrementalUnassign(partitions);
      else this.consumer.unassign();
    } catch (error) {
      // After the consumer closed (or while it closes) there is nothing left to release.
      if (!this.closing && this.consumer.isConnected()) {
        this.options.logger.warn({ err: errorMessage(error), partitions }, 'unassign failed');
      }
    }
  }

  /** The underlying consumer (exactly-once sends its group metadata with the transaction's offsets). */
  get client(): Kafka.KafkaConsumer {
    return this.consumer;
  }

  /**
   * Moves partitions back to the given offsets (exactly-once, after an abort). The loop stops
   * calling consume() and the call in progress returns first (the engine drops what it returns),
   * then each partition seeks; librdkafka discards messages fetched before a seek.
   */
  async rewind(positionsAfterStop: () => Array<TopicPartition & { offset: number }>): Promise<void> {
    this.holding++;
    try {
      await this.consuming;
      for (const p of positionsAfterStop()) {
        await new Promise<void>((resolve, reject) =>
          this.consumer.seek(p, 10_000, (err) => (err ? reject(err) : resolve())),
        );
      }
    } finally {
      this.holding--;
    }
  }

  pause(partitions: TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.pause(partitions);
  }

  resume(partitions: TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.resume(partitions);
  }

  /** Asynchronous commit of "next offset to read" per partition. */
  commit(offsets: Array<TopicPartition & { offset: number }>): void {
    this.consumer.commit(offsets);
    if (this.commitsSentAt.size > 100) this.commitsSentAt.clear();
    this.commitsSentAt.set(commitKey(offsets), performance.now());
  }

  /** Synchronous commit, used on revoke and shutdown where the result must be known. */
  commitSync(offsets: Array<TopicPartition & { offset: number }>): void {
    this.consumer.commitSync(offsets);
  }

  queryHighWatermark(topic: string, partition: number): Promise<number> {
    return new Promise((resolve, reject) =>
      this.consumer.queryWatermarkOffsets(topic, partition, 5000, (err, offsets) =>
        err ? reject(err) : resolve(offsets.highOffset),
      ),
    );
  }

  committed(partitions: TopicPartition[], timeoutMs = 5000): Promise<Array<TopicPartition & { offset?: number }>> {
    return new Promise((resolve, reject) =>
      this.consumer.committed(partitions, timeoutMs, (err, tps) => (err ? reject(err) : resolve(tps))),
    );
  }

  /** Stops the consume loop; in-flight consume() calls finish first. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
  }

  /**
   * Leaves the group and closes the consumer; resolves false if that took longer than timeoutMs.
   * librdkafka's close (run on a libuv thread) waits with no timeout until every revocation is
   * released, and Node's process.exit waits for libuv threads: a revocation left to the handler
   * (still draining, or stuck behind a transaction that cannot commit) kept the process alive
   * for good. So closing releases pending and later revocations at once.
   */
  disconnect(timeoutMs = 10_000): Promise<boolean> {
    this.closing = true;
    if (this.unreleased.size > 0) {
      const pending = [...this.unreleased.values()];
      this.unreleased.clear();
      this.unassign(pending);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.consumer.disconnect(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
