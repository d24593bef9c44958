import { schemaIdOf, schemaIdsOf } from '../../../src/registry/wire-format.js';

const framed = (id: number, body = [2, 4]) => {
  const b = Buffer.alloc(5 + body.length);
  b.writeUInt32BE(id, 1);
  Buffer.from(body).copy(b, 5);
  return b;
};

describe('schemaIdOf', () => {
  it('reads the big-endian id after magic byte 0', () => {
    expect(schemaIdOf(framed(1))).toBe(1);
    expect(schemaIdOf(framed(0x01020304))).toBe(0x01020304);
    expect(schemaIdOf(framed(0xffffffff))).toBe(0xffffffff);
  });
  it('is -1 for null, short values and a wrong magic byte', () => {
    expect(schemaIdOf(null)).toBe(-1);
    expect(schemaIdOf(Buffer.from([0, 0, 0, 1]))).toBe(-1);
    expect(schemaIdOf(Buffer.from('{"sku":"x"}'))).toBe(-1);
  });
  it('accepts a header with an empty body (an Avro record with no fields)', () => {
    expect(schemaIdOf(framed(7, []))).toBe(7);
  });
});

describe('schemaIdsOf', () => {
  it('lists distinct ids in first-seen order and skips unframed values', () => {
    const records = [framed(3), framed(3), framed(1), { toString: () => '' } as never, framed(3), framed(2)].map(
      (value) => ({ value: Buffer.isBuffer(value) ? value : null }),
    );
    expect(schemaIdsOf(records)).toEqual([3, 1, 2]);
    expect(schemaIdsOf([])).toEqual([]);
  });
});
