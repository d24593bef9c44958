/**
 * Connecting and closing a short-lived node-rdkafka client within bounded times, for the command
 * line tools (loadgen, verify) that only need to reach the brokers or fail with KAFKA_CONNECT_FAILED.
 */
import type Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';

type CliClient = Kafka.Producer | Kafka.KafkaConsumer;

/** How long a client may take to connect (metadata from a bootstrap broker) before the caller gives up. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** librdkafka's logical offset for a partition's first record (RD_KAFKA_OFFSET_BEGINNING). */
export const OFFSET_BEGINNING = -2;

/** How long past connect()'s own timeout to wait in case librdkafka never calls back (it should). */
const CONNECT_GUARD_MS = 2_000;
/** How long a close may take before the caller goes on without it. */
const DISCONNECT_GUARD_MS = 10_000;

/** Connects `client` and resolves its metadata; on failure the client is closed and the promise rejects. */
export function connectWithTimeout(client: CliClient, brokers: string, timeoutMs: number): Promise<Kafka.Metadata> {
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown) => {
      clearTimeout(timer);
      try {
        client.disconnect(() => {});
      } catch {
        // Never connected: nothing to close.
      }
      reject(new TurbineError('KAFKA_CONNECT_FAILED', message, { cause, details: { brokers } }));
    };
    const timer = setTimeout(
      () => fail(`No connection to brokers ${brokers} within ${timeoutMs} ms`),
      timeoutMs + CONNECT_GUARD_MS,
    );
    client.connect({ timeout: timeoutMs }, (error, metadata) => {
      if (error) {
        fail(`Cannot reach brokers ${brokers} within ${timeoutMs} ms: ${errorMessage(error)}`, error);
        return;
      }
      clearTimeout(timer);
      resolve(metadata);
    });
  });
}

/**
 * Closes `client` (a producer first flushes for up to node-rdkafka's default 5 s) and resolves
 * once closed, or after DISCONNECT_GUARD_MS at the latest.
 */
export function disconnectWithin(client: CliClient): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, DISCONNECT_GUARD_MS);
    try {
      client.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      // A producer that is not connected throws from its flush.
      clearTimeout(timer);
      resolve();
    }
  });
}
