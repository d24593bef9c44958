/**
 * The chaos suite's input: keyed JSON records produced on an open-loop schedule (record i is
 * due at start + i / rate), some of them bad on purpose, or stock movements for the stateful
 * scenario. Runs in the runner's own process, not in an engine's, and keeps producing through a
 * broker restart (librdkafka queues and retries until message.timeout.ms).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import { errorMessage } from '../src/errors.js';

/** What a record is: a normal one, undecodable bytes, or one that makes the chaos worker throw or hang. */
export type RecordKind = 'normal' | 'undecodable' | 'throw' | 'hang';

export interface FeedPlan {
  brokers: string;
  topic: string;
  count: number;
  /** Records per second. */
  rate: number;
  /** Distinct keys key-0 .. key-(keys-1), drawn round-robin so every key sees a steady stream. */
  keys: number;
  kindOf(index: number): RecordKind;
  /**
   * chaos (the default): `{"i":…}` records for workers/chaos.ts, shaped by kindOf. movements:
   * stock movements for workers/inventory.ts (movementRecord), keyed by SKU; kindOf is not used.
   */
  format?: 'chaos' | 'movements';
}

/** Bad JSON: the engine's json decoder rejects it before any worker sees it. */
const UNDECODABLE = Buffer.from('{"i":, not json', 'latin1');
const PAD = 'x'.repeat(64);
const TICK_MS = 10;
/** Through a broker restart: a record waits this long in librdkafka's queue before failing. */
const MESSAGE_TIMEOUT_MS = 180_000;
/** librdkafka RD_KAFKA_RESP_ERR__QUEUE_FULL. */
const ERR_QUEUE_FULL = -184;

/** Whether a record value (as UTF-8 text) is one the feed made to fail: undecodable, throwing or hanging. */
export function isPoisonValue(value: string): boolean {
  return value === UNDECODABLE.toString('latin1') || /"chaos":"(throw|hang)"/.test(value);
}

export function recordValue(index: number, kind: RecordKind): Buffer {
  if (kind === 'undecodable') return UNDECODABLE;
  const marker = kind === 'normal' ? '' : `,"chaos":"${kind}"`;
  return Buffer.from(`{"i":${index}${marker},"pad":"${PAD}"}`, 'latin1');
}

/**
 * Stock movement `index` of the stateful scenario: SKU-(index mod skus) as record key and sku,
 * WH-1 or WH-2, and a delta in −5..5, both from a multiplicative hash of the index, so every
 * run feeds the same movements. The feed's producer partitions by murmur2 of the key, as the
 * state store's queries and `turbine loadgen --format inventory` assume.
 */
export function movementRecord(index: number, skus: number): { key: Buffer; value: Buffer } {
  const sku = `SKU-${index % skus}`;
  const hash = Math.imul(index + 1, 0x9e3779b1) >>> 0;
  const warehouse = `WH-${1 + ((hash >>> 7) & 1)}`;
  const delta = ((hash >>> 11) % 11) - 5;
  return {
    key: Buffer.from(sku, 'latin1'),
    value: Buffer.from(`{"sku":"${sku}","warehouse":"${warehouse}","delta":${delta}}`, 'latin1'),
  };
}

export class Feed {
  sent = 0;
  acked = 0;
  errors = 0;
  private readonly producer: Kafka.Producer;
  private lastError: string | undefined;

  constructor(private readonly plan: FeedPlan) {
    this.producer = new Kafka.Producer(
      {
        'metadata.broker.list': plan.brokers,
        'client.id': 'turbine-chaos-feed',
        dr_cb: true,
        'enable.idempotence': true,
        'linger.ms': 5,
        'reconnect.backoff.max.ms': 1000,
      },
      { 'message.timeout.ms': MESSAGE_TIMEOUT_MS, partitioner: 'murmur2_random' },
    );
    // Transport errors while the broker restarts: librdkafka retries; delivery reports carry what fails.
    this.producer.on('event.error', () => {});
    this.producer.on('delivery-report', (error) => {
      if (error) {
        this.errors++;
        this.lastError = errorMessage(error);
      } else this.acked++;
    });
  }

  async connect(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.producer.connect({ timeout: 15_000 }, (error) => (error ? reject(error) : resolve())),
    );
    this.producer.setPollInterval(20);
  }

  /** Produces every record on schedule, then waits until each one is acknowledged or failed. */
  async run(): Promise<void> {
    const { count, rate, keys, topic } = this.plan;
    const start = performance.now();
    while (this.sent < count) {
      const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      while (this.sent < due) {
        const index = this.sent;
        const { key, value } =
          this.plan.format === 'movements'
            ? movementRecord(index, keys)
            : { key: Buffer.from(`key-${index % keys}`, 'latin1'), value: recordValue(index, this.plan.kindOf(index)) };
        try {
          this.producer.produce(topic, null, value, key, Date.now());
          this.sent++;
        } catch (error) {
          if ((error as { code?: number }).code !== ERR_QUEUE_FULL) throw error;
          break;
        }
      }
      await sleep(TICK_MS);
    }
    while (this.acked + this.errors < this.sent) await sleep(50);
    if (this.errors > 0) process.stderr.write(`chaos feed: ${this.errors} records failed: ${this.lastError}\n`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
  }
}
