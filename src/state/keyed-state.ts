/**
 * The keyed-state parts of an engine with a state store: the in-memory store, its restorer,
 * and the answer to a state query (`GET /state/<store>/<key>`).
 */
import type { TurbineConfig } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { partitionId } from '../types.js';
import { keyPartition } from './murmur2.js';
import { Restorer } from './restorer.js';
import { StateStore } from './state-store.js';

export interface StateAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface KeyedState {
  store: StateStore;
  restorer: Restorer;
}

/** The changelog topic of a store: one per group and store name, like Kafka Streams' `<app>-<store>-changelog`. */
export function changelogTopicOf(group: string, store: string): string {
  return `${group}-${store}-changelog`;
}

export function createKeyedState(
  c: TurbineConfig,
  registry: PartitionRegistry,
  metrics: Metrics,
  logger: Logger,
  active: () => boolean,
): KeyedState | undefined {
  if (c.stateStore === '') return undefined;
  const store = new StateStore(c.stateStore, changelogTopicOf(c.group, c.stateStore));
  const source = { brokers: c.brokers, clientId: c.clientId, kafka: c.kafka, changelogTopic: store.changelogTopic };
  return { store, restorer: new Restorer({ source, store, registry, metrics, logger, active }) };
}

/**
 * Answers a query for `key` (UTF-8 text, as producers send string keys): the owner of the key's
 * partition (Kafka's default partitioner) answers with the value; another instance says who
 * should (421 with the partition), since instances do not know each other's addresses yet.
 */
export function answerStateQuery(
  state: KeyedState | undefined,
  registry: PartitionRegistry,
  input: { topic: string; partitions: number },
  storeName: string,
  key: string,
): StateAnswer {
  if (!state || state.store.name !== storeName) return { status: 404, body: { error: `no state store ${storeName}` } };
  const bytes = Buffer.from(key, 'utf8');
  const partition = keyPartition(bytes, input.partitions);
  const id = partitionId(input.topic, partition);
  if (!registry.get(id)) {
    return { status: 421, body: { error: 'the partition of this key is owned by another instance', key, partition } };
  }
  if (state.restorer.isRestoring(id)) {
    return { status: 503, body: { error: 'state is being restored; retry shortly', key, partition } };
  }
  const stored = state.store.get(id, bytes.toString('latin1'));
  if (!stored) return { status: 404, body: { error: 'no state for this key', key, partition } };
  return { status: 200, body: { key, value: JSON.parse(stored.json), partition, sourceOffset: stored.sourceOffset } };
}
