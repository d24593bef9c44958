/**
 * The inventory check's pure part: every SKU/warehouse's level is the start value plus the sum of
 * its movements, and its last stock-level output and its stored level must both equal it. Also
 * the changelog-backed lookup `turbine verify --state-store` injects.
 */
import {
  describeInventoryCheck,
  InventoryFold,
  inventoryMatches,
  type SkuLevels,
  storedLevelsLookup,
} from '../../../src/cli/inventory-fold';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const movement = (sku: string, warehouse: string, delta: number) => json({ sku, warehouse, delta });
const level = (sku: string, warehouse: string, l: number) =>
  json({ type: 'stock-level', sku, warehouse, delta: 0, level: l, movementsInBatch: 1, levelScope: 'store' });

/** SKU-1: WH-1 100+5-3 = 102, WH-2 100-10 = 90; SKU-2: WH-1 100+1 = 101. */
function foldOfThree(start = 100): InventoryFold {
  const fold = new InventoryFold(start);
  fold.addMovement(Buffer.from('SKU-1'), movement('SKU-1', 'WH-1', 5));
  fold.addMovement(Buffer.from('SKU-2'), movement('SKU-2', 'WH-1', 1));
  fold.addMovement(Buffer.from('SKU-1'), movement('SKU-1', 'WH-2', -10));
  fold.addMovement(Buffer.from('SKU-1'), movement('SKU-1', 'WH-1', -3));
  return fold;
}

const STATE: Record<string, SkuLevels> = { 'SKU-1': { 'WH-1': 102, 'WH-2': 90 }, 'SKU-2': { 'WH-1': 101 } };

function withOutputs(fold: InventoryFold, levels: Array<[string, string, number]>): InventoryFold {
  for (const [sku, wh, l] of levels) fold.addOutput(level(sku, wh, l));
  return fold;
}

describe('InventoryFold', () => {
  it('matches when the last outputs and the state hold start + sum of movements', () => {
    const fold = withOutputs(foldOfThree(), [
      ['SKU-1', 'WH-1', 105],
      ['SKU-2', 'WH-1', 101],
      ['SKU-1', 'WH-2', 90],
      ['SKU-1', 'WH-1', 102],
    ]);
    const looked: string[] = [];
    const check = fold.compare((key) => {
      looked.push(key);
      return STATE[key];
    });
    expect(check).toEqual({ levels: 3, keys: 2, outputMismatches: 0, stateMismatches: 0, skipped: 0, examples: [] });
    // One lookup per record key, not per SKU/warehouse.
    expect(looked.sort()).toEqual(['SKU-1', 'SKU-2']);
    expect(inventoryMatches(check)).toBe(true);
    expect(describeInventoryCheck(check)).toBe('2 keys, 3 SKU/warehouse levels: all match');
  });

  it('folds from the given start value', () => {
    const fold = withOutputs(foldOfThree(30), [
      ['SKU-1', 'WH-1', 32],
      ['SKU-1', 'WH-2', 20],
      ['SKU-2', 'WH-1', 31],
    ]);
    const check = fold.compare(() => ({ 'WH-1': 32, 'WH-2': 20 }));
    expect(check.outputMismatches).toBe(0);
    // SKU-2/WH-1 is 31, not 32: the only state mismatch.
    expect(check.stateMismatches).toBe(1);
    expect(check.examples).toEqual(['SKU-2/WH-1: expected 31, state 32']);
  });

  it('counts a stale last output and a missing or wrong stored level separately, with examples', () => {
    const fold = withOutputs(foldOfThree(), [
      ['SKU-1', 'WH-1', 102],
      ['SKU-1', 'WH-2', 90],
      // SKU-2/WH-1 never got an output.
    ]);
    // SKU-2 has no state at all; SKU-1/WH-2 is off by one.
    const check = fold.compare((key) => (key === 'SKU-1' ? { 'WH-1': 102, 'WH-2': 91 } : undefined));
    expect(check).toMatchObject({ levels: 3, keys: 2, outputMismatches: 1, stateMismatches: 2 });
    expect(check.examples).toEqual([
      'SKU-2/WH-1: expected 101, last output undefined',
      'SKU-2/WH-1: expected 101, state undefined',
      'SKU-1/WH-2: expected 90, state 91',
    ]);
    expect(inventoryMatches(check)).toBe(false);
    expect(describeInventoryCheck(check)).toMatch(
      /^2 keys, 3 SKU\/warehouse levels: 1 output and 2 state mismatches \(/,
    );
  });

  it('keeps at most five examples', () => {
    const fold = new InventoryFold(0);
    for (let i = 0; i < 20; i++) fold.addMovement(`SKU-${i}`, movement(`SKU-${i}`, 'WH-1', 1));
    const check = fold.compare(() => undefined);
    expect(check.outputMismatches).toBe(20);
    expect(check.stateMismatches).toBe(20);
    expect(check.examples).toHaveLength(5);
  });

  it('skips records that are not stock movements (the worker dead-letters them) and says so', () => {
    const fold = foldOfThree();
    fold.addMovement('SKU-1', Buffer.from('not json'));
    fold.addMovement('SKU-1', json({ sku: 'SKU-1', warehouse: 'WH-1', delta: '5' }));
    fold.addMovement('SKU-1', null);
    withOutputs(fold, [
      ['SKU-1', 'WH-1', 102],
      ['SKU-1', 'WH-2', 90],
      ['SKU-2', 'WH-1', 101],
    ]);
    // Outputs that are not stock levels (low-stock alerts, junk) do not count as levels.
    fold.addOutput(json({ type: 'low-stock', sku: 'SKU-1', warehouse: 'WH-1', level: 1 }));
    fold.addOutput(Buffer.from('{'));
    const check = fold.compare((key) => STATE[key]);
    expect(check).toMatchObject({ outputMismatches: 0, stateMismatches: 0, skipped: 3 });
    expect(describeInventoryCheck(check)).toBe(
      '2 keys, 3 SKU/warehouse levels: all match, 3 records not stock movements (not folded)',
    );
  });

  it('keeps SKU and warehouse names apart even when they contain a slash', () => {
    const fold = new InventoryFold(0);
    fold.addMovement('a/b', movement('a/b', 'c', 1));
    fold.addMovement('a', movement('a', 'b/c', 2));
    fold.addOutput(level('a/b', 'c', 1));
    fold.addOutput(level('a', 'b/c', 2));
    const check = fold.compare((key) => (key === 'a/b' ? { c: 1 } : { 'b/c': 2 }));
    expect(check).toMatchObject({ levels: 2, outputMismatches: 0, stateMismatches: 0 });
  });
});

describe('storedLevelsLookup', () => {
  const stored = new Map([
    [Buffer.from('SKU-1', 'utf8').toString('latin1'), { json: '{"WH-1":7}', sourceOffset: 3 }],
    // The store keys values by the record key's bytes (as latin1); lookups take UTF-8 text.
    [Buffer.from('SKÜ-ü', 'utf8').toString('latin1'), { json: '{"WH-2":8}', sourceOffset: 4 }],
    [Buffer.from('scalar', 'utf8').toString('latin1'), { json: '42', sourceOffset: 5 }],
    [Buffer.from('broken', 'utf8').toString('latin1'), { json: '{', sourceOffset: 6 }],
  ]);
  const lookup = storedLevelsLookup(stored);

  it('answers the levels stored under a UTF-8 record key', () => {
    expect(lookup('SKU-1')).toEqual({ 'WH-1': 7 });
    expect(lookup('SKÜ-ü')).toEqual({ 'WH-2': 8 });
  });

  it('answers nothing for absent keys and values that hold no levels', () => {
    expect(lookup('SKU-2')).toBeUndefined();
    expect(lookup('scalar')).toBeUndefined();
    expect(lookup('broken')).toBeUndefined();
  });
});
