/**
 * Stock movements for keyed-state tests: produced with Kafka's default partitioner (murmur2, as
 * Java clients and the load generator use), and the levels they must fold to.
 */
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { BROKERS, type ReadRecord, ROOT, sleep, waitFor } from './kafka';
import { seededRandom } from './prng';

export interface Movement {
  key: string;
  sku: string;
  warehouse: string;
  delta: number;
}

export const START_LEVEL = 100;

/** The sample inventory worker, keeping its levels in a state store named `levels`. */
export const STATEFUL_INVENTORY = {
  worker: join(ROOT, 'dist', 'workers', 'inventory.js'),
  guarantee: 'exactly-once',
  stateStore: 'levels',
} as const;

/** `count` movements over `skus` SKUs (the record key is the SKU) and 2 warehouses. */
export function movements(count: number, skus: number, seed = 7): Movement[] {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const sku = `SKU-${rng.int(0, skus - 1)}`;
    return { key: sku, sku, warehouse: `WH-${rng.int(1, 2)}`, delta: rng.int(-5, 5) };
  });
}

export async function produceMovements(topic: string, list: readonly Movement[]): Promise<void> {
  const producer = new Kafka.Producer(
    { 'metadata.broker.list': BROKERS, dr_cb: true, 'enable.idempotence': true, 'linger.ms': 5 },
    // Kafka's default (Java) partitioner; librdkafka's own default is CRC32-based. A topic
    // property: node-rdkafka ignores it in the global configuration.
    { partitioner: 'murmur2_random' },
  );
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(10);
  let acked = 0;
  let failed: unknown;
  producer.on('delivery-report', (err) => {
    if (err) failed = err;
    else acked++;
  });
  for (const m of list) {
    const value = Buffer.from(JSON.stringify({ sku: m.sku, warehouse: m.warehouse, delta: m.delta }));
    for (;;) {
      try {
        producer.produce(topic, null, value, Buffer.from(m.key));
        break;
      } catch {
        await sleep(5);
      }
    }
  }
  await waitFor('movements acknowledged', () => acked === list.length || failed !== undefined, 60_000);
  producer.disconnect();
  if (failed) throw failed;
}

/** The level after each movement, per SKU/warehouse, in input order. */
export function expectedLevels(list: readonly Movement[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of list) {
    const id = `${m.sku}/${m.warehouse}`;
    const seq = out.get(id) ?? [];
    seq.push((seq[seq.length - 1] ?? START_LEVEL) + m.delta);
    out.set(id, seq);
  }
  return out;
}

/** The stock-level outputs' levels per SKU/warehouse, in the order the output topic holds them. */
export function outputLevels(outputs: readonly ReadRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of outputs) {
    const v = JSON.parse(r.value!.toString()) as { type: string; sku: string; warehouse: string; level: number };
    if (v.type !== 'stock-level') continue;
    const id = `${v.sku}/${v.warehouse}`;
    const seq = out.get(id) ?? [];
    seq.push(v.level);
    out.set(id, seq);
  }
  return out;
}

/** SKU/warehouses whose output levels differ from the fold of their movements (their names). */
export function levelMismatches(expected: Map<string, number[]>, actual: Map<string, number[]>): string[] {
  const bad: string[] = [];
  for (const [id, seq] of expected) if (JSON.stringify(actual.get(id) ?? []) !== JSON.stringify(seq)) bad.push(id);
  for (const id of actual.keys()) if (!expected.has(id)) bad.push(id);
  return bad;
}
