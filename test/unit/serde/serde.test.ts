import { resolve } from 'node:path';
import { createSerde, loadAvroType } from '../../../src/serde/serde.js';

const schemaPath = resolve(__dirname, '../../../workers/schemas/stock-movement.avsc');

const movement = { sku: 'SKU-7', warehouse: 'WH-2', delta: -12, seq: 42, ts: 1_700_000_000_000, pad: 'xxxx' };

describe('json serde', () => {
  const serde = createSerde({ format: 'json', wireFormat: 'confluent', schemaId: 1 });

  it('round-trips objects, arrays, strings and numbers', () => {
    for (const value of [{ a: 1, b: [true, null, 'é'] }, [1, 2], 'text', 0, false]) {
      const bytes = serde.encode(value);
      expect(bytes).toBeInstanceOf(Buffer);
      expect(serde.decode(bytes)).toEqual(value);
    }
    expect(serde.encode({ a: 1 })!.toString('utf8')).toBe('{"a":1}');
  });

  it('maps null (tombstone) to null both ways, and undefined to null', () => {
    expect(serde.encode(null)).toBeNull();
    expect(serde.encode(undefined)).toBeNull();
    expect(serde.decode(null)).toBeNull();
  });

  it('throws on bytes that are not JSON', () => {
    expect(() => serde.decode(Buffer.from('{not json'))).toThrow(SyntaxError);
  });
});

describe('raw serde', () => {
  const serde = createSerde({ format: 'raw', wireFormat: 'confluent', schemaId: 1 });

  it('decodes to the same bytes', () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(serde.decode(bytes)).toBe(bytes);
    expect(serde.decode(null)).toBeNull();
  });

  it('encodes strings, Uint8Arrays and Buffers', () => {
    expect(serde.encode('héllo')!.toString('utf8')).toBe('héllo');
    const buffer = Buffer.from('abc');
    expect(serde.encode(buffer)).toBe(buffer);
    // A Uint8Array view over part of a larger buffer keeps exactly its own bytes.
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = backing.subarray(2, 5);
    const encoded = serde.encode(view)!;
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect([...encoded]).toEqual([1, 2, 3]);
    expect(serde.encode(null)).toBeNull();
    expect(serde.encode(undefined)).toBeNull();
  });

  it('rejects numbers and objects', () => {
    expect(() => serde.encode(42)).toThrow(TypeError);
    expect(() => serde.encode(42)).toThrow(/number/);
    expect(() => serde.encode({ a: 1 })).toThrow(/object/);
  });
});

describe('avro serde', () => {
  it('loads the sample schema', () => {
    const type = loadAvroType(schemaPath);
    expect(type.name).toBe('turbine.samples.StockMovement');
    expect(type.isValid(movement)).toBe(true);
  });

  it('round-trips with the Confluent wire format: magic byte 0 and the schema id', () => {
    const serde = createSerde({ format: 'avro', schemaPath, wireFormat: 'confluent', schemaId: 0x01020304 });
    const bytes = serde.encode(movement)!;
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(0x01020304);
    expect(bytes.subarray(5).equals(loadAvroType(schemaPath).toBuffer(movement))).toBe(true);
    expect(serde.decode(bytes)).toEqual(movement);
  });

  it('round-trips plain Avro binary without a header', () => {
    const serde = createSerde({ format: 'avro', schemaPath, wireFormat: 'plain', schemaId: 1 });
    const bytes = serde.encode(movement)!;
    expect(bytes.equals(loadAvroType(schemaPath).toBuffer(movement))).toBe(true);
    expect(serde.decode(bytes)).toEqual(movement);
  });

  it('Confluent decode rejects bytes without the magic byte or too short for a header', () => {
    const serde = createSerde({ format: 'avro', schemaPath, wireFormat: 'confluent', schemaId: 1 });
    const plain = loadAvroType(schemaPath).toBuffer(movement);
    expect(plain[0]).not.toBe(0);
    expect(() => serde.decode(plain)).toThrow(/magic byte/);
    expect(() => serde.decode(Buffer.from([0, 0, 0]))).toThrow(/Confluent/);
  });

  it('maps null to null in both wire formats', () => {
    for (const wireFormat of ['confluent', 'plain'] as const) {
      const serde = createSerde({ format: 'avro', schemaPath, wireFormat, schemaId: 1 });
      expect(serde.encode(null)).toBeNull();
      expect(serde.decode(null)).toBeNull();
    }
  });

  it('rejects a value that does not match the schema, and a missing schema path', () => {
    const serde = createSerde({ format: 'avro', schemaPath, wireFormat: 'plain', schemaId: 1 });
    expect(() => serde.encode({ sku: 'SKU-1' })).toThrow();
    expect(() => createSerde({ format: 'avro', wireFormat: 'plain', schemaId: 1 })).toThrow(/schema file/);
  });
});

describe('write (encoding straight into the output buffer)', () => {
  /** write() into a target of `size` bytes at offset 3; null when it reports the target short. */
  const written = (serde: ReturnType<typeof createSerde>, value: unknown, size: number): Buffer | null => {
    const target = Buffer.alloc(size);
    const end = serde.write(value, target, 3);
    return end < 0 ? null : target.subarray(3, end);
  };

  it('writes the same bytes as encode() in every format, and reports a short target instead of truncating', () => {
    const cases: Array<[ReturnType<typeof createSerde>, unknown]> = [
      [
        createSerde({ format: 'json', wireFormat: 'plain', schemaId: 1 }),
        { text: 'h\u00e9llo \u2603 \ud83d\ude00', n: [1, 2] },
      ],
      [createSerde({ format: 'raw', wireFormat: 'plain', schemaId: 1 }), Buffer.from([0, 1, 2, 250])],
      [createSerde({ format: 'raw', wireFormat: 'plain', schemaId: 1 }), 'caf\u00e9'],
      [createSerde({ format: 'avro', schemaPath, wireFormat: 'plain', schemaId: 1 }), movement],
      [createSerde({ format: 'avro', schemaPath, wireFormat: 'confluent', schemaId: 0x01020304 }), movement],
    ];
    for (const [serde, value] of cases) {
      const expected = serde.encode(value)!;
      expect(written(serde, value, expected.length + 3)?.equals(expected)).toBe(true);
      expect(written(serde, value, expected.length + 2)).toBeNull();
      expect(written(serde, value, 4)).toBeNull();
    }
  });

  it('throws where encode() throws', () => {
    expect(() =>
      createSerde({ format: 'json', wireFormat: 'plain', schemaId: 1 }).write(1n, Buffer.alloc(64), 0),
    ).toThrow();
    expect(() =>
      createSerde({ format: 'json', wireFormat: 'plain', schemaId: 1 }).write(() => 1, Buffer.alloc(64), 0),
    ).toThrow(/function/);
    expect(() =>
      createSerde({ format: 'raw', wireFormat: 'plain', schemaId: 1 }).write(7, Buffer.alloc(64), 0),
    ).toThrow(/raw output/);
  });
});
