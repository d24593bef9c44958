/**
 * The pure part of the inventory check: folds stock movements per SKU/warehouse the way the
 * sample worker (workers/inventory.ts) keeps levels (start value plus the sum of its deltas),
 * keeps each SKU/warehouse's last `stock-level` output, and compares both with the levels a state
 * store holds under each SKU's record key. Where the state comes from (an engine's HTTP answer, a
 * changelog read) is the caller's.
 */
import type { StoredValue } from '../state/state-store.js';
import { formatCount } from './progress.js';

/** What a state store holds under one record key (a SKU): the level per warehouse. */
export type SkuLevels = Readonly<Record<string, unknown>>;

/** The levels stored under record key `key` (UTF-8 text); undefined when the store holds none. */
export type StateLookup = (key: string) => SkuLevels | undefined;

export interface InventoryCheck {
  /** SKU/warehouse pairs compared. */
  levels: number;
  /** Record keys (SKUs) whose state was looked up. */
  keys: number;
  outputMismatches: number;
  stateMismatches: number;
  /**
   * Input records that are not JSON stock movements {sku, warehouse, delta}. The worker fails on
   * them (they end dead-lettered), so they change no level and are not folded.
   */
  skipped: number;
  /** The first few mismatches, for the summary. */
  examples: string[];
}

interface Expected {
  sku: string;
  warehouse: string;
  /** The SKU's record key, as UTF-8 text ('' for records without a key). */
  key: string;
  level: number;
}

const MAX_EXAMPLES = 5;

export class InventoryFold {
  private readonly expected = new Map<string, Expected>();
  private readonly lastOutput = new Map<string, number>();
  private skipped = 0;

  constructor(private readonly start: number) {}

  /** One input record, in partition order. */
  addMovement(key: Buffer | string | null | undefined, value: Buffer | null | undefined): void {
    const m = parseJson(value) as { sku?: unknown; warehouse?: unknown; delta?: unknown } | undefined;
    if (typeof m?.sku !== 'string' || typeof m.warehouse !== 'string' || typeof m.delta !== 'number') {
      this.skipped++;
      return;
    }
    const id = idOf(m.sku, m.warehouse);
    const entry = this.expected.get(id);
    const recordKey = key ? key.toString() : '';
    if (entry) {
      entry.level += m.delta;
      entry.key = recordKey;
    } else {
      this.expected.set(id, { sku: m.sku, warehouse: m.warehouse, key: recordKey, level: this.start + m.delta });
    }
  }

  /** One output record, in partition order: the last stock level per SKU/warehouse wins. */
  addOutput(value: Buffer | null | undefined): void {
    const v = parseJson(value) as { type?: unknown; sku?: unknown; warehouse?: unknown; level?: unknown } | undefined;
    if (v?.type !== 'stock-level' || typeof v.sku !== 'string' || typeof v.warehouse !== 'string') return;
    this.lastOutput.set(idOf(v.sku, v.warehouse), v.level as number);
  }

  /** Compares every folded SKU/warehouse with its last output and its stored level; looks each key up once. */
  compare(stateOf: StateLookup): InventoryCheck {
    const check: InventoryCheck = {
      levels: this.expected.size,
      keys: 0,
      outputMismatches: 0,
      stateMismatches: 0,
      skipped: this.skipped,
      examples: [],
    };
    const stateByKey = new Map<string, SkuLevels | undefined>();
    for (const [id, { sku, key, warehouse, level }] of this.expected) {
      if (!stateByKey.has(key)) stateByKey.set(key, stateOf(key));
      const out = this.lastOutput.get(id);
      const stored = stateByKey.get(key)?.[warehouse];
      const shown = `${sku}/${warehouse}: expected ${level}`;
      if (out !== level) {
        check.outputMismatches++;
        if (check.examples.length < MAX_EXAMPLES) check.examples.push(`${shown}, last output ${out}`);
      }
      if (stored !== level) {
        check.stateMismatches++;
        if (check.examples.length < MAX_EXAMPLES) check.examples.push(`${shown}, state ${JSON.stringify(stored)}`);
      }
    }
    check.keys = stateByKey.size;
    return check;
  }
}

/**
 * Looks record keys (UTF-8 text) up among values as a changelog restore holds them (state/restore.ts:
 * keyed by the record key's bytes as latin1). A value that is not a JSON object holds no level.
 */
export function storedLevelsLookup(stored: ReadonlyMap<string, StoredValue>): StateLookup {
  return (key) => {
    const value = stored.get(Buffer.from(key, 'utf8').toString('latin1'));
    if (value === undefined) return undefined;
    const levels = parseJson(Buffer.from(value.json, 'utf8'));
    return typeof levels === 'object' && levels !== null ? (levels as SkuLevels) : undefined;
  };
}

export function inventoryMatches(check: InventoryCheck): boolean {
  return check.outputMismatches === 0 && check.stateMismatches === 0;
}

/** `N keys, M SKU/warehouse levels: all match`, or the mismatch counts and the first examples. */
export function describeInventoryCheck(check: InventoryCheck): string {
  const verdict = inventoryMatches(check)
    ? 'all match'
    : `${check.outputMismatches} output and ${check.stateMismatches} state mismatches (${check.examples.join('; ')})`;
  const skipped = check.skipped > 0 ? `, ${formatCount(check.skipped)} records not stock movements (not folded)` : '';
  return `${formatCount(check.keys)} keys, ${formatCount(check.levels)} SKU/warehouse levels: ${verdict}${skipped}`;
}

/** A SKU/warehouse's map key; NUL cannot be mistaken for part of either name, as a '/' could. */
function idOf(sku: string, warehouse: string): string {
  return `${sku}\u0000${warehouse}`;
}

function parseJson(value: Buffer | null | undefined): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}
