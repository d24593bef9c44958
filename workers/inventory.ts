/**
 * Sample worker `inventory`: e-commerce stock movements in, per-SKU/warehouse running totals and
 * low-stock alerts out. For each movement it emits the SKU/warehouse level after applying it
 * (levels start at INVENTORY_START, default 100, and run over the batch); when a level crosses
 * below LOW_STOCK_THRESHOLD (default 20) it also emits an alert, to ALERT_TOPIC if set.
 * Works with json or avro input (the value is the decoded StockMovement either way).
 */
import type { InputRecord, OutputRecord } from '../src/types.js';

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
}

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

export default function inventory(batch: InputRecord[]): OutputRecord[][] {
  const levels = new Map<string, { level: number; count: number }>();
  return batch.map((record) => {
    if (!isMovement(record.value)) {
      throw new Error(`offset ${record.offset}: expected a stock movement {sku, warehouse, delta}`);
    }
    const { sku, warehouse, delta } = record.value;
    const id = `${sku}/${warehouse}`;
    const entry = levels.get(id) ?? { level: start, count: 0 };
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
