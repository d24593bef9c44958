/**
 * Avro input decoded with the writer schema of each record, run inside worker threads. Each
 * value carries its writer schema's registry id in its Confluent header; the main thread sends
 * the schema texts a batch needs with the batch (registry/writer-schemas.ts). A decoder is built
 * once per id and kept for the thread's life: with a reader schema (inputSchema) it is an avsc
 * resolver from the writer to the reader schema (Avro schema evolution: fields added with a
 * default, removed, promoted types), without one the writer schema itself.
 */
import avro from 'avsc';
import type { WriterSchemas } from '../dispatch/task.js';
import { CONFLUENT_HEADER_BYTES, schemaIdOf } from '../registry/wire-format.js';

/** A decode failure with a code of its own, which the worker runtime reports instead of DECODE_ERROR. */
export class SchemaIdUnknownError extends Error {
  readonly code = 'SCHEMA_ID_UNKNOWN';
}

type Decode = (body: Buffer) => unknown;

export class RegistryAvroDecoder {
  private readonly decoders = new Map<number, Decode>();
  /** Schema texts received with tasks, not built yet; null = unknown to the registry. */
  private readonly texts = new Map<number, string | null>();

  /** @param reader the reader schema's type (inputSchema), or undefined to read as written. */
  constructor(private readonly reader: avro.Type | undefined) {}

  /** Takes the writer schemas sent with a task part; ids already built are skipped. */
  addWriterSchemas(schemas: WriterSchemas | undefined): void {
    if (!schemas) return;
    for (const [id, text] of schemas) if (!this.decoders.has(id)) this.texts.set(id, text);
  }

  decode(bytes: Buffer | null): unknown {
    if (bytes === null) return null;
    const id = schemaIdOf(bytes);
    if (id === -1) throw new Error('missing Confluent wire-format header (magic byte 0 and a 4-byte schema id)');
    const decode = this.decoders.get(id) ?? this.build(id);
    return decode(bytes.subarray(CONFLUENT_HEADER_BYTES));
  }

  /** Decoders built so far (one per writer schema id). */
  get size(): number {
    return this.decoders.size;
  }

  private build(id: number): Decode {
    const text = this.texts.get(id);
    if (text === undefined) {
      // The main thread sends every id of the batch; reaching this means the two disagree.
      throw new Error(`schema id ${id}: no writer schema was sent with the batch`);
    }
    if (text === null) throw new SchemaIdUnknownError(`schema id ${id} is not known to the schema registry`);
    let writer: avro.Type;
    try {
      writer = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
    } catch (error) {
      throw new Error(`writer schema id ${id} is not an Avro schema avsc accepts: ${(error as Error).message}`);
    }
    let decode: Decode;
    const reader = this.reader;
    if (reader === undefined) decode = (body) => writer.fromBuffer(body);
    else {
      let resolver: avro.Resolver;
      try {
        resolver = reader.createResolver(writer);
      } catch (error) {
        throw new Error(
          `writer schema id ${id} cannot be read with the reader schema (inputSchema): ${(error as Error).message}`,
        );
      }
      decode = (body) => reader.fromBuffer(body, resolver);
    }
    this.decoders.set(id, decode);
    this.texts.delete(id);
    return decode;
  }
}
