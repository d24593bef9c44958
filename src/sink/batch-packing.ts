/**
 * Packs outbound messages for the native produce call (src/kafka/native-batch.ts): one number
 * array describing every message (PRODUCE_FIELDS each), the byte sources keys and values already
 * lie in (no copy: a field names its source and an offset), and the headers written once into a
 * reused scratch buffer. It also keeps each produced message under its token until its delivery
 * report hands the token back.
 */
import type Kafka from 'node-rdkafka';
import { PRODUCE_FIELDS } from '../kafka/native-batch.js';

/** What packing reads of an outbound message (the sink's M has these and more). */
export interface PackableMessage {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly Kafka.MessageHeader[];
}

export interface PackedBatch {
  topics: string[];
  parts: Array<ArrayBuffer | ArrayBufferView>;
  meta: Float64Array;
  count: number;
  /** The token of the first message; the others follow in order. */
  firstToken: number;
}

export class BatchPacking<M extends PackableMessage> {
  private meta = new Float64Array(1024 * PRODUCE_FIELDS);
  private headerBytes = Buffer.allocUnsafe(64 * 1024);
  private readonly messages = new Map<number, M>();
  private nextToken = 1;

  /** Produced and not yet reported. */
  get size(): number {
    return this.messages.size;
  }

  /**
   * Describes messages[from..] and registers each under a new token. The returned arrays are
   * reused by the next call (the native side copies what it needs before returning).
   */
  pack(messages: readonly M[], from: number): PackedBatch {
    const count = messages.length - from;
    if (this.meta.length < count * PRODUCE_FIELDS) this.meta = new Float64Array(count * PRODUCE_FIELDS * 2);
    const meta = this.meta;
    const topics: string[] = [];
    const topicIndex = new Map<string, number>();
    const parts: Array<ArrayBuffer | ArrayBufferView> = [];
    const partIndex = new Map<ArrayBufferLike, number>();
    const source = (bytes: Buffer): number => {
      const buffer = bytes.buffer;
      let index = partIndex.get(buffer);
      if (index === undefined) {
        index = parts.length;
        partIndex.set(buffer, index);
        // A view of the whole buffer: offsets below are the bytes' offsets in it.
        parts.push(new Uint8Array(buffer));
      }
      return index;
    };
    const firstToken = this.nextToken;
    let headerAt = 0;
    for (let i = 0; i < count; i++) {
      const m = messages[from + i]!;
      const f = i * PRODUCE_FIELDS;
      let t = topicIndex.get(m.topic);
      if (t === undefined) {
        t = topics.length;
        topicIndex.set(m.topic, t);
        topics.push(m.topic);
      }
      meta[f] = t;
      meta[f + 1] = m.partition;
      this.describe(meta, f + 2, m.key, source);
      this.describe(meta, f + 5, m.value, source);
      meta[f + 8] = -1;
      meta[f + 9] = headerAt;
      meta[f + 10] = 0;
      if (m.headers.length > 0) {
        const written = this.writeHeaders(m.headers, headerAt);
        headerAt = written.end;
        meta[f + 10] = written.count;
      }
      const token = this.nextToken++;
      meta[f + 11] = token;
      this.messages.set(token, m);
    }
    if (headerAt > 0) {
      const headerPart = parts.length;
      parts.push(this.headerBytes);
      for (let i = 0; i < count; i++) if (meta[i * PRODUCE_FIELDS + 10]! > 0) meta[i * PRODUCE_FIELDS + 8] = headerPart;
    }
    return { topics, parts, meta, count, firstToken };
  }

  private describe(meta: Float64Array, at: number, bytes: Buffer | null, source: (b: Buffer) => number): void {
    if (bytes === null) {
      meta[at] = -1;
      meta[at + 1] = 0;
      meta[at + 2] = 0;
      return;
    }
    meta[at] = source(bytes);
    meta[at + 1] = bytes.byteOffset;
    meta[at + 2] = bytes.byteLength;
  }

  /** Writes headers as u32 name length, name, i32 value length, value (little-endian). */
  private writeHeaders(headers: readonly Kafka.MessageHeader[], at: number): { end: number; count: number } {
    let count = 0;
    for (const header of headers) {
      for (const name in header) {
        const value = header[name]!;
        const room = 8 + name.length * 3 + (typeof value === 'string' ? value.length * 3 : value.byteLength);
        if (at + room > this.headerBytes.length) this.grow(at + room);
        const bytes = this.headerBytes;
        const nameLength = bytes.write(name, at + 4, 'utf8');
        bytes.writeUInt32LE(nameLength, at);
        at += 4 + nameLength;
        let valueLength: number;
        if (typeof value === 'string') valueLength = bytes.write(value, at + 4, 'utf8');
        else valueLength = value.copy(bytes, at + 4);
        bytes.writeInt32LE(valueLength, at);
        at += 4 + valueLength;
        count++;
      }
    }
    return { end: at, count };
  }

  private grow(needed: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(needed, this.headerBytes.length * 2));
    this.headerBytes.copy(bigger);
    this.headerBytes = bigger;
  }

  /** Only the first `queued` messages of a packed batch were produced: the others' tokens are released. */
  release(batch: PackedBatch, queued: number): void {
    for (let i = queued; i < batch.count; i++) this.messages.delete(batch.firstToken + i);
  }

  /** The message a delivery report's token names, removed from the registry. */
  take(token: number): M | undefined {
    const m = this.messages.get(token);
    if (m !== undefined) this.messages.delete(token);
    return m;
  }

  /** Forgets every registered message (their producer was replaced). */
  clear(): void {
    this.messages.clear();
  }
}
