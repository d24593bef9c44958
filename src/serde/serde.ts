/**
 * Value codecs, run inside worker threads: json, raw bytes, and Avro (plain or with the
 * Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body).
 * Null values (tombstones) decode to null and encode to null in every format.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { WriterSchemas } from '../dispatch/task.js';
import type { RecordFormat } from '../types.js';
import { RegistryAvroDecoder } from './registry-avro.js';

export interface ValueSerde {
  decode(bytes: Buffer | null): unknown;
  encode(value: unknown): Buffer | null;
  /**
   * Encodes a non-null value straight into `target` at `at` (the worker's output buffer, see
   * OutputPacker in dispatch/codec.ts): returns where it ended, or a negative number when target
   * is too short (the caller grows it and calls again). Throws as encode() does.
   */
  write(value: unknown, target: Buffer, at: number): number;
  /** Registry-framed Avro input: takes the writer schemas sent with a task part, before its records are decoded. */
  addWriterSchemas?(schemas: WriterSchemas | undefined): void;
}

export interface SerdeOptions {
  format: RecordFormat;
  schemaPath?: string | undefined;
  wireFormat: 'confluent' | 'plain';
  /** Schema id written in the Confluent header on encode. */
  schemaId: number;
  /**
   * Decode with each record's writer schema from the registry (sent with the tasks), resolved to
   * the schema file when one is given. Confluent wire format only; decoding only.
   */
  registry?: boolean | undefined;
}

/** Writes UTF-8 text at `at`; -1 when it may not fit (at most 3 bytes per UTF-16 unit). */
function writeText(text: string, target: Buffer, at: number): number {
  if (at + text.length * 3 > target.length && at + Buffer.byteLength(text) > target.length) return -1;
  return at + target.write(text, at, 'utf8');
}

const json: ValueSerde = {
  decode: (bytes) => (bytes === null ? null : JSON.parse(bytes.toString('utf8'))),
  encode: (value) => (value === null || value === undefined ? null : Buffer.from(JSON.stringify(value), 'utf8')),
  write: (value, target, at) => {
    const text = JSON.stringify(value) as string | undefined;
    // A function or symbol stringifies to undefined: there is no JSON for it.
    if (text === undefined) throw new TypeError(`cannot encode a ${typeof value} as JSON`);
    return writeText(text, target, at);
  },
};

function rawBytes(value: unknown): Uint8Array | string {
  if (value instanceof Uint8Array || typeof value === 'string') return value;
  throw new TypeError(`raw output values must be Buffer, Uint8Array or string, got ${typeof value}`);
}

const raw: ValueSerde = {
  decode: (bytes) => bytes,
  encode: (value) => {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    throw new TypeError(`raw output values must be Buffer, Uint8Array or string, got ${typeof value}`);
  },
  write: (value, target, at) => {
    const bytes = rawBytes(value);
    if (typeof bytes === 'string') return writeText(bytes, target, at);
    if (at + bytes.length > target.length) return -1;
    target.set(bytes, at);
    return at + bytes.length;
  },
};

export function loadAvroType(schemaPath: string): avro.Type {
  const schema: unknown = JSON.parse(readFileSync(schemaPath, 'utf8'));
  return avro.Type.forSchema(schema as avro.Schema);
}

function avroSerde(type: avro.Type, wireFormat: 'confluent' | 'plain', schemaId: number): ValueSerde {
  if (wireFormat === 'plain') {
    return {
      decode: (bytes) => (bytes === null ? null : type.fromBuffer(bytes)),
      encode: (value) => (value === null || value === undefined ? null : type.toBuffer(value)),
      // avsc returns a negative end (the bytes missing) when the target is short.
      write: (value, target, at) => type.encode(value, target, at),
    };
  }
  return {
    decode(bytes) {
      if (bytes === null) return null;
      if (bytes.length < 5 || bytes[0] !== 0) {
        throw new Error('missing Confluent wire-format header (magic byte 0 and a 4-byte schema id)');
      }
      return type.fromBuffer(bytes.subarray(5));
    },
    encode(value) {
      if (value === null || value === undefined) return null;
      const body = type.toBuffer(value);
      const out = Buffer.allocUnsafe(5 + body.length);
      out[0] = 0;
      out.writeUInt32BE(schemaId, 1);
      body.copy(out, 5);
      return out;
    },
    write(value, target, at) {
      if (at + 5 > target.length) return -1;
      target[at] = 0;
      target.writeUInt32BE(schemaId, at + 1);
      return type.encode(value, target, at + 5);
    },
  };
}

function registryAvroSerde(readerSchemaPath: string | undefined): ValueSerde {
  const decoder = new RegistryAvroDecoder(readerSchemaPath ? loadAvroType(readerSchemaPath) : undefined);
  return {
    decode: (bytes) => decoder.decode(bytes),
    encode: () => {
      throw new Error('the registry avro serde decodes input only');
    },
    write: () => {
      throw new Error('the registry avro serde decodes input only');
    },
    addWriterSchemas: (schemas) => decoder.addWriterSchemas(schemas),
  };
}

export function createSerde(options: SerdeOptions): ValueSerde {
  switch (options.format) {
    case 'json':
      return json;
    case 'raw':
      return raw;
    case 'avro': {
      if (options.registry) return registryAvroSerde(options.schemaPath);
      if (!options.schemaPath) throw new Error('avro format needs a schema file');
      return avroSerde(loadAvroType(options.schemaPath), options.wireFormat, options.schemaId);
    }
  }
}
