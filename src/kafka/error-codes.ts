/**
 * The librdkafka error codes Turbine reacts to, read from node-rdkafka's CODES.ERRORS (generated
 * from librdkafka's rdkafkacpp.h) rather than repeated as numbers, and the one "is this fatal"
 * check. Main thread only: importing node-rdkafka as a value loads its addon, which loads in one
 * thread per process, so nothing a worker imports may import this file.
 */
import Kafka from 'node-rdkafka';

const codes = Kafka.CODES.ERRORS;

/** produce() threw because the local queue reached queue.buffering.max.messages: poll, then retry. */
export const ERR__QUEUE_FULL = codes.ERR__QUEUE_FULL;
/** A call ended at its timeout; from flush(), records are still queued. */
export const ERR__TIMED_OUT = codes.ERR__TIMED_OUT;
/** Broker transport failure; librdkafka reconnects by itself. */
export const ERR__TRANSPORT = codes.ERR__TRANSPORT;
/** No broker is reachable right now; librdkafka keeps trying. */
export const ERR__ALL_BROKERS_DOWN = codes.ERR__ALL_BROKERS_DOWN;
/** The client cannot go on (rd_kafka_fatal_error(), e.g. the idempotent producer lost its sequence state). */
export const ERR__FATAL = codes.ERR__FATAL;
/** A newer producer with the same transactional.id fenced this one: it cannot go on. */
export const ERR__FENCED = codes.ERR__FENCED;
/** Messages purged from the local queue by an abort (delivery reports of an aborted transaction). */
export const ERR__PURGE_QUEUE = codes.ERR__PURGE_QUEUE;
/** Messages purged while in flight to the broker by an abort. */
export const ERR__PURGE_INFLIGHT = codes.ERR__PURGE_INFLIGHT;
/** "Erroneous state": the client could not be created from its properties, or (commit) partitions not owned. */
export const ERR__STATE = codes.ERR__STATE;
/** SASL authentication failed on a connected client. */
export const ERR__AUTHENTICATION = codes.ERR__AUTHENTICATION;
/** The broker rejected the SASL credentials. */
export const ERR_SASL_AUTHENTICATION_FAILED = codes.ERR_SASL_AUTHENTICATION_FAILED;
/** TLS failure on a connected client. */
export const ERR__SSL = codes.ERR__SSL;
/**
 * A commit the group coordinator refused because the group's generation is moving (a rebalance
 * started or completed its join while the commit was sent). Retriable: once the client knows
 * the new generation, the commit of partitions it still owns is accepted (the Java client's
 * RetriableCommitFailedException: "complete the rebalance, then retry").
 */
export const ERR_ILLEGAL_GENERATION = codes.ERR_ILLEGAL_GENERATION;
export const ERR_REBALANCE_IN_PROGRESS = codes.ERR_REBALANCE_IN_PROGRESS;
/** createTopic(): the topic exists already. */
export const ERR_TOPIC_ALREADY_EXISTS = codes.ERR_TOPIC_ALREADY_EXISTS;

/** The numeric code of a node-rdkafka error, or undefined for anything without one. */
export function errorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** True for errors librdkafka marks fatal: the client instance must be replaced. */
export function isFatalProducerError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  return (err as { isFatal?: unknown }).isFatal === true || errorCode(err) === ERR__FATAL;
}
