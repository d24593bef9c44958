/**
 * The inventory check after a stateful run: folds every stock movement of the input topic per
 * SKU/warehouse, then compares the fold with (1) the last stock level each SKU/warehouse got on
 * the output topic and (2) the level the state store answers for the SKU's record key. Both must
 * equal the start value plus the sum of its movements.
 */
import { randomUUID } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { connectClient } from '../kafka/security-failures.js';

export interface InventoryCheck {
  /** SKU/warehouse pairs compared. */
  levels: number;
  /** Record keys (SKUs) whose state was queried. */
  keys: number;
  outputMismatches: number;
  stateMismatches: number;
  /** The first few mismatches, for the summary. */
  examples: string[];
}

type Query = (key: string) => { status: number; body: Record<string, unknown> };

/** Reads a topic to its end (read_committed) and hands each record's key and value to `visit`. */
async function readToEnd(brokers: string, topic: string, visit: (key: string, value: Buffer) => void): Promise<void> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': `turbine-check-${randomUUID()}`,
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': 'read_committed',
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await connectClient(consumer, 15_000, brokers, 'Consumer');
  try {
    const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))),
    );
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    const remaining = new Set(partitions);
    consumer.on('partition.eof', (e: { partition: number }) => remaining.delete(e.partition));
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: -2 })));
    consumer.setDefaultConsumeTimeout(100);
    const deadline = Date.now() + 120_000;
    while (remaining.size > 0 && Date.now() < deadline) {
      const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))),
      );
      for (const m of messages) if (m.value) visit(m.key ? m.key.toString() : '', m.value);
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

export async function checkInventory(
  brokers: string,
  input: string,
  output: string,
  start: number,
  query: Query,
): Promise<InventoryCheck> {
  const expected = new Map<string, number>();
  const keyOfSku = new Map<string, string>();
  await readToEnd(brokers, input, (key, value) => {
    const m = JSON.parse(value.toString()) as { sku: string; warehouse: string; delta: number };
    const id = `${m.sku}/${m.warehouse}`;
    expected.set(id, (expected.get(id) ?? start) + m.delta);
    keyOfSku.set(m.sku, key);
  });
  const lastOutput = new Map<string, number>();
  await readToEnd(brokers, output, (_key, value) => {
    const v = JSON.parse(value.toString()) as { type: string; sku: string; warehouse: string; level: number };
    if (v.type === 'stock-level') lastOutput.set(`${v.sku}/${v.warehouse}`, v.level);
  });
  const check: InventoryCheck = {
    levels: expected.size,
    keys: keyOfSku.size,
    outputMismatches: 0,
    stateMismatches: 0,
    examples: [],
  };
  const stateOf = new Map<string, Record<string, number>>();
  for (const [sku, key] of keyOfSku) {
    const answer = query(key);
    stateOf.set(sku, answer.status === 200 ? (answer.body.value as Record<string, number>) : {});
  }
  for (const [id, level] of expected) {
    const [sku, warehouse] = id.split('/') as [string, string];
    const out = lastOutput.get(id);
    const stored = stateOf.get(sku)?.[warehouse];
    if (out !== level) {
      check.outputMismatches++;
      if (check.examples.length < 5) check.examples.push(`${id}: expected ${level}, last output ${out}`);
    }
    if (stored !== level) {
      check.stateMismatches++;
      if (check.examples.length < 5) check.examples.push(`${id}: expected ${level}, state ${stored}`);
    }
  }
  return check;
}
