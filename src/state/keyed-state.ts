/**
 * The keyed-state parts of an engine with a state store: the in-memory store, its restorer,
 * the instances topic that tells which instance owns which partition (with advertisedUrl), and
 * the answer to a state query (`GET /state/<store>/<key>`).
 */
import type { EventEmitter } from 'node:events';
import type { TurbineConfig } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { partitionId } from '../types.js';
import { InstancesTopic } from './instances-topic.js';
import { keyPartition } from './murmur2.js';
import { Restorer } from './restorer.js';
import { stateCodec } from './state-codec.js';
import { StateStore } from './state-store.js';

export interface StateAnswer {
  status: number;
  body: Record<string, unknown>;
  /** A redirect's target (status 307). */
  location?: string;
}

export interface KeyedState {
  store: StateStore;
  restorer: Restorer;
  /** With advertisedUrl: this instance's announcements and the other instances' (for redirects). */
  instances?: InstancesTopic;
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
  events: Pick<EventEmitter, 'on'>,
): KeyedState | undefined {
  if (c.stateStore === '') return undefined;
  const store = new StateStore(c.stateStore, changelogTopicOf(c.group, c.stateStore), stateCodec(c.stateSchema));
  const { brokers, clientId, kafka } = c;
  const source = { brokers, clientId, kafka, changelogTopic: store.changelogTopic, decode: store.codec.decode };
  const restorer = new Restorer({ source, store, registry, metrics, logger, active });
  if (c.advertisedUrl === '') return { store, restorer };
  const { group, input } = c;
  const url = c.advertisedUrl;
  const instances = new InstancesTopic({ brokers, group, clientId, kafka, url, store: c.stateStore, input, logger });
  const announce = () =>
    instances.announce(
      registry
        .list()
        .filter((tp) => tp.topic === input)
        .map((tp) => tp.partition),
    );
  events.on('assigned', announce);
  events.on('revoked', announce);
  return { store, restorer, instances };
}

/**
 * Answers a query for `key` (UTF-8 text, as producers send string keys): the owner of the key's
 * partition (Kafka's default partitioner) answers with the value. Another instance redirects to
 * the owner the instances topic names (307), once: a query that was already redirected, or one
 * whose owner is unknown, gets 421 with the partition.
 */
export function answerStateQuery(
  state: KeyedState | undefined,
  registry: PartitionRegistry,
  input: { topic: string; partitions: number },
  query: { store: string; key: string; redirected: boolean },
): StateAnswer {
  const { store: storeName, key } = query;
  if (!state || state.store.name !== storeName) return { status: 404, body: { error: `no state store ${storeName}` } };
  const bytes = Buffer.from(key, 'utf8');
  const partition = keyPartition(bytes, input.partitions);
  const id = partitionId(input.topic, partition);
  if (!registry.get(id)) {
    const owner =
      !query.redirected &&
      state.instances?.directory.ownerOf(input.topic, storeName, partition, state.instances.instanceId);
    if (owner) {
      const location = `${owner.url}/state/${encodeURIComponent(storeName)}/${encodeURIComponent(key)}?redirected=1`;
      return { status: 307, location, body: { key, partition, owner: owner.url } };
    }
    const error = query.redirected
      ? 'redirected here, but this instance does not own the partition of this key (the group is rebalancing; retry)'
      : 'the partition of this key is owned by another instance, whose address is not known (set advertisedUrl on every instance)';
    return { status: 421, body: { error, key, partition } };
  }
  if (state.restorer.isRestoring(id)) {
    return { status: 503, body: { error: 'state is being restored; retry shortly', key, partition } };
  }
  const stored = state.store.get(id, bytes.toString('latin1'));
  if (!stored) return { status: 404, body: { error: 'no state for this key', key, partition } };
  return { status: 200, body: { key, value: JSON.parse(stored.json), partition, sourceOffset: stored.sourceOffset } };
}
