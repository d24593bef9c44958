/**
 * Topic administration through librdkafka's AdminClient (main thread only).
 */
import Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { ERR_TOPIC_ALREADY_EXISTS } from '../kafka/error-codes.js';
import {
  type ClientLog,
  clientConfigRejected,
  connectFailure,
  securityFailureFromLog,
} from '../kafka/security-failures.js';

export interface TopicSpec {
  name: string;
  partitions: number;
  config?: Record<string, string>;
}

function withAdmin<T>(
  brokers: string,
  extra: Record<string, string>,
  fn: (admin: Kafka.IAdminClient) => Promise<T>,
): Promise<T> {
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': brokers, 'client.id': 'turbine-admin', ...extra });
  return fn(admin).finally(() => admin.disconnect());
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export function ensureTopics(
  brokers: string,
  topics: TopicSpec[],
  extra: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<void> {
  return withAdmin(brokers, extra, async (admin) => {
    for (const topic of topics) {
      await new Promise<void>((resolve, reject) => {
        admin.createTopic(
          {
            topic: topic.name,
            num_partitions: topic.partitions,
            replication_factor: -1,
            config: topic.config ?? {},
          },
          timeoutMs,
          (err) => {
            if (!err || (err as { code?: number }).code === ERR_TOPIC_ALREADY_EXISTS) resolve();
            else
              reject(
                new TurbineError('KAFKA_ADMIN_FAILED', `Creating topic ${topic.name} failed: ${errorMessage(err)}`, {
                  cause: err,
                }),
              );
          },
        );
      });
    }
  });
}

export function deleteTopics(brokers: string, names: string[], timeoutMs = 15_000): Promise<void> {
  return withAdmin(brokers, {}, async (admin) => {
    for (const name of names) {
      await new Promise<void>((resolve) => admin.deleteTopic(name, timeoutMs, () => resolve()));
    }
  });
}

/**
 * Partition count of each topic that exists (absent ones are missing from the map).
 * Uses a short-lived producer for metadata, since the AdminClient has no metadata call here.
 * A rejected SASL login or an untrusted certificate rejects at once with KAFKA_AUTH_FAILED or
 * KAFKA_TLS_FAILED (not retriable); an unreachable broker rejects with KAFKA_CONNECT_FAILED.
 */
export function topicPartitions(
  brokers: string,
  names: string[],
  extra: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<Map<string, number>> {
  let producer: Kafka.Producer;
  try {
    producer = new Kafka.Producer({ 'metadata.broker.list': brokers, 'client.id': 'turbine-metadata', ...extra });
  } catch (error) {
    // An unknown property or a value librdkafka does not accept: no broker can fix that.
    return Promise.reject(clientConfigRejected(error));
  }
  let settled = false;
  const close = () => {
    try {
      producer.disconnect();
    } catch {
      // Never connected: nothing to close.
    }
  };
  return new Promise<Map<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => {
      settled = true;
      close();
      reject(new TurbineError('KAFKA_CONNECT_FAILED', `No metadata from brokers ${brokers} within ${timeoutMs} ms`));
    }, timeoutMs);
    // During connect() the cause of a failure shows only in the client's log (security-failures.ts).
    producer.on('event.log', (log: ClientLog) => {
      const failure = settled ? undefined : securityFailureFromLog(log, brokers);
      if (!failure) return;
      settled = true;
      clearTimeout(timer);
      // The pending connect() gives up at its own timeout; its callback then finds `settled`.
      reject(failure);
    });
    producer.connect({ timeout: timeoutMs }, (err, metadata) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        close();
        reject(connectFailure(err, brokers, 'Metadata probe'));
        return;
      }
      const out = new Map<string, number>();
      for (const t of metadata.topics) {
        if (names.includes(t.name) && t.partitions.length > 0) out.set(t.name, t.partitions.length);
      }
      close();
      resolve(out);
    });
  });
}
