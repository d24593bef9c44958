/**
 * The Kafka side of exactly-once: node-rdkafka's transactional producer calls adapted to the
 * TransactionalClient the coordinator (transactions.ts) drives, and the classification of the
 * errors they fail with (librdkafka's rd_kafka_error_is_fatal / _is_retriable / _txn_requires_abort).
 */
import type Kafka from 'node-rdkafka';
import { errorMessage } from '../errors.js';
import {
  ERR__FENCED,
  ERR__PURGE_INFLIGHT,
  ERR__PURGE_QUEUE,
  errorCode,
  isFatalProducerError,
} from '../kafka/error-codes.js';

export interface CommitOffset {
  topic: string;
  partition: number;
  /** Next offset to read, as Kafka commits it. */
  offset: number;
}

/** The transactional calls of a producer (node-rdkafka's, adapted to promises). */
export interface TransactionalClient {
  init(timeoutMs: number): Promise<void>;
  begin(): Promise<void>;
  sendOffsets(offsets: CommitOffset[], timeoutMs: number): Promise<void>;
  commit(timeoutMs: number): Promise<void>;
  abort(timeoutMs: number): Promise<void>;
  /** Replaces a producer in a fatal state with a new, connected one (not yet initialised). */
  recreate(): Promise<void>;
}

/** What a failed transactional call calls for: the same call again, an abort, or a new producer. */
export type ErrorClass = 'fatal' | 'abortable' | 'retriable';

/** Transactional error flags as node-rdkafka sets them on LibrdKafkaError. */
interface TxnErrorFlags {
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
}

/** Delivery reports of purged messages carry only librdkafka's message text. */
const PURGED = /purged in (queue|flight)/i;

/** Fatal (isFatal, ERR__FATAL) or fenced (ERR__FENCED): the producer instance cannot continue. */
export function isFatalTransactionalError(error: unknown): boolean {
  return isFatalProducerError(error) || errorCode(error) === ERR__FENCED;
}

/** A delivery failure caused by an abort purging the producer's queue (ERR__PURGE_QUEUE / ERR__PURGE_INFLIGHT). */
export function isPurgedByAbort(error: unknown): boolean {
  const code = errorCode(error);
  return code === ERR__PURGE_QUEUE || code === ERR__PURGE_INFLIGHT || PURGED.test(errorMessage(error));
}

/**
 * What to do after a transactional call failed. Anything not marked retriable or abortable is
 * treated as fatal: librdkafka documents that a commit or abort error that is neither leaves the
 * producer unusable.
 */
export function classifyTransactionError(error: unknown): ErrorClass {
  if (isFatalTransactionalError(error)) return 'fatal';
  const e = (error ?? {}) as TxnErrorFlags;
  if (e.isTxnRequiresAbort === true) return 'abortable';
  if (e.isRetriable === true) return 'retriable';
  return 'fatal';
}

/** Adapts node-rdkafka's callback API; `producer()` is read per call because recreate() swaps it. */
export function kafkaTransactionalClient(
  producer: () => Kafka.Producer,
  consumer: Kafka.KafkaConsumer,
  recreate: () => Promise<void>,
): TransactionalClient {
  const call = (run: (cb: (err: Kafka.LibrdKafkaError | null) => void) => void) =>
    new Promise<void>((resolve, reject) => run((err) => (err ? reject(err) : resolve())));
  return {
    init: (timeoutMs) => call((cb) => producer().initTransactions(timeoutMs, cb)),
    begin: () => call((cb) => producer().beginTransaction(cb)),
    sendOffsets: (offsets, timeoutMs) =>
      call((cb) => producer().sendOffsetsToTransaction(offsets, consumer, timeoutMs, cb)),
    commit: (timeoutMs) => call((cb) => producer().commitTransaction(timeoutMs, cb)),
    abort: (timeoutMs) => call((cb) => producer().abortTransaction(timeoutMs, cb)),
    recreate,
  };
}
