/**
 * Sample worker `inventory`: e-commerce stock movements in, per-SKU/warehouse stock levels and
 * low-stock alerts out. For each movement it emits the SKU/warehouse level after applying it;
 * when a level crosses below LOW_STOCK_THRESHOLD (default 20) it also emits an alert, to
 * ALERT_TOPIC if set. Levels start at INVENTORY_START (default 100).
 *
 * With a state store (--state-store NAME --guarantee exactly-once) the levels live in keyed
 * state: one entry per record key (the SKU) holding its warehouses' levels, kept across batches,
 * rebalances and crashes, and queryable at GET /state/NAME/<key>. Without one, levels can only
 * run over a batch: every output then says `levelScope: 'batch'`, because such a level restarts
 * at INVENTORY_START each batch and is not a stock level.
 * Works with json or avro input (the value is the decoded StockMovement either way).
 */
import type { InputRecord, OutputRecord, WorkerContext } from '../src/types.js';

export interface StockMovement {
  sku: string;
  warehouse: string;
  delta: number;
  seq?: number | bigint;
  ts?: number | bigint;
}

export interface StockLevel {
  type: 'stock-level';
  sku: string;
  warehouse: string;
  delta: number;
  level: number;
  movementsInBatch: number;
  /** store: the level held in keyed state; batch: a running total over this batch only. */
  levelScope: 'store' | 'batch';
}

/** Keyed state of one SKU (the record key): level per warehouse. */
export type SkuLevels = Record<string, number>;

export interface LowStockAlert {
  type: 'low-stock';
  sku: string;
  warehouse: string;
  level: number;
  threshold: number;
  sourceOffset: number;
}

const start = Number.parseInt(process.env.INVENTORY_START ?? '100', 10);
const threshold = Number.parseInt(process.env.LOW_STOCK_THRESHOLD ?? '20', 10);
const alertTopic = process.env.ALERT_TOPIC || undefined;

function isMovement(value: unknown): value is StockMovement {
  const v = value as StockMovement | null;
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof v.sku === 'string' &&
    typeof v.warehouse === 'string' &&
    typeof v.delta === 'number'
  );
}

export default function inventory(batch: InputRecord[], ctx: WorkerContext<SkuLevels> = {}): OutputRecord[][] {
  const state = ctx.state;
  const levels = new Map<string, { level: number; count: number }>();
  return batch.map((record) => {
    if (!isMovement(record.value)) {
      throw new Error(`offset ${record.offset}: expected a stock movement {sku, warehouse, delta}`);
    }
    const { sku, warehouse, delta } = record.value;
    const id = `${sku}/${warehouse}`;
    const entry = levels.get(id) ?? { level: start, count: 0 };
    if (state && record.key !== null) {
      // Keyed state: the level the SKU's earlier movements left, whichever batch they were in.
      const stock = state.get(record.key) ?? {};
      entry.level = stock[warehouse] ?? start;
      stock[warehouse] = entry.level + delta;
      state.set(record.key, stock);
    }
    const before = entry.level;
    entry.level += delta;
    entry.count += 1;
    levels.set(id, entry);
    const level: StockLevel = {
      type: 'stock-level',
      sku,
      warehouse,
      delta,
      level: entry.level,
      movementsInBatch: entry.count,
      levelScope: state && record.key !== null ? 'store' : 'batch',
    };
    const outputs: OutputRecord[] = [{ key: id, value: level }];
    if (before >= threshold && entry.level < threshold) {
      const alert: LowStockAlert = {
        type: 'low-stock',
        sku,
        warehouse,
        level: entry.level,
        threshold,
        sourceOffset: record.offset,
      };
      outputs.push({ key: id, value: alert, ...(alertTopic ? { topic: alertTopic } : {}) });
    }
    return outputs;
  });
}
