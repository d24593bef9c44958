/**
 * Record generators for `turbine loadgen`: key pickers (uniform or Zipf over `key-<n>`) and
 * value generators (json stock movements, Avro stock movements in the Confluent wire format,
 * random bytes, review texts; images come from loadgen-images.ts, which needs an async start).
 * They sit on the per-record path, so they allocate as little as possible.
 * Reusing one output Buffer is safe because node-rdkafka produces with RK_MSG_COPY
 * (src/producer.cc): librdkafka copies key and value before produce() returns.
 */
import { randomFillSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { errorMessage, TurbineError } from '../errors.js';
import type { RecordFormat } from '../types.js';
import { ReviewTexts } from './loadgen-text.js';

export type KeyDistribution = 'uniform' | 'zipf';
/** The record formats plus generated workloads: images (raw bytes) and review texts (json). */
export type LoadgenFormat = RecordFormat | 'image' | 'text';

/** Zipf exponent: s = 1 is the classic "the n-th most popular key is n times rarer" skew. */
const ZIPF_EXPONENT = 1;

export interface KeyPicker {
  /** Index n of the next key, from 0 to keys - 1. */
  next(): number;
  /** The key bytes `key-<n>`, built once per key. */
  bytes(index: number): Buffer;
}

export function createKeyPicker(keys: number, distribution: KeyDistribution): KeyPicker {
  const cache: Array<Buffer | undefined> = new Array(keys);
  const bytes = (index: number): Buffer => {
    let key = cache[index];
    if (key === undefined) {
      key = Buffer.from(`key-${index}`, 'latin1');
      cache[index] = key;
    }
    return key;
  };
  if (distribution === 'uniform') {
    return { next: () => Math.floor(Math.random() * keys), bytes };
  }
  // Cumulative weights 1/(n+1)^s; a draw is a binary search for a uniform point in [0, total).
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let n = 0; n < keys; n++) {
    total += 1 / (n + 1) ** ZIPF_EXPONENT;
    cumulative[n] = total;
  }
  return {
    next() {
      const point = Math.random() * total;
      let low = 0;
      let high = keys - 1;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (cumulative[middle]! <= point) low = middle + 1;
        else high = middle;
      }
      return low;
    },
    bytes,
  };
}

export interface ValueGenerator {
  /** The value of record `seq` for key index `keyIndex`; valid until the next call. */
  next(seq: number, keyIndex: number, timestampMs: number): Buffer;
  /** Values made corrupt on purpose so far (--corrupt-rate); absent when the format has none. */
  readonly corrupted?: number;
}

const WAREHOUSES = 4;
const DELTA_MIN = -20;
const DELTA_SPAN = 51; // -20 .. 30 inclusive

export interface ValueOptions {
  /** Every format but image (createImageValues in loadgen-images.ts). */
  format: Exclude<LoadgenFormat, 'image'>;
  valueSize: number;
  /** Avro only: the StockMovement schema file; defaults to workers/schemas/stock-movement.avsc. */
  schemaPath?: string | undefined;
  /** Avro only: the id written in the Confluent header (the registry's, or 1). */
  schemaId?: number | undefined;
  /** Text only: the generator's seed (default 1). */
  seed?: number;
  /** Text only: share of values cut short (default 0). */
  corruptRate?: number;
}

export function createValueGenerator(options: ValueOptions): ValueGenerator {
  switch (options.format) {
    case 'text':
      return new ReviewTexts(options.seed ?? 1, options.corruptRate ?? 0);
    case 'json':
      return new JsonStockMovements(options.valueSize);
    case 'avro':
      return new AvroStockMovements(options.valueSize, loadStockMovementType(options.schemaPath), options.schemaId);
    case 'raw':
      return new RandomBytes(options.valueSize);
  }
}

/** Longest head: 7-digit sku, 3-char delta, 16-digit seq and timestamp, plus the field names. */
const JSON_HEAD_MAX = 128;
const PAD_BYTE = 0x78; // 'x'

const asciiBytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const SKU_FIELD = asciiBytes('{"sku":"SKU-');
const WAREHOUSE_FIELD = asciiBytes('","warehouse":"WH-');
const DELTA_FIELD = asciiBytes('","delta":');
const SEQ_FIELD = asciiBytes(',"seq":');
const TS_FIELD = asciiBytes(',"ts":');
const PAD_FIELD = asciiBytes(',"pad":"');
const CLOSE = asciiBytes('"}');

function putBytes(target: Uint8Array, at: number, bytes: Uint8Array, length = bytes.length): number {
  for (let index = 0; index < length; index++) target[at + index] = bytes[index]!;
  return at + length;
}

/** Writes an integer in decimal ASCII; returns the position after it. */
function putDecimal(target: Uint8Array, at: number, value: number): number {
  let position = at;
  let rest = value;
  if (rest < 0) {
    target[position++] = 0x2d; // '-'
    rest = -rest;
  }
  // Small integers take the int32 path (| 0), which is cheaper than floating-point Math.floor.
  const small = rest < 2_147_483_648;
  let digits = 1;
  for (let probe = rest; probe >= 10; probe = small ? (probe / 10) | 0 : Math.floor(probe / 10)) digits++;
  for (let index = position + digits - 1; index >= position; index--) {
    const quotient = small ? (rest / 10) | 0 : Math.floor(rest / 10);
    target[index] = 0x30 + rest - quotient * 10;
    rest = quotient;
  }
  return position + digits;
}

/**
 * JSON stock movements of exactly `valueSize` bytes when the fields fit (else the bare object).
 * The fields are written as bytes straight into one buffer pre-filled with the pad character,
 * so a record costs no string building or encoding: only the changing head is rewritten, and
 * the bytes a longer previous head left behind are re-padded.
 */
class JsonStockMovements implements ValueGenerator {
  private readonly scratch: Buffer;
  private readonly padded: Buffer;
  /** End of the bytes written last; bytes after the current head up to it need re-padding. */
  private previousEnd = 0;
  /** The timestamp changes once per burst: its 13 digits are formatted once and copied. */
  private timestamp = -1;
  private readonly timestampDigits = new Uint8Array(24);
  private timestampLength = 0;

  constructor(private readonly valueSize: number) {
    this.scratch = Buffer.alloc(Math.max(valueSize, JSON_HEAD_MAX), PAD_BYTE);
    this.padded = this.scratch.subarray(0, valueSize);
    if (valueSize >= CLOSE.length) putBytes(this.scratch, valueSize - CLOSE.length, CLOSE);
  }

  next(seq: number, keyIndex: number, timestampMs: number): Buffer {
    const target = this.scratch;
    let at = putBytes(target, 0, SKU_FIELD);
    at = putDecimal(target, at, keyIndex);
    at = putBytes(target, at, WAREHOUSE_FIELD);
    target[at++] = 0x31 + Math.floor(Math.random() * WAREHOUSES); // '1' .. '4'
    at = putBytes(target, at, DELTA_FIELD);
    at = putDecimal(target, at, DELTA_MIN + Math.floor(Math.random() * DELTA_SPAN));
    at = putBytes(target, at, SEQ_FIELD);
    at = putDecimal(target, at, seq);
    at = putBytes(target, at, TS_FIELD);
    if (timestampMs !== this.timestamp) {
      this.timestamp = timestampMs;
      this.timestampLength = putDecimal(this.timestampDigits, 0, timestampMs);
    }
    at = putBytes(target, at, this.timestampDigits, this.timestampLength);
    at = putBytes(target, at, PAD_FIELD);
    const closeAt = this.valueSize - CLOSE.length;
    if (at <= closeAt) {
      if (this.previousEnd > at) target.fill(PAD_BYTE, at, Math.min(this.previousEnd, closeAt));
      // A previous record too long to pad overwrote the closing bytes: put them back.
      if (this.previousEnd > closeAt) putBytes(target, closeAt, CLOSE);
      this.previousEnd = at;
      return this.padded;
    }
    // Too small to pad: close the object right after the head.
    const end = putBytes(target, at, CLOSE);
    this.previousEnd = end;
    return target.subarray(0, end);
  }
}

/** Confluent wire format header: magic byte 0, then the schema id as a 4-byte big-endian int. */
const CONFLUENT_HEADER_BYTES = 5;
const SCHEMA_ID = 1;

interface StockMovement {
  sku: string;
  warehouse: string;
  delta: number;
  seq: number;
  ts: number;
  pad: string;
}

class AvroStockMovements implements ValueGenerator {
  private readonly buffer: Buffer;
  /** One record object, mutated per call: encode() is synchronous, so nothing else sees it. */
  private readonly record: StockMovement;
  private readonly warehouses = Array.from({ length: WAREHOUSES }, (_, index) => `WH-${index + 1}`);

  constructor(
    valueSize: number,
    private readonly type: avro.Type,
    schemaId = SCHEMA_ID,
  ) {
    this.record = { sku: 'SKU-0', warehouse: 'WH-1', delta: 0, seq: 0, ts: Date.now(), pad: '' };
    // Size the pad from a typical record; varint lengths make the result "about" valueSize.
    const bare = CONFLUENT_HEADER_BYTES + type.toBuffer(this.record).length;
    this.record.pad = 'x'.repeat(Math.max(0, valueSize - bare - 2));
    this.buffer = Buffer.alloc(bare + this.record.pad.length + 64);
    this.buffer.writeUInt8(0, 0);
    this.buffer.writeUInt32BE(schemaId, 1);
  }

  next(seq: number, keyIndex: number, timestampMs: number): Buffer {
    const record = this.record;
    record.sku = `SKU-${keyIndex}`;
    record.warehouse = this.warehouses[Math.floor(Math.random() * WAREHOUSES)]!;
    record.delta = DELTA_MIN + Math.floor(Math.random() * DELTA_SPAN);
    record.seq = seq;
    record.ts = timestampMs;
    const end = this.type.encode(record, this.buffer, CONFLUENT_HEADER_BYTES);
    if (end < 0) {
      // avsc returns a negative position when the buffer was too small (a very long sku).
      return Buffer.concat([this.buffer.subarray(0, CONFLUENT_HEADER_BYTES), this.type.toBuffer(record)]);
    }
    return this.buffer.subarray(0, end);
  }
}

/** Cycles through a few pre-filled random buffers instead of drawing random bytes per record. */
class RandomBytes implements ValueGenerator {
  private readonly pool: Buffer[];
  private index = 0;

  constructor(valueSize: number) {
    const count = Math.max(1, Math.min(256, Math.floor((16 * 1024 * 1024) / Math.max(1, valueSize))));
    this.pool = Array.from({ length: count }, () => randomFillSync(Buffer.allocUnsafe(valueSize)));
  }

  next(): Buffer {
    this.index = this.index + 1 === this.pool.length ? 0 : this.index + 1;
    return this.pool[this.index]!;
  }
}

const SCHEMA_FILE = path.join('workers', 'schemas', 'stock-movement.avsc');

/** Finds the bundled schema from src/cli (ts) or dist/src/cli (compiled) by walking up. */
export function defaultSchemaPath(): string {
  let directory = __dirname;
  for (let depth = 0; depth < 5; depth++) {
    const candidate = path.join(directory, SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    directory = path.dirname(directory);
  }
  return path.resolve(SCHEMA_FILE);
}

export function loadStockMovementType(schemaPath: string = defaultSchemaPath()): avro.Type {
  try {
    return avro.Type.forSchema(JSON.parse(readFileSync(schemaPath, 'utf8')) as avro.Schema);
  } catch (error) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--schema ${schemaPath} is not a readable Avro schema: ${errorMessage(error)}`,
      {
        cause: error,
        details: { flag: 'schema', value: schemaPath },
      },
    );
  }
}
