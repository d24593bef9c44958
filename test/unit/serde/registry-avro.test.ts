import avro from 'avsc';
import { RegistryAvroDecoder, SchemaIdUnknownError } from '../../../src/serde/registry-avro.js';

const v1 = {
  type: 'record',
  name: 'R',
  fields: [
    { name: 'a', type: 'int' },
    { name: 'gone', type: 'string' },
  ],
};
const v2 = {
  type: 'record',
  name: 'R',
  fields: [
    { name: 'a', type: 'long' },
    { name: 'b', type: 'string', default: 'dflt' },
  ],
};
const reader = avro.Type.forSchema({
  type: 'record',
  name: 'R',
  fields: [
    { name: 'a', type: 'double' },
    { name: 'b', type: 'string', default: 'dflt' },
  ],
} as avro.Schema);

function framed(id: number, schema: object, value: unknown): Buffer {
  const body = avro.Type.forSchema(schema as avro.Schema).toBuffer(value);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
}

describe('RegistryAvroDecoder', () => {
  it('resolves each writer schema to the reader schema', () => {
    const decoder = new RegistryAvroDecoder(reader);
    decoder.addWriterSchemas([
      [1, JSON.stringify(v1)],
      [2, JSON.stringify(v2)],
    ]);
    expect(decoder.decode(framed(1, v1, { a: 3, gone: 'x' }))).toEqual({ a: 3, b: 'dflt' });
    expect(decoder.decode(framed(2, v2, { a: 4, b: 'kept' }))).toEqual({ a: 4, b: 'kept' });
    expect(decoder.size).toBe(2);
    // Built decoders are kept: the texts need not come again.
    decoder.addWriterSchemas(undefined);
    expect(decoder.decode(framed(1, v1, { a: 5, gone: '' }))).toEqual({ a: 5, b: 'dflt' });
    expect(decoder.decode(null)).toBeNull();
  });

  it('decodes with the writer schema when there is no reader schema', () => {
    const decoder = new RegistryAvroDecoder(undefined);
    decoder.addWriterSchemas([[1, JSON.stringify(v1)]]);
    expect(decoder.decode(framed(1, v1, { a: 3, gone: 'x' }))).toEqual({ a: 3, gone: 'x' });
  });

  it('throws SCHEMA_ID_UNKNOWN for an id the registry does not know', () => {
    const decoder = new RegistryAvroDecoder(reader);
    decoder.addWriterSchemas([[9, null]]);
    let thrown: unknown;
    try {
      decoder.decode(framed(9, v1, { a: 1, gone: '' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SchemaIdUnknownError);
    expect((thrown as SchemaIdUnknownError).code).toBe('SCHEMA_ID_UNKNOWN');
    expect((thrown as Error).message).toContain('9');
  });

  it('fails plainly for a missing header, an unsent id, a non-Avro schema and an unreadable writer', () => {
    const decoder = new RegistryAvroDecoder(reader);
    expect(() => decoder.decode(Buffer.from('{}'))).toThrow('missing Confluent wire-format header');
    expect(() => decoder.decode(framed(3, v1, { a: 1, gone: '' }))).toThrow('no writer schema was sent');
    decoder.addWriterSchemas([
      [4, 'syntax = "proto3";'],
      [5, JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] })],
    ]);
    expect(() => decoder.decode(framed(4, v1, { a: 1, gone: '' }))).toThrow('not an Avro schema');
    expect(() =>
      decoder.decode(framed(5, { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] }, { a: 'x' })),
    ).toThrow('cannot be read with the reader schema');
  });
});
