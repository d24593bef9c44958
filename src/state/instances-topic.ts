/**
 * The Kafka side of the owner directory: this instance announces its URL and owned partitions
 * on the compacted `<group>-instances` topic (one partition) whenever its assignment changes, and
 * follows the topic from the beginning to learn the other instances' announcements. On close it
 * withdraws its announcement with a tombstone. A crashed instance cannot withdraw; the newer
 * announcement of the partition's next owner wins (owner-directory.ts).
 */
import { randomUUID } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { ensureTopics } from '../admin/topics.js';
import { errorMessage } from '../errors.js';
import { CONNECT_TIMEOUT_MS, disconnectWithin, OFFSET_BEGINNING } from '../kafka/client-connection.js';
import { connectClient } from '../kafka/security-failures.js';
import type { Logger } from '../observability/logger.js';
import { type InstanceAnnouncement, instancesTopicOf, OwnerDirectory, parseAnnouncement } from './owner-directory.js';

/** A tombstone on close is flushed for at most this long. */
const FLUSH_TIMEOUT_MS = 3_000;

export interface InstancesTopicOptions {
  brokers: string;
  group: string;
  clientId: string;
  kafka: Readonly<Record<string, string>>;
  /** This instance's advertised URL. */
  url: string;
  store: string;
  input: string;
  logger: Logger;
}

export class InstancesTopic {
  readonly directory = new OwnerDirectory();
  /** This instance's key on the topic: unique per run, so a restarted instance is a new entry. */
  readonly instanceId: string;
  readonly topic: string;
  private producer: Kafka.Producer | undefined;
  private consumer: Kafka.KafkaConsumer | undefined;

  constructor(private readonly o: InstancesTopicOptions) {
    this.instanceId = `${o.clientId}-${randomUUID().slice(0, 8)}`;
    this.topic = instancesTopicOf(o.group);
  }

  async start(): Promise<void> {
    const { brokers, kafka, clientId } = this.o;
    await ensureTopics(brokers, [{ name: this.topic, partitions: 1, config: { 'cleanup.policy': 'compact' } }], {
      ...kafka,
    });
    const base = { ...(kafka as Record<string, string>), 'metadata.broker.list': brokers, 'client.id': clientId };
    const producer = new Kafka.Producer({ ...base, acks: -1 } as Kafka.ProducerGlobalConfig);
    const consumer = new Kafka.KafkaConsumer(
      {
        ...base,
        // Assigned, never subscribed: it follows the whole topic and never joins or commits.
        'group.id': `${this.instanceId}-directory`,
        'enable.auto.commit': false,
      } as Kafka.ConsumerGlobalConfig,
      {},
    );
    await connectClient(producer, CONNECT_TIMEOUT_MS, brokers, 'Producer');
    this.producer = producer;
    await connectClient(consumer, CONNECT_TIMEOUT_MS, brokers, 'Consumer');
    this.consumer = consumer;
    producer.setPollInterval(100);
    consumer.on('data', (m) => {
      if (m.key) this.directory.apply(m.key.toString(), parseAnnouncement(m.value));
    });
    consumer.assign([{ topic: this.topic, partition: 0, offset: OFFSET_BEGINNING }]);
    consumer.consume();
  }

  /** Announces the input partitions this instance owns now (after every assignment change). */
  announce(partitions: readonly number[]): void {
    const { url, input, store } = this.o;
    const announcement: InstanceAnnouncement = {
      url,
      topic: input,
      store,
      partitions: [...partitions].sort((a, b) => a - b),
      at: Date.now(),
    };
    this.directory.apply(this.instanceId, announcement);
    if (this.producer) this.send(this.producer, Buffer.from(JSON.stringify(announcement)));
  }

  /** Withdraws the announcement and closes both clients. */
  async close(): Promise<void> {
    const producer = this.producer;
    const consumer = this.consumer;
    this.producer = undefined;
    this.consumer = undefined;
    if (producer) {
      this.send(producer, null);
      await new Promise<void>((resolve) => producer.flush(FLUSH_TIMEOUT_MS, () => resolve()));
      await disconnectWithin(producer);
    }
    if (consumer) await disconnectWithin(consumer);
  }

  private send(producer: Kafka.Producer, value: Buffer | null): void {
    try {
      producer.produce(this.topic, 0, value, this.instanceId, Date.now());
    } catch (error) {
      // Redirects to this instance may be missing until its next announcement; queries still work on the owner.
      this.o.logger.warn({ err: errorMessage(error), topic: this.topic }, 'could not announce this instance');
    }
  }
}
