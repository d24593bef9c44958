/**
 * `turbine query`: a key's committed keyed state, read from the store's changelog topic, for
 * scripts and for checks after a crash. It needs no running instance: it reads the changelog
 * partition of the key (Kafka's default partitioner) read_committed to its end, so it answers
 * with the last committed value (a running owner's GET /state may be one transaction ahead).
 */
import { topicPartitions } from '../admin/topics.js';
import { TurbineError } from '../errors.js';
import { changelogTopicOf } from '../state/keyed-state.js';
import { keyPartition } from '../state/murmur2.js';
import { readChangelog } from '../state/restore.js';
import { stateCodec } from '../state/state-codec.js';
import { flagSpec, numberFlag, parseFlags, requiredString } from './args.js';

export const QUERY_HELP = `Usage: turbine query --brokers B --group G --store S --key K [--state-schema FILE] [--timeout-ms 60000]

Prints the committed state of key K in store S of consumer group G as one JSON line:
  {"key":K,"found":true,"value":...,"partition":P,"sourceOffset":O}
or {"key":K,"found":false,"partition":P}. Reads the changelog topic <G>-<S>-changelog, partition
of K by Kafka's default partitioner (murmur2), read_committed, to its end; no instance needs to
run. The key is the record key as UTF-8 text. A store with Avro values (the engine's
--state-schema) needs the same schema file here. Exit 0 either way, 2 for bad flags, 1 on errors.`;

export interface QueryAnswer {
  key: string;
  found: boolean;
  partition: number;
  value?: unknown;
  sourceOffset?: number;
}

export async function runQuery(argv: string[]): Promise<QueryAnswer> {
  const values = parseFlags(
    'query',
    argv,
    flagSpec(['brokers', 'group', 'store', 'key', 'state-schema', 'timeout-ms']),
  );
  const brokers = requiredString(values, 'brokers');
  const group = requiredString(values, 'group');
  const store = requiredString(values, 'store');
  const key = requiredString(values, 'key');
  const codec = stateCodec(typeof values['state-schema'] === 'string' ? values['state-schema'] : '');
  const timeoutMs = numberFlag(values, 'timeout-ms', 60_000, { min: 1000, max: 3_600_000, integer: true });
  const topic = changelogTopicOf(group, store);
  const counts = await topicPartitions(brokers, [topic], {}, Math.min(timeoutMs, 15_000));
  const partitions = counts.get(topic);
  if (partitions === undefined) {
    throw new TurbineError(
      'KAFKA_ADMIN_FAILED',
      `no changelog topic ${topic} on ${brokers}: check --group and --store`,
    );
  }
  const bytes = Buffer.from(key, 'utf8');
  const partition = keyPartition(bytes, partitions);
  const { values: restored } = await readChangelog(
    {
      ...{ brokers, clientId: 'turbine-query', kafka: {}, changelogTopic: topic, decode: codec.decode },
      onOpenTransaction: (p, stable, high) =>
        process.stderr.write(
          `turbine query: ${topic} partition ${p} is behind an open transaction (stable offset ${stable}, high watermark ${high}); waiting for the broker to end it\n`,
        ),
    },
    [partition],
    Date.now() + timeoutMs,
  );
  const stored = restored.get(partition)?.get(bytes.toString('latin1'));
  const answer: QueryAnswer = stored
    ? { key, found: true, value: JSON.parse(stored.json), partition, sourceOffset: stored.sourceOffset }
    : { key, found: false, partition };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  return answer;
}
