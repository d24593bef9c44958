/**
 * loadgen's generators: json stock movements padded to the value size, Avro in the Confluent
 * wire format, and keys key-<n> drawn within range.
 */
import { createKeyPicker, createValueGenerator, loadStockMovementType } from '../../../src/cli/loadgen-values';

describe('json stock movements', () => {
  it.each([100, 101, 512])('are valid JSON of exactly %i bytes, whatever the field lengths', (valueSize) => {
    const values = createValueGenerator({ format: 'json', valueSize });
    const cases: Array<[number, number]> = [
      [123_456_789_012, 9_999_999],
      [0, 0],
      [5, 3],
      [2_147_483_648, 42],
    ];
    for (const [seq, key] of cases) {
      const timestamp = Date.now();
      const bytes = values.next(seq, key, timestamp);
      expect(bytes.length).toBe(valueSize);
      const parsed = JSON.parse(bytes.toString('utf8'));
      expect(parsed).toMatchObject({ sku: `SKU-${key}`, seq, ts: timestamp });
      expect(parsed.warehouse).toMatch(/^WH-[1-4]$/);
      expect(parsed.delta).toBeGreaterThanOrEqual(-20);
      expect(parsed.delta).toBeLessThanOrEqual(30);
      expect(parsed.pad).toMatch(/^x*$/);
    }
  });

  it('fall back to the bare object when the value size is too small to pad', () => {
    const values = createValueGenerator({ format: 'json', valueSize: 40 });
    const long = JSON.parse(values.next(123_456_789, 1_234_567, Date.now()).toString('utf8'));
    expect(long).toMatchObject({ sku: 'SKU-1234567', seq: 123_456_789, pad: '' });
    const short = JSON.parse(values.next(1, 1, Date.now()).toString('utf8'));
    expect(short).toMatchObject({ sku: 'SKU-1', seq: 1 });
  });
});

describe('avro stock movements', () => {
  it('use the Confluent wire format with schema id 1 and about the value size', () => {
    const values = createValueGenerator({ format: 'avro', valueSize: 200 });
    const bytes = values.next(7, 3, 1_764_000_000_000);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(1);
    expect(Math.abs(bytes.length - 200)).toBeLessThan(10);
    const record = loadStockMovementType().fromBuffer(bytes.subarray(5));
    expect(record).toMatchObject({ sku: 'SKU-3', seq: 7, ts: 1_764_000_000_000 });
  });
});

describe('keys', () => {
  it.each(['uniform', 'zipf'] as const)('%s draws stay within range and favour low keys under zipf', (distribution) => {
    const picker = createKeyPicker(100, distribution);
    const counts = new Array<number>(100).fill(0);
    for (let draw = 0; draw < 20_000; draw++) {
      counts[picker.next()]!++;
    }
    // An index out of range would have grown the array or produced NaN.
    expect(counts).toHaveLength(100);
    expect(counts.reduce((total, count) => total + count, 0)).toBe(20_000);
    expect(picker.bytes(17).toString()).toBe('key-17');
    if (distribution === 'zipf') expect(counts[0]!).toBeGreaterThan(counts[99]! * 10);
  });
});
