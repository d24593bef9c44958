/**
 * Produces worker outputs with delivery reports. A batch's outputs form one DeliveryGroup whose
 * callback fires once the broker acknowledged all of them; only then are the batch's input
 * offsets complete. Nothing is dropped: a full local queue (ERR__QUEUE_FULL) parks messages in
 * order until librdkafka drains, and a failed delivery is produced again after a backoff.
 *
 * A fatal producer error (librdkafka ERR__FATAL, e.g. the idempotent producer lost its sequence
 * state) makes the producer unusable: the sink reports it (onProducerFatal) and replaceProducer() swaps
 * in a new one, dropping the old one's unacknowledged groups (onDropped) so the engine can
 * rewind their inputs; messages sent while the new producer connects wait in order.
 */
import Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { ERR__QUEUE_FULL, isFatalProducerError } from '../kafka/error-codes.js';
import { forEachReport, isDeliveryBatch, kafkaError, nativeBatch } from '../kafka/native-batch.js';
import { clientErrorListener, connectClient } from '../kafka/security-failures.js';
import type { Logger } from '../observability/logger.js';
import { BatchPacking } from './batch-packing.js';
import { type ProducerSettings, producerTopicConfig, sinkProducerConfig } from './producer-config.js';

// The engine imports it from here.
export { DEFAULT_TRANSACTION_TIMEOUT_MS } from './producer-config.js';

export interface DeliveryGroup {
  remaining: number;
  /** Called once every message of the group is settled: acknowledged, or failed if `failed` is set. */
  onAcked: () => void;
  /** Its producer was replaced before every message was acknowledged; nothing more will come. */
  onDropped?: () => void;
  /** Exactly-once: some message of the group failed or was discarded (its transaction aborts). */
  failed?: boolean;
}

/** Builds the producer; the default is node-rdkafka's. Tests inject a fake. */
export type ProducerFactory = (
  config: Kafka.ProducerGlobalConfig,
  topicConfig: Kafka.ProducerTopicConfig,
) => Kafka.Producer;

export interface OutboundMessage {
  topic: string;
  /** -1 lets librdkafka's partitioner choose from the key. */
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Kafka.MessageHeader[];
  group: DeliveryGroup;
  attempts: number;
}

export interface SinkOptions extends ProducerSettings {
  retryInitialMs: number;
  retryMaxMs: number;
  logger: Logger;
  onDeliveryError?: (topic: string, error: unknown) => void;
  onAcked?: (topic: string, count: number) => void;
  /** librdkafka statistics JSON, every statistics.interval.ms. */
  onStats?: (json: string) => void;
  /** A failure retrying cannot fix (rejected SASL login, untrusted certificate), reported once. */
  onFatal?: (error: TurbineError) => void;
  /** A fatal producer error (ERR__FATAL); called once per producer instance, which must be replaced. */
  onProducerFatal?: (error: TurbineError) => void;
  createProducer?: ProducerFactory;
  onTransactionError?: (error: unknown) => void;
}

/** Counts a message of a group as settled without acknowledgement (exactly-once: dropped with its transaction). */
export function settleFailed(messages: Iterable<OutboundMessage>): void {
  for (const m of messages) {
    const group = m.group;
    group.failed = true;
    group.remaining--;
    if (group.remaining === 0) group.onAcked();
  }
}

export class Sink {
  private producer: Kafka.Producer;
  /** Exactly-once only: messages produced and not yet settled, so an abandoned producer's can be failed. */
  private readonly outstanding: Set<OutboundMessage> | undefined;
  private readonly options: SinkOptions;
  /** Groups with messages not yet acknowledged by the current producer. */
  private readonly pendingGroups = new Set<DeliveryGroup>();
  private connected = false;
  private readonly fatalReported = new WeakSet<Kafka.Producer>();
  /** The text of the last error event: with node-rdkafka 3.6.1, the reason of a fatal error. */
  private lastErrorText: string | undefined;
  private readonly parked: OutboundMessage[] = [];
  private parkedHead = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private pendingAcks = 0;
  private closed = false;
  /** The native batch path's packing and tokens; undefined on the stock path (and for fake producers). */
  private packing: BatchPacking<OutboundMessage> | undefined;

  constructor(options: SinkOptions) {
    this.options = options;
    this.outstanding = options.transactionalId === undefined ? undefined : new Set();
    this.producer = this.newProducer();
  }

  private newProducer(): Kafka.Producer {
    const options = this.options;
    const create = options.createProducer ?? ((config, topicConfig) => new Kafka.Producer(config, topicConfig));
    const producer = create(sinkProducerConfig(options), producerTopicConfig(options.kafka));
    this.packing = nativeBatch?.accepts(producer) ? (this.packing ?? new BatchPacking<OutboundMessage>()) : undefined;
    // Callbacks of a replaced producer are ignored: its groups were dropped already.
    producer.on('delivery-report', (err, report) => {
      if (producer === this.producer) this.onDelivery(err, report);
    });
    const onClientError = clientErrorListener(options.brokers, options.onFatal, (err) => {
      if (isFatalProducerError(err)) this.onFatalError(err);
      else {
        this.lastErrorText = errorMessage(err);
        options.logger.warn({ err: this.lastErrorText }, 'producer error');
      }
    });
    producer.on('event.error', (err) => {
      if (producer === this.producer) onClientError(err);
    });
    producer.on('event.stats', (event: { message: string }) => options.onStats?.(event.message));
    return producer;
  }

  /** The current producer (exactly-once drives its transactional calls). */
  get client(): Kafka.Producer {
    return this.producer;
  }

  /**
   * node-rdkafka 3.6.1 reports librdkafka's fatal error event with the underlying error's text
   * only (no code, no isFatal flag), so a fatal error is recognised where ERR__FATAL does show:
   * produce() throwing it, or delivery reports failing with it. Reported once per producer.
   */
  private onFatalError(err: unknown): void {
    // Exactly-once: the transaction coordinator replaces the producer and rewinds.
    if (this.outstanding) {
      this.options.onTransactionError?.(err);
      return;
    }
    if (this.fatalReported.has(this.producer)) return;
    this.fatalReported.add(this.producer);
    const reason = this.lastErrorText === undefined ? '' : ` (last producer error: ${this.lastErrorText})`;
    const error = new TurbineError('KAFKA_PRODUCER_FATAL', `${errorMessage(err)}${reason}`, { cause: err });
    this.lastErrorText = undefined;
    // Not from inside produce() or a delivery report: the handler replaces this producer.
    setImmediate(() => this.options.onProducerFatal?.(error));
  }

  /**
   * Replaces a producer that reported a fatal error: its unacknowledged groups are dropped
   * (onDropped), and later sends wait until the new producer is connected.
   */
  async replaceProducer(timeoutMs: number): Promise<void> {
    const old = this.producer;
    this.connected = false;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.parked.length = 0;
    this.parkedHead = 0;
    this.packing?.clear();
    const dropped = [...this.pendingGroups];
    this.pendingGroups.clear();
    this.producer = this.newProducer();
    // Exactly-once: the new producer's initTransactions fences the old one; its messages settle
    // as failed (their transaction aborts). Otherwise the engine rewinds the dropped groups.
    this.settleOutstandingAsFailed();
    this.pendingAcks = 0;
    for (const g of dropped) g.onDropped?.();
    // A fatal producer may not answer a clean close; do not wait for it.
    try {
      old.disconnect(1000, () => undefined);
    } catch {
      // Already disconnected.
    }
    await this.connect(timeoutMs);
  }

  /** Exactly-once, after an abort: settles every message still parked or unacknowledged as failed. */
  failOutstanding(): void {
    if (!this.outstanding) return;
    this.parked.length = 0;
    this.parkedHead = 0;
    this.settleOutstandingAsFailed();
  }

  private settleOutstandingAsFailed(): void {
    if (!this.outstanding) return;
    const left = [...this.outstanding];
    this.outstanding.clear();
    this.pendingAcks -= left.length;
    settleFailed(left);
  }

  async connect(timeoutMs: number): Promise<void> {
    await connectClient(this.producer, timeoutMs, this.options.brokers, 'Producer');
    // Delivery reports are only served when the producer is polled.
    this.producer.setPollInterval(5);
    this.connected = true;
    if (this.parkedHead < this.parked.length) this.scheduleDrain();
  }

  /** Messages produced but not yet acknowledged (including parked ones). */
  get inFlight(): number {
    return this.pendingAcks;
  }

  send(messages: OutboundMessage[]): void {
    this.pendingAcks += messages.length;
    if (this.outstanding) {
      // Exactly-once: messages are tracked one by one, since an abort settles them as failed.
      for (const m of messages) this.outstanding.add(m);
    } else {
      let last: DeliveryGroup | undefined;
      for (const m of messages) {
        if (m.group !== last) {
          last = m.group;
          this.pendingGroups.add(last);
        }
      }
    }
    if (this.packing && this.connected && this.parkedHead === this.parked.length) this.produceBatch(messages);
    else for (const m of messages) this.submit(m);
  }

  /** The native batch path: one call for the whole batch; what it could not queue goes the stock way. */
  private produceBatch(messages: OutboundMessage[]): void {
    const packing = this.packing!;
    let from = 0;
    while (from < messages.length) {
      const packed = packing.pack(messages, from);
      const [queued, code, text] = nativeBatch!.produce(
        this.producer,
        packed.topics,
        packed.parts,
        packed.meta,
        packed.count,
      );
      if (queued === packed.count) return;
      packing.release(packed, queued);
      from += queued;
      if (code === ERR__QUEUE_FULL) {
        // Park the rest in order; the drain produces them one by one as the queue empties.
        for (let i = from; i < messages.length; i++) this.parked.push(messages[i]!);
        this.scheduleDrain();
        return;
      }
      this.onProduceError(messages[from]!, kafkaError(code, text));
      from++;
    }
  }

  /** Still to be produced: not dropped with a replaced producer nor settled with an aborted transaction. */
  private live(message: OutboundMessage): boolean {
    return this.outstanding ? this.outstanding.has(message) : this.pendingGroups.has(message.group);
  }

  private submit(message: OutboundMessage): void {
    // Its group was dropped (producer replaced, perhaps by an earlier message of this send), or,
    // exactly-once, the message was settled as failed with its transaction.
    if (!this.live(message)) return;
    if (this.parkedHead < this.parked.length || !this.connected) {
      // Keep order behind messages already waiting for queue space (or for a new producer).
      this.parked.push(message);
      return;
    }
    if (!this.tryProduce(message)) {
      this.parked.push(message);
      this.scheduleDrain();
    }
  }

  private tryProduce(m: OutboundMessage): boolean {
    try {
      this.producer.produce(m.topic, m.partition, m.value, m.key, null, m, m.headers);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === ERR__QUEUE_FULL) return false;
      this.onProduceError(m, error);
      return true;
    }
  }

  /** produce() refused a message for a reason other than a full queue. */
  private onProduceError(m: OutboundMessage, error: unknown): void {
    if (this.outstanding) this.failTransactional(m, error);
    else if (isFatalProducerError(error)) this.onFatalError(error);
    // Anything else (unknown topic name format, message too large...) is retried with backoff.
    else this.retryLater(m, error);
  }

  private scheduleDrain(): void {
    if (this.drainTimer || this.closed) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      while (this.parkedHead < this.parked.length) {
        if (!this.tryProduce(this.parked[this.parkedHead]!)) break;
        this.parkedHead++;
      }
      if (this.parkedHead === this.parked.length) {
        this.parked.length = 0;
        this.parkedHead = 0;
      } else this.scheduleDrain();
    }, 2);
  }

  private retryLater(m: OutboundMessage, error: unknown): void {
    m.attempts++;
    const delay = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** Math.min(m.attempts - 1, 20));
    this.options.onDeliveryError?.(m.topic, error);
    this.options.logger.warn(
      { topic: m.topic, attempts: m.attempts, retryInMs: delay, err: errorMessage(error) },
      'produce failed; retrying',
    );
    // A group dropped meanwhile (its producer was replaced) is rewound, not produced again.
    setTimeout(
      () => {
        if (this.live(m)) this.submit(m);
      },
      delay * (0.5 + Math.random() / 2),
    ).unref();
  }

  private onDelivery(err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport): void {
    if (isDeliveryBatch(report)) {
      // The reports of batch-produced messages, gathered per poll by the patched addon.
      const packing = this.packing;
      if (!packing) return;
      forEachReport(report, (token, _partition, _offset, error) => {
        const m = packing.take(token);
        if (m) this.onDelivered(error, m);
      });
      return;
    }
    const m = report.opaque as OutboundMessage | undefined;
    if (m) this.onDelivered(err, m);
  }

  private onDelivered(err: unknown, m: OutboundMessage): void {
    if (this.outstanding && !this.outstanding.delete(m)) return; // settled already (abandoned producer)
    if (err) {
      if (this.outstanding) this.failTransactional(m, err, true);
      else if (isFatalProducerError(err)) this.onFatalError(err);
      else this.retryLater(m, err);
      return;
    }
    this.pendingAcks--;
    this.options.onAcked?.(m.topic, 1);
    const group = m.group;
    group.remaining--;
    if (group.remaining === 0) {
      this.pendingGroups.delete(group);
      group.onAcked();
    }
  }

  /** A transactional delivery failed: no retry, its transaction aborts (the coordinator decides). */
  private failTransactional(m: OutboundMessage, error: unknown, removed = false): void {
    if (!removed) this.outstanding?.delete(m);
    this.pendingAcks--;
    this.options.onDeliveryError?.(m.topic, error);
    this.options.onTransactionError?.(error);
    settleFailed([m]);
  }

  /** Waits until librdkafka's queue is empty or the timeout passes. */
  flush(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.producer.flush(timeoutMs, () => resolve());
      } catch {
        // Not connected (a close while still connecting): nothing was produced to flush.
        resolve();
      }
    });
  }

  /**
   * Flushes (up to flushMs) and closes the producer; resolves false if closing took longer than
   * timeoutMs (the close goes on in a libuv thread, which the process's exit then waits for).
   */
  disconnect(flushMs = 5000, timeoutMs = flushMs + 5000): Promise<boolean> {
    this.closed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      try {
        this.producer.disconnect(flushMs, () => {
          clearTimeout(timer);
          resolve(true);
        });
      } catch {
        // Not connected yet (a close while still connecting): the start that connects it closes it.
        clearTimeout(timer);
        resolve(true);
      }
    });
  }
}
