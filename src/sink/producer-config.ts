/**
 * The librdkafka configuration of the sink's producer: settings chosen for ordering and
 * throughput, and under exactly-once its transactional.id and transaction.timeout.ms.
 */
import type Kafka from 'node-rdkafka';

/** What the producer's configuration is made from (the sink's options extend it). */
export interface ProducerSettings {
  brokers: string;
  clientId: string;
  /** Passed-through librdkafka properties. */
  kafka: Readonly<Record<string, string>>;
  /**
   * Exactly-once: the producer's transactional.id. Failed deliveries are then not produced
   * again (the transaction aborts instead): they settle their group as failed and are reported
   * to onTransactionError.
   */
  transactionalId?: string;
  /** Exactly-once: transaction.timeout.ms unless kafka sets it; default DEFAULT_TRANSACTION_TIMEOUT_MS. */
  transactionTimeoutMs?: number;
}

/** Kafka Streams' transaction.timeout.ms under exactly-once (librdkafka's default is 60 s). */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;

/** Producer settings chosen for ordering and throughput; users may override through kafka.*. */
export function producerConfig(
  options: Pick<ProducerSettings, 'brokers' | 'clientId' | 'kafka'>,
): Kafka.ProducerGlobalConfig {
  return {
    'metadata.broker.list': options.brokers,
    'client.id': `${options.clientId}-producer`,
    dr_cb: true,
    // Idempotence keeps per-partition order and drops broker-side duplicates under retries.
    'enable.idempotence': true,
    'linger.ms': 5,
    'batch.num.messages': 10000,
    'queue.buffering.max.messages': 1_000_000,
    'compression.codec': 'lz4',
    // Feeds the broker RTT and queue gauges (librdkafka STATISTICS.md).
    'statistics.interval.ms': 5000,
    ...(options.kafka as Record<string, string>),
  } as Kafka.ProducerGlobalConfig;
}

/**
 * The producer's default topic configuration. node-rdkafka 3.6 gives every producer a topic
 * configuration of its own (the constructor's second argument), so topic properties such as
 * `partitioner` set in the global configuration are ignored: measured here, keyed records went
 * to librdkafka's default consistent_random (CRC32) partitions with `partitioner` in the global
 * configuration, and to Kafka's murmur2 partitions only through this argument.
 * murmur2_random matches the Java client's key → partition mapping (and the state query's).
 */
export function producerTopicConfig(kafka: Readonly<Record<string, string>> = {}): Kafka.ProducerTopicConfig {
  return { partitioner: (kafka.partitioner ?? 'murmur2_random') as Kafka.ProducerTopicConfig['partitioner'] };
}

/** producerConfig plus, with a transactionalId (exactly-once), the transactional settings. */
export function sinkProducerConfig(options: ProducerSettings): Kafka.ProducerGlobalConfig {
  const config = producerConfig(options);
  if (options.transactionalId !== undefined) {
    const c = config as Record<string, unknown>;
    c['transactional.id'] = options.transactionalId;
    // A crashed instance's open transaction keeps its partitions' committed offsets unstable
    // (the next owner cannot start) and holds back read_committed readers until the broker
    // aborts it at this timeout: librdkafka's 60 s default becomes transactionTimeoutMs.
    if (!('transaction.timeout.ms' in (options.kafka ?? {}))) {
      c['transaction.timeout.ms'] = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    }
  }
  return config;
}
