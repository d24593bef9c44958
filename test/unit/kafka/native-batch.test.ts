/**
 * The JavaScript side of the native batch path reads what scripts/native/turbine-batch.cc writes:
 * a consumed batch as one buffer plus CONSUME_FIELDS numbers per message, and delivery reports
 * as [token, partition, offset, error code] quadruples with the error texts apart. These tests
 * build those layouts by hand, as the C++ writes them, and check what comes out.
 */
import {
  decodeHeaders,
  forEachReport,
  isDeliveryBatch,
  kafkaError,
  unpackConsumed,
} from '../../../src/kafka/native-batch';

interface Packed {
  topic: number;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
}

/** Lays messages out as ConsumeBatchWorker::Pack does. */
function pack(messages: Packed[]): { data: Buffer; meta: Float64Array } {
  const chunks: Buffer[] = [];
  let size = 0;
  const append = (b: Buffer) => {
    chunks.push(b);
    size += b.length;
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const meta: number[] = [];
  for (const m of messages) {
    meta.push(m.topic, m.partition, m.offset, m.timestamp);
    for (const bytes of [m.key, m.value]) {
      if (bytes === null) meta.push(-1, 0);
      else {
        meta.push(size, Buffer.byteLength(bytes));
        append(Buffer.from(bytes));
      }
    }
    meta.push(size, m.headers.length);
    for (const [name, value] of m.headers) {
      append(u32(Buffer.byteLength(name)));
      append(Buffer.from(name));
      if (value === null) append(u32(0xffffffff));
      else {
        append(u32(Buffer.byteLength(value)));
        append(Buffer.from(value));
      }
    }
  }
  return { data: Buffer.concat(chunks), meta: Float64Array.from(meta) };
}

test('a consumed batch unpacks into node-rdkafka-shaped messages, keys and values as views of one buffer', () => {
  const { data, meta } = pack([
    { topic: 0, partition: 2, offset: 41, timestamp: 1_700_000_000_000, key: 'k1', value: '{"a":1}', headers: [] },
    {
      topic: 1,
      partition: 0,
      offset: 7,
      timestamp: 5,
      key: null,
      value: null,
      headers: [
        ['trace', 'é1'],
        ['empty', null],
      ],
    },
    { topic: 0, partition: 2, offset: 2 ** 40, timestamp: 6, key: '', value: 'x', headers: [['n', '']] },
  ]);
  const messages = unpackConsumed(3, data, meta, ['in', 'other']);
  expect(messages).toHaveLength(3);
  expect(messages[0]).toEqual({
    topic: 'in',
    partition: 2,
    offset: 41,
    timestamp: 1_700_000_000_000,
    key: Buffer.from('k1'),
    value: Buffer.from('{"a":1}'),
    size: 7,
  });
  expect(messages[0]!.value!.buffer).toBe(data.buffer);
  // A tombstone with no key: null key and value, size 0; header values as Buffers, a null value as empty.
  expect(messages[1]).toMatchObject({ topic: 'other', partition: 0, offset: 7, key: null, value: null, size: 0 });
  expect(messages[1]!.headers).toEqual([{ trace: Buffer.from('é1') }, { empty: Buffer.alloc(0) }]);
  // An empty key is not a null key; offsets past 2^32 survive the Float64Array.
  expect(messages[2]).toMatchObject({ key: Buffer.alloc(0), value: Buffer.from('x'), offset: 2 ** 40 });
  expect(messages[2]!.headers).toEqual([{ n: Buffer.alloc(0) }]);
});

test('decodeHeaders reads from any start in the buffer', () => {
  const { data, meta } = pack([
    {
      topic: 0,
      partition: 0,
      offset: 0,
      timestamp: 0,
      key: 'abc',
      value: 'def',
      headers: [
        ['a', '1'],
        ['bb', '22'],
      ],
    },
  ]);
  expect(decodeHeaders(data, meta[8]!, 2)).toEqual([{ a: Buffer.from('1') }, { bb: Buffer.from('22') }]);
});

test('delivery batches: each report with its token, and errors paired with their texts in order', () => {
  const report = {
    turbineBatch: Float64Array.from([11, 0, 100, 0, 12, 1, -1, -185, 13, 2, 300, 0, 14, 0, -1, 10]),
    errors: ['Local: Message timed out', 'Broker: Message size too large'],
  };
  expect(isDeliveryBatch(report)).toBe(true);
  expect(isDeliveryBatch({ opaque: {}, partition: 0 })).toBe(false);
  expect(isDeliveryBatch(null)).toBe(false);
  const seen: unknown[] = [];
  forEachReport(report, (token, partition, offset, error) =>
    seen.push([token, partition, offset, error && { code: error.code, message: error.message, origin: error.origin }]),
  );
  expect(seen).toEqual([
    [11, 0, 100, null],
    [12, 1, -1, { code: -185, message: 'Local: Message timed out', origin: 'local' }],
    [13, 2, 300, null],
    [14, 0, -1, { code: 10, message: 'Broker: Message size too large', origin: 'kafka' }],
  ]);
});

test('kafkaError: an Error with the code where node-rdkafka puts it, and a text when librdkafka gave none', () => {
  const error = kafkaError(-150, '');
  expect(error).toBeInstanceOf(Error);
  expect(error).toMatchObject({ code: -150, errno: -150, origin: 'local', message: 'librdkafka error -150' });
});
