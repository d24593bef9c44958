import {
  type EncodedOutput,
  OutputPacker,
  type PackableRecord,
  packInput,
  packOutput,
  unpackInput,
  unpackOutput,
} from '../../../src/dispatch/codec.js';
import { type Prng, seededRandom } from '../../helpers/prng.js';

const buf = (s: string) => Buffer.from(s, 'utf8');

/** What unpackInput should give back for a record: headers flattened, strings as bytes. */
function expectedHeaders(headers: PackableRecord['headers']): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const h of headers ?? []) for (const name in h) out[name] = Buffer.from(h[name]!);
  return out;
}

describe('packInput / unpackInput', () => {
  it('round-trips null keys and values, empty values, offsets and timestamps', () => {
    const records: PackableRecord[] = [
      { offset: 0, timestamp: 1_700_000_000_123, key: null, value: null, headers: undefined },
      { offset: 1, timestamp: 0, key: buf('k'), value: new Uint8Array(0), headers: [] },
      { offset: 2 ** 40, timestamp: -1, key: new Uint8Array(0), value: buf('{"a":1}'), headers: undefined },
    ];
    const out = unpackInput(packInput(records));
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual({ offset: 0, timestamp: 1_700_000_000_123, key: null, value: null, headers: {} });
    expect(out[1]!.key!.toString()).toBe('k');
    expect(out[1]!.value).not.toBeNull();
    expect(out[1]!.value!.length).toBe(0);
    expect(out[2]!.offset).toBe(2 ** 40);
    expect(out[2]!.timestamp).toBe(-1);
    expect(out[2]!.key).not.toBeNull();
    expect(out[2]!.key!.length).toBe(0);
    expect(JSON.parse(out[2]!.value!.toString())).toEqual({ a: 1 });
  });

  it('round-trips several headers, unicode names, string and byte values', () => {
    const headers: PackableRecord['headers'] = [
      { 'trace-id': 'abc', 'ünïcødé-名前': buf('värde') },
      { '🚀': new Uint8Array([0, 255, 1]) },
      { empty: '' },
    ];
    const [out] = unpackInput(packInput([{ offset: 5, timestamp: 6, key: null, value: buf('v'), headers }]));
    expect(Object.keys(out!.headers).sort()).toEqual(['empty', 'trace-id', 'ünïcødé-名前', '🚀'].sort());
    expect(out!.headers['trace-id']!.toString()).toBe('abc');
    expect(out!.headers['ünïcødé-名前']!.toString()).toBe('värde');
    expect([...out!.headers['🚀']!]).toEqual([0, 255, 1]);
    expect(out!.headers.empty!.length).toBe(0);
  });

  it('round-trips a 1 MB value', () => {
    const value = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
    const [out] = unpackInput(packInput([{ offset: 1, timestamp: 2, key: buf('big'), value, headers: undefined }]));
    expect(out!.value!.length).toBe(value.length);
    expect(out!.value!.equals(value)).toBe(true);
  });

  it('returns views into the transferred buffer, not copies', () => {
    const buffer = packInput([
      { offset: 1, timestamp: 2, key: buf('key'), value: buf('value'), headers: [{ h: 'x' }] },
    ]);
    const [out] = unpackInput(buffer);
    expect(out!.value!.buffer).toBe(buffer);
    expect(out!.key!.buffer).toBe(buffer);
    expect(out!.headers.h!.buffer).toBe(buffer);
    // Writing through the view changes the shared bytes.
    out!.value![0] = 'V'.charCodeAt(0);
    expect(unpackInput(buffer)[0]!.value!.toString()).toBe('Value');
  });

  it('handles an empty batch', () => {
    const buffer = packInput([]);
    expect(buffer.byteLength).toBe(4);
    expect(unpackInput(buffer)).toEqual([]);
  });
});

describe('packOutput / unpackOutput', () => {
  it('round-trips zero, one and several outputs per input, topic overrides and null fields', () => {
    const perInput: EncodedOutput[][] = [
      [],
      [{ topic: null, key: null, value: null, headers: [] }],
      [
        { topic: 'other-topic', key: buf('k1'), value: buf('v1'), headers: [['a', buf('1')]] },
        {
          topic: 'tópico-ü',
          key: null,
          value: Buffer.alloc(0),
          headers: [
            ['名前', buf('x')],
            ['a', buf('')],
          ],
        },
      ],
      [],
    ];
    const out = unpackOutput(packOutput(perInput));
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual([]);
    expect(out[3]).toEqual([]);
    expect(out[1]).toEqual([{ topic: null, key: null, value: null, headers: [] }]);
    expect(out[2]).toHaveLength(2);
    expect(out[2]![0]!.topic).toBe('other-topic');
    expect(out[2]![0]!.key!.toString()).toBe('k1');
    expect(out[2]![0]!.value!.toString()).toBe('v1');
    expect(out[2]![0]!.headers.map(([n, v]) => [n, v.toString()])).toEqual([['a', '1']]);
    expect(out[2]![1]!.topic).toBe('tópico-ü');
    expect(out[2]![1]!.key).toBeNull();
    expect(out[2]![1]!.value!.length).toBe(0);
    // Header order and duplicates survive on output (they are a list, not a map).
    expect(out[2]![1]!.headers.map(([n, v]) => [n, v.toString()])).toEqual([
      ['名前', 'x'],
      ['a', ''],
    ]);
  });

  it('round-trips a 1 MB output value', () => {
    const value = Buffer.alloc(1024 * 1024, 7);
    const [[out]] = unpackOutput(packOutput([[{ topic: null, key: null, value, headers: [] }]])) as [[EncodedOutput]];
    expect(out.value!.equals(value)).toBe(true);
  });

  it('handles no inputs', () => {
    expect(unpackOutput(packOutput([]))).toEqual([]);
  });
});

function randomBytes(rng: Prng, max: number): Buffer {
  const b = Buffer.alloc(rng.int(0, max));
  for (let i = 0; i < b.length; i++) b[i] = rng.int(0, 255);
  return b;
}

// Well-formed strings only: a lone surrogate cannot survive any UTF-8 round trip.
const ALPHABET = ['a', 'z', '0', '-', '.', 'é', 'ß', '名', '前', '🚀', 'Ω'];
function randomString(rng: Prng, max: number, min = 0): string {
  let s = '';
  const n = rng.int(min, max);
  for (let i = 0; i < n; i++) s += ALPHABET[rng.int(0, ALPHABET.length - 1)];
  return s;
}

/** Buffers as hex strings: jest compares Buffers byte by byte, which is slow over many seeds. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const maybe = <T>(rng: Prng, make: () => T): T | null => (rng.next() < 0.2 ? null : make());

describe('codec randomized round trip', () => {
  it('input and output survive pack/unpack for random batches', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = seededRandom(seed);
      const records: PackableRecord[] = [];
      const count = rng.int(0, 20);
      for (let i = 0; i < count; i++) {
        const headers =
          rng.next() < 0.3
            ? undefined
            : Array.from({ length: rng.int(0, 3) }, (_, h) => {
                const entry: Record<string, Uint8Array | string> = {};
                const n = rng.int(0, 3);
                // A per-object prefix keeps names unique across the list, so flattening loses nothing.
                for (let j = 0; j < n; j++) {
                  entry[`${h}.${j}.${randomString(rng, 6)}`] =
                    rng.next() < 0.5 ? randomString(rng, 8) : randomBytes(rng, 8);
                }
                return entry;
              });
        records.push({
          offset: i * rng.int(1, 1000),
          timestamp: rng.int(0, 2 ** 42),
          key: maybe(rng, () => randomBytes(rng, 16)),
          value: maybe(rng, () => randomBytes(rng, 200)),
          headers,
        });
      }
      const unpacked = unpackInput(packInput(records));
      const want = records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: expectedHeaders(r.headers),
      }));
      // One string comparison per seed: fast, and exact (key order is the codec's field order).
      expect(JSON.stringify(plain(unpacked))).toBe(JSON.stringify(plain(want)));

      const perInput: EncodedOutput[][] = records.map(() =>
        Array.from({ length: rng.int(0, 3) }, () => ({
          topic: maybe(rng, () => randomString(rng, 12, 1)),
          key: maybe(rng, () => randomBytes(rng, 16)),
          value: maybe(rng, () => randomBytes(rng, 200)),
          headers: Array.from({ length: rng.int(0, 3) }, (): [string, Buffer] => [
            randomString(rng, 6),
            randomBytes(rng, 8),
          ]),
        })),
      );
      expect(JSON.stringify(plain(unpackOutput(packOutput(perInput))))).toBe(JSON.stringify(plain(perInput)));
    }
  });
});

describe('OutputPacker', () => {
  const writeJson = (value: unknown, target: Buffer, at: number) => {
    const text = JSON.stringify(value);
    if (at + Buffer.byteLength(text) > target.length) return -1;
    return at + target.write(text, at, 'utf8');
  };

  it('grows from a tiny size hint and writes what unpackOutput reads back (string keys and headers as UTF-8)', () => {
    const packer = new OutputPacker(3, 1);
    const big = 'x'.repeat(10_000);
    packer.beginInput();
    packer.output(null, 'k\u00e9y', { big }, writeJson, [['h', 'v\u2603']]);
    packer.output('other-topic', null, null, writeJson, []);
    packer.beginInput();
    packer.beginInput();
    packer.output(null, Buffer.from([1, 2]), [1], writeJson, [['b', Buffer.from([9])]]);
    const out = unpackOutput(packer.finish());
    expect(out.map((o) => o.length)).toEqual([2, 0, 1]);
    expect(out[0]![0]!.key!.toString()).toBe('k\u00e9y');
    expect(JSON.parse(out[0]![0]!.value!.toString())).toEqual({ big });
    expect(out[0]![0]!.headers.map(([n, v]) => [n, v.toString()])).toEqual([['h', 'v\u2603']]);
    expect(out[0]![1]).toEqual({ topic: 'other-topic', key: null, value: null, headers: [] });
    expect(out[2]![0]!.value!.toString()).toBe('[1]');
    expect([...out[2]![0]!.headers[0]![1]]).toEqual([9]);
  });

  it('abandonInput drops what the current input wrote (its encoding failed) and leaves the others whole', () => {
    const packer = new OutputPacker(2, 16);
    packer.beginInput();
    packer.output(null, null, 'kept', writeJson, []);
    packer.beginInput();
    packer.output(null, null, 'written, then abandoned', writeJson, []);
    packer.abandonInput();
    const out = unpackOutput(packer.finish());
    expect(out.map((o) => o.map((x) => x.value!.toString()))).toEqual([['"kept"'], []]);
  });
});
