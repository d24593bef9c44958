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

/**
 * Writes the output layout while the worker encodes, so each value is encoded straight into the
 * one buffer that is transferred back (no Buffer per value, no second copy). The buffer starts at
 * a size hint and doubles when short; bytes past the end are left unused (the reader stops at
 * its counts), since moving the buffer costs the same whatever its size.
 */
export class OutputPacker {
  private buffer: ArrayBuffer;
  private bytes: Buffer;
  private view: DataView;
  private pos = 0;
  /** Where the current input's outputs start (its count), for abandonInput(). */
  private inputStart = 0;
  private inputOutputs = 0;

  constructor(inputs: number, sizeHint = 1024) {
    this.buffer = new ArrayBuffer(Math.max(64, sizeHint));
    this.bytes = Buffer.from(this.buffer);
    this.view = new DataView(this.buffer);
    this.u32(inputs);
  }

  /** Starts the next input's list of outputs. */
  beginInput(): void {
    this.inputStart = this.pos;
    this.inputOutputs = 0;
    this.u32(0);
  }

  /** Forgets what was written for the current input since beginInput (its encoding failed): it has no outputs. */
  abandonInput(): void {
    this.pos = this.inputStart;
    this.u32(0);
    this.inputOutputs = 0;
  }

  /**
   * One output of the current input. `writeValue` encodes a non-null value at `at` of `target`
   * and returns where it ended, or a negative number when target is too short (then it is called
   * again with a bigger one).
   */
  output(
    topic: string | null,
    key: Uint8Array | string | null,
    value: unknown,
    writeValue: (value: unknown, target: Buffer, at: number) => number,
    headers: ReadonlyArray<readonly [string, Uint8Array | string]>,
  ): void {
    this.view.setUint32(this.inputStart, ++this.inputOutputs, true);
    if (topic === null) this.i32(-1);
    else this.text(topic);
    if (typeof key === 'string') this.text(key);
    else this.blob(key);
    if (value === null || value === undefined) this.i32(-1);
    else {
      for (;;) {
        const end = writeValue(value, this.bytes, this.pos + 4);
        if (end >= 0) {
          this.view.setInt32(this.pos, end - this.pos - 4, true);
          this.pos = end;
          break;
        }
        this.grow(this.bytes.length - this.pos + 4 - end);
      }
    }
    this.u32(headers.length);
    for (const [name, v] of headers) {
      this.text(name);
      if (typeof v === 'string') this.text(v);
      else this.blob(v);
    }
  }

  finish(): ArrayBuffer {
    return this.buffer;
  }

  private grow(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    const next = new ArrayBuffer(Math.max(this.bytes.length * 2, this.pos + extra + 1024));
    new Uint8Array(next).set(this.bytes.subarray(0, this.pos));
    this.buffer = next;
    this.bytes = Buffer.from(next);
    this.view = new DataView(next);
  }

  private u32(v: number): void {
    this.grow(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  private i32(v: number): void {
    this.grow(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  private blob(b: Uint8Array | null): void {
    if (b === null) {
      this.i32(-1);
      return;
    }
    this.grow(4 + b.length);
    this.view.setInt32(this.pos, b.length, true);
    this.bytes.set(b, this.pos + 4);
    this.pos += 4 + b.length;
  }

  /** A string as UTF-8 with its byte length (the layout's name, topic and string header values). */
  private text(s: string): void {
    this.grow(4 + s.length * 3);
    const n = this.bytes.write(s, this.pos + 4, 'utf8');
    this.view.setInt32(this.pos, n, true);
    this.pos += 4 + n;
  }
}

/** Copies a value's bytes (already encoded) into the packer's buffer. */
export function writeBytes(value: unknown, target: Buffer, at: number): number {
  const b = value as Uint8Array;
  if (at + b.length > target.length) return -1;
  target.set(b, at);
  return at + b.length;
}

export function packOutput(perInput: ReadonlyArray<ReadonlyArray<EncodedOutput>>): ArrayBuffer {
  let size = 4;
  for (const outputs of perInput) {
    size += 4;
    for (const o of outputs) size += 16 + (o.topic?.length ?? 0) * 3 + (o.key?.length ?? 0) + (o.value?.length ?? 0);
  }
  const packer = new OutputPacker(perInput.length, size);
  for (const outputs of perInput) {
    packer.beginInput();
    for (const o of outputs) packer.output(o.topic, o.key, o.value, writeBytes, o.headers);
  }
  return packer.finish();
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
