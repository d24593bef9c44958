/**
 * Start-up topic check: the input must exist; the output and dead-letter topics are created
 * with the input's partition count when createTopics allows it. Brokers down at start: retried
 * with backoff and a log line per attempt, never a silent hang.
 */
import type { TurbineConfig } from '../config/load.js';
import { errorMessage, TurbineError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { ensureTopics, topicPartitions } from './topics.js';

/** First contact with the brokers; failing it is logged and retried with backoff. */
const PROBE_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;

type TopicConfig = Pick<TurbineConfig, 'brokers' | 'input' | 'output' | 'deadLetterTopic' | 'createTopics' | 'kafka'>;

/**
 * Returns the partition count of the input, output and dead-letter topics. `keepTrying`
 * false (the engine is closing) ends the wait with KAFKA_CONNECT_FAILED.
 */
export async function prepareTopics(
  c: TopicConfig,
  logger: Logger,
  keepTrying: () => boolean,
  changelogTopic?: string,
): Promise<Map<string, number>> {
  let delay = 1000;
  for (;;) {
    if (!keepTrying()) throw new TurbineError('KAFKA_CONNECT_FAILED', 'closed while waiting for Kafka');
    try {
      const names = [c.input, c.output, c.deadLetterTopic, ...(changelogTopic ? [changelogTopic] : [])];
      const counts = await topicPartitions(c.brokers, names, c.kafka, PROBE_TIMEOUT_MS);
      const inputPartitions = counts.get(c.input);
      if (inputPartitions === undefined) {
        throw new TurbineError('KAFKA_ADMIN_FAILED', `Input topic ${c.input} does not exist on ${c.brokers}`);
      }
      if (changelogTopic) checkChangelog(changelogTopic, counts.get(changelogTopic), inputPartitions);
      const missing = names.slice(1).filter((t) => !counts.has(t));
      if (missing.length > 0) {
        if (!c.createTopics) {
          throw new TurbineError(
            'KAFKA_ADMIN_FAILED',
            `Topic(s) ${missing.join(', ')} do not exist; create them or set createTopics true`,
          );
        }
        await ensureTopics(
          c.brokers,
          // A changelog keeps the last change per key: compaction, like Kafka Streams' changelogs.
          missing.map((name) => ({
            name,
            partitions: inputPartitions,
            ...(name === changelogTopic ? { config: { 'cleanup.policy': 'compact' } } : {}),
          })),
          c.kafka,
        );
        logger.info({ topics: missing, partitions: inputPartitions }, 'created missing topics');
        for (const t of missing) counts.set(t, inputPartitions);
      }
      return counts;
    } catch (error) {
      if (error instanceof TurbineError && error.code !== 'KAFKA_CONNECT_FAILED') throw error;
      if (!keepTrying()) {
        throw new TurbineError('KAFKA_CONNECT_FAILED', 'closed while waiting for Kafka', { cause: error });
      }
      logger.warn(
        { brokers: c.brokers, err: errorMessage(error), retryInMs: delay },
        'Kafka is not reachable; retrying',
      );
      // Sleep in small steps so a close() during the backoff is honoured promptly.
      const until = Date.now() + delay;
      while (Date.now() < until && keepTrying()) await new Promise((r) => setTimeout(r, 100));
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }
}

/** A changelog partition holds the state of the input partition with the same number: the counts must match. */
function checkChangelog(topic: string, partitions: number | undefined, inputPartitions: number): void {
  if (partitions === undefined || partitions === inputPartitions) return;
  throw new TurbineError(
    'CONFIG_INVALID',
    `stateStore (--state-store): the changelog topic ${topic} has ${partitions} partitions but the input has ${inputPartitions}; they must match (choose another store name, or delete the changelog to start the state afresh)`,
    { details: { option: 'stateStore', topic, partitions, inputPartitions } },
  );
}
