/**
 * Produces worker outputs with delivery reports. A batch's outputs form one DeliveryGroup whose
 * callback fires once the broker acknowledged all of them; only then are the batch's input
 * offsets complete. Nothing is dropped: a full local queue (ERR__QUEUE_FULL) parks messages in
 * order until librdkafka drains, and a failed delivery is produced again after a backoff.
 */
import Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export interface DeliveryGroup {
  remaining: number;
  /** Called once every message of the group is settled: acknowledged, or failed if `failed` is set. */
  onAcked: () => void;
  /** Exactly-once: some message of the group failed or was discarded (its transaction aborts). */
  failed?: boolean;
}

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

export interface SinkOptions {
  brokers: string;
  clientId: string;
  /** Passed-through librdkafka properties. */
  kafka: Readonly<Record<string, string>>;
  retryInitialMs: number;
  retryMaxMs: number;
  logger: Logger;
  onDeliveryError?: (topic: string, error: unknown) => void;
  onAcked?: (topic: string, count: number) => void;
  /** librdkafka statistics JSON, every statistics.interval.ms. */
  onStats?: (json: string) => void;
  /**
   * Exactly-once: the producer's transactional.id. Failed deliveries are then not produced
   * again (the transaction aborts instead): they settle their group as failed and are reported
   * to onTransactionError.
   */
  transactionalId?: string;
  onTransactionError?: (error: unknown) => void;
}

const ERR_QUEUE_FULL = -184;

/** Producer settings chosen for ordering and throughput; users may override through kafka.*. */
export function producerConfig(
  options: Pick<SinkOptions, 'brokers' | 'clientId' | 'kafka'>,
): Kafka.ProducerGlobalConfig {
  return {
    'metadata.broker.list': options.brokers,
    'client.id': `${options.clientId}-producer`,
    dr_cb: true,
    // Idempotence keeps per-partition order and drops broker-side duplicates under retries.
    'enable.idempotence': true,
    // murmur2_random matches the Java client's key → partition mapping.
    partitioner: 'murmur2_random',
    'linger.ms': 5,
    'batch.num.messages': 10000,
    'queue.buffering.max.messages': 1_000_000,
    'compression.codec': 'lz4',
    // Feeds the broker RTT and queue gauges (librdkafka STATISTICS.md).
    'statistics.interval.ms': 5000,
    ...(options.kafka as Record<string, string>),
  } as Kafka.ProducerGlobalConfig;
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
  private readonly parked: OutboundMessage[] = [];
  private parkedHead = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private pendingAcks = 0;
  private closed = false;

  constructor(options: SinkOptions) {
    this.options = options;
    this.outstanding = options.transactionalId === undefined ? undefined : new Set();
    this.producer = this.createProducer();
  }

  private createProducer(): Kafka.Producer {
    const options = this.options;
    const config = producerConfig(options);
    if (options.transactionalId !== undefined) {
      (config as Record<string, unknown>)['transactional.id'] = options.transactionalId;
    }
    const producer = new Kafka.Producer(config);
    producer.on('delivery-report', (err, report) => this.onDelivery(err, report));
    producer.on('event.error', (err) => options.logger.warn({ err: errorMessage(err) }, 'producer error'));
    producer.on('event.stats', (event: { message: string }) => options.onStats?.(event.message));
    return producer;
  }

  /** The current producer (exactly-once drives its transactional calls). */
  get client(): Kafka.Producer {
    return this.producer;
  }

  /**
   * Exactly-once, after a fatal error: a new producer with the same transactional.id (its
   * initTransactions fences the old one). Messages of the old producer settle as failed.
   */
  async replaceProducer(timeoutMs: number): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.failOutstanding();
    await new Promise<void>((resolve) => old.disconnect(2000, () => resolve()));
    await this.connect(timeoutMs);
  }

  /** Exactly-once, after an abort: settles every message still parked or unacknowledged as failed. */
  failOutstanding(): void {
    if (!this.outstanding) return;
    const left = [...this.outstanding];
    this.outstanding.clear();
    this.parked.length = 0;
    this.parkedHead = 0;
    this.pendingAcks -= left.length;
    settleFailed(left);
  }

  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.producer.connect({ timeout: timeoutMs }, (err) => {
        if (err) {
          reject(
            new TurbineError(
              'KAFKA_CONNECT_FAILED',
              `Producer cannot reach ${this.options.brokers}: ${errorMessage(err)}`,
              {
                cause: err,
              },
            ),
          );
          return;
        }
        // Delivery reports are only served when the producer is polled.
        this.producer.setPollInterval(5);
        resolve();
      });
    });
  }

  /** Messages produced but not yet acknowledged (including parked ones). */
  get inFlight(): number {
    return this.pendingAcks;
  }

  send(messages: OutboundMessage[]): void {
    this.pendingAcks += messages.length;
    if (this.outstanding) for (const m of messages) this.outstanding.add(m);
    for (const m of messages) this.submit(m);
  }

  private submit(message: OutboundMessage): void {
    if (this.parkedHead < this.parked.length) {
      // Keep order behind messages already waiting for queue space.
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
      if ((error as { code?: number }).code === ERR_QUEUE_FULL) return false;
      if (this.outstanding) {
        this.failTransactional(m, error);
        return true;
      }
      // Anything else (unknown topic name format, message too large...) is retried with backoff.
      this.retryLater(m, error);
      return true;
    }
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
    setTimeout(() => this.submit(m), delay * (0.5 + Math.random() / 2)).unref();
  }

  private onDelivery(err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport): void {
    const m = report.opaque as OutboundMessage | undefined;
    if (!m) return;
    if (this.outstanding && !this.outstanding.delete(m)) return; // settled already (abandoned producer)
    if (err) {
      if (this.outstanding) this.failTransactional(m, err, true);
      else this.retryLater(m, err);
      return;
    }
    this.pendingAcks--;
    this.options.onAcked?.(m.topic, 1);
    const group = m.group;
    group.remaining--;
    if (group.remaining === 0) group.onAcked();
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
    return new Promise((resolve) => this.producer.flush(timeoutMs, () => resolve()));
  }

  disconnect(): Promise<void> {
    this.closed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    return new Promise((resolve) => this.producer.disconnect(5000, () => resolve()));
  }
}
