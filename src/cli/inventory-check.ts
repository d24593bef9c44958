/**
 * The inventory check after a stateful run: folds every stock movement of the input topic per
 * SKU/warehouse, then compares the fold with (1) the last stock level each SKU/warehouse got on
 * the output topic and (2) the level the state store answers for the SKU's record key. Both must
 * equal the start value plus the sum of its movements.
 */
import { readToEnd } from '../kafka/read-to-end.js';

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

/** Each topic is read within this long. */
const READ_TIMEOUT_MS = 120_000;

type Query = (key: string) => { status: number; body: Record<string, unknown> };

export async function checkInventory(
  brokers: string,
  input: string,
  output: string,
  start: number,
  query: Query,
): Promise<InventoryCheck> {
  const expected = new Map<string, number>();
  const keyOfSku = new Map<string, string>();
  await readToEnd(
    { brokers, clientId: 'turbine-check', topic: input, deadlineMs: Date.now() + READ_TIMEOUT_MS },
    (record) => {
      if (!record.value) return;
      const key = record.key ? record.key.toString() : '';
      const m = JSON.parse(record.value.toString()) as { sku: string; warehouse: string; delta: number };
      const id = `${m.sku}/${m.warehouse}`;
      expected.set(id, (expected.get(id) ?? start) + m.delta);
      keyOfSku.set(m.sku, key);
    },
  );
  const lastOutput = new Map<string, number>();
  await readToEnd(
    { brokers, clientId: 'turbine-check', topic: output, deadlineMs: Date.now() + READ_TIMEOUT_MS },
    (record) => {
      if (!record.value) return;
      const v = JSON.parse(record.value.toString()) as { type: string; sku: string; warehouse: string; level: number };
      if (v.type === 'stock-level') lastOutput.set(`${v.sku}/${v.warehouse}`, v.level);
    },
  );
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
