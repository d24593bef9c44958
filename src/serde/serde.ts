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

const json: ValueSerde = {
  decode: (bytes) => (bytes === null ? null : JSON.parse(bytes.toString('utf8'))),
  encode: (value) => (value === null || value === undefined ? null : Buffer.from(JSON.stringify(value), 'utf8')),
};

const raw: ValueSerde = {
  decode: (bytes) => bytes,
  encode: (value) => {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    throw new TypeError(`raw output values must be Buffer, Uint8Array or string, got ${typeof value}`);
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
  };
}

function registryAvroSerde(readerSchemaPath: string | undefined): ValueSerde {
  const decoder = new RegistryAvroDecoder(readerSchemaPath ? loadAvroType(readerSchemaPath) : undefined);
  return {
    decode: (bytes) => decoder.decode(bytes),
    encode: () => {
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
