/**
 * Packs batches into one ArrayBuffer each way, so a batch crosses the thread boundary as a
 * transfer (Piscina.move / transferList) instead of a structured clone of many Buffers
 * (FACTS.md: ~3× the messages/s). Layout, little-endian, sequential:
 *
 *   input:  u32 count, then per record:
 *           f64 offset, f64 timestamp, i32 keyLen (-1 = null), i32 valueLen (-1 = null),
 *           u32 headerCount, key, value, headers (u32 nameLen, name, i32 valueLen, value)*
 *   output: u32 inputCount, then per input: u32 outputCount, then per output:
 *           i32 topicLen (-1 = default topic), topic, i32 keyLen, key, i32 valueLen, value,
 *           u32 headerCount, headers as above
 */

export interface PackableRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ReadonlyArray<Readonly<Record<string, Uint8Array | string>>> | undefined;
}

export interface UnpackedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

export interface EncodedOutput {
  topic: string | null;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

const textEncoder = new TextEncoder();

function headerBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? textEncoder.encode(value) : value;
}

class Writer {
  readonly buffer: ArrayBuffer;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buffer = new ArrayBuffer(size);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  i32(v: number): void {
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  f64(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  blob(b: Uint8Array | null): void {
    if (b === null) {
      this.i32(-1);
      return;
    }
    this.i32(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.u32(n);
    Buffer.from(this.buffer, this.pos, n).write(s, 'utf8');
    this.pos += n;
  }
}

class Reader {
  readonly view: DataView;
  readonly buffer: ArrayBuffer;
  pos = 0;
  constructor(buffer: ArrayBuffer) {
    this.buffer = buffer;
    this.view = new DataView(buffer);
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A view into the transferred buffer, not a copy. */
  blob(): Buffer | null {
    const n = this.i32();
    if (n < 0) return null;
    const b = Buffer.from(this.buffer, this.pos, n);
    this.pos += n;
    return b;
  }
  str(): string {
    const n = this.u32();
    const s = Buffer.from(this.buffer, this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }
}

function headersSize(headers: PackableRecord['headers']): number {
  let size = 0;
  if (!headers) return 0;
  for (const h of headers) {
    for (const name in h) size += 8 + Buffer.byteLength(name) + headerBytes(h[name]!).length;
  }
  return size;
}

export function packInput(records: ReadonlyArray<PackableRecord>): ArrayBuffer {
  let size = 4;
  for (const r of records) {
    size += 28 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + headersSize(r.headers);
  }
  const w = new Writer(size);
  w.u32(records.length);
  for (const r of records) {
    w.f64(r.offset);
    w.f64(r.timestamp);
    let headerCount = 0;
    if (r.headers) for (const h of r.headers) headerCount += Object.keys(h).length;
    // keyLen and valueLen are written by blob(); keep the documented field order.
    w.blob(r.key);
    w.blob(r.value);
    w.u32(headerCount);
    if (r.headers) {
      for (const h of r.headers) {
        for (const name in h) {
          w.str(name);
          w.blob(headerBytes(h[name]!));
        }
      }
    }
  }
  if (w.pos !== size) throw new Error(`codec: packed ${w.pos} bytes, expected ${size}`);
  return w.buffer;
}

export function unpackInput(buffer: ArrayBuffer): UnpackedRecord[] {
  const r = new Reader(buffer);
  const count = r.u32();
  const out: UnpackedRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const offset = r.f64();
    const timestamp = r.f64();
    const key = r.blob();
    const value = r.blob();
    const headerCount = r.u32();
    const headers: Record<string, Buffer> = {};
    for (let h = 0; h < headerCount; h++) {
      const name = r.str();
      headers[name] = r.blob() ?? Buffer.alloc(0);
    }
    out[i] = { offset, timestamp, key, value, headers };
  }
  return out;
}

export function packOutput(perInput: ReadonlyArray<ReadonlyArray<EncodedOutput>>): ArrayBuffer {
  let size = 4;
  for (const outputs of perInput) {
    size += 4;
    for (const o of outputs) {
      size += 4 + (o.topic === null ? 0 : Buffer.byteLength(o.topic));
      size += 4 + (o.key?.length ?? 0) + 4 + (o.value?.length ?? 0) + 4;
      for (const [name, value] of o.headers) size += 8 + Buffer.byteLength(name) + value.length;
    }
  }
  const w = new Writer(size);
  w.u32(perInput.length);
  for (const outputs of perInput) {
    w.u32(outputs.length);
    for (const o of outputs) {
      if (o.topic === null) w.i32(-1);
      else {
        w.i32(Buffer.byteLength(o.topic));
        w.pos -= 4;
        w.str(o.topic);
      }
      w.blob(o.key);
      w.blob(o.value);
      w.u32(o.headers.length);
      for (const [name, value] of o.headers) {
        w.str(name);
        w.blob(value);
      }
    }
  }
  if (w.pos !== size) throw new Error(`codec: packed ${w.pos} bytes, expected ${size}`);
  return w.buffer;
}

export function unpackOutput(buffer: ArrayBuffer): EncodedOutput[][] {
  const r = new Reader(buffer);
  const inputs = r.u32();
  const out: EncodedOutput[][] = new Array(inputs);
  for (let i = 0; i < inputs; i++) {
    const n = r.u32();
    const outputs: EncodedOutput[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const topicLen = r.i32();
      let topic: string | null = null;
      if (topicLen >= 0) {
        r.pos -= 4;
        topic = r.str();
      }
      const key = r.blob();
      const value = r.blob();
      const headerCount = r.u32();
      const headers: Array<[string, Buffer]> = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) headers[h] = [r.str(), r.blob() ?? Buffer.alloc(0)];
      outputs[j] = { topic, key, value, headers };
    }
    out[i] = outputs;
  }
  return out;
}
