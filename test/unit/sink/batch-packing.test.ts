/**
 * Packing for the native produce call: every field of a message must point at its own bytes
 * (key and value in the buffers they already lie in, headers in the scratch part), tokens must
 * map delivery reports back to their messages, and a partly queued batch must release the rest.
 */
import type Kafka from 'node-rdkafka';
import { decodeHeaders, PRODUCE_FIELDS } from '../../../src/kafka/native-batch';
import { BatchPacking, type PackedBatch } from '../../../src/sink/batch-packing';
import type { DeliveryGroup, OutboundMessage } from '../../../src/sink/sink';

const group: DeliveryGroup = { remaining: 0, onAcked: () => undefined };

function message(topic: string, key: Buffer | null, value: Buffer | null, headers: Kafka.MessageHeader[] = []) {
  return { topic, partition: -1, key, value, headers, group, attempts: 0 } satisfies OutboundMessage;
}

/** What the native side reads for message i: topic, partition, key, value, headers, token. */
function read(batch: PackedBatch, i: number) {
  const m = batch.meta.subarray(i * PRODUCE_FIELDS, (i + 1) * PRODUCE_FIELDS);
  const bytes = (part: number, start: number, length: number): Buffer | null => {
    if (part < 0) return null;
    const view = batch.parts[part] as Uint8Array;
    return Buffer.from(view.buffer, view.byteOffset + start, length);
  };
  const headerPart = m[8]!;
  const headers =
    m[10]! > 0 ? decodeHeaders(Buffer.from((batch.parts[headerPart] as Uint8Array).buffer), m[9]!, m[10]!) : [];
  return {
    topic: batch.topics[m[0]!],
    partition: m[1],
    key: bytes(m[2]!, m[3]!, m[4]!),
    value: bytes(m[5]!, m[6]!, m[7]!),
    headers,
    token: m[11],
  };
}

test('keys and values are described where they lie; topics and byte sources are listed once', () => {
  const shared = Buffer.from('key-1value-1key-2value-2');
  const messages = [
    message('out', shared.subarray(0, 5), shared.subarray(5, 12)),
    message('out', shared.subarray(12, 17), shared.subarray(17, 24)),
    message('out.dlq', null, null),
  ];
  const packing = new BatchPacking<OutboundMessage>();
  const batch = packing.pack(messages, 0);
  expect(batch.count).toBe(3);
  expect(batch.topics).toEqual(['out', 'out.dlq']);
  expect(batch.parts).toHaveLength(1);
  expect(read(batch, 0)).toMatchObject({
    topic: 'out',
    partition: -1,
    key: Buffer.from('key-1'),
    value: Buffer.from('value-1'),
  });
  expect(read(batch, 1)).toMatchObject({ key: Buffer.from('key-2'), value: Buffer.from('value-2') });
  expect(read(batch, 2)).toMatchObject({ topic: 'out.dlq', key: null, value: null, headers: [] });
});

test('headers, strings and Buffers, round-trip through the scratch part, growing it when needed', () => {
  const big = 'x'.repeat(100_000);
  const messages = [
    message('out', Buffer.from('k'), Buffer.from('v'), [
      { 'turbine.source.topic': 'in' },
      { bin: Buffer.from([0, 1, 2]) },
    ]),
    message('out', Buffer.from('k2'), Buffer.from('v2'), [{ 'turbine.source.offset': '42', ü: 'é' }, { big }]),
  ];
  const batch = new BatchPacking<OutboundMessage>().pack(messages, 0);
  expect(read(batch, 0).headers).toEqual([
    { 'turbine.source.topic': Buffer.from('in') },
    { bin: Buffer.from([0, 1, 2]) },
  ]);
  expect(read(batch, 1).headers).toEqual([
    { 'turbine.source.offset': Buffer.from('42') },
    { ü: Buffer.from('é') },
    { big: Buffer.from(big) },
  ]);
});

test('tokens map reports back to messages once; a partly queued batch releases the rest', () => {
  const packing = new BatchPacking<OutboundMessage>();
  const messages = [1, 2, 3, 4].map((i) => message('out', null, Buffer.from(`v${i}`)));
  const first = packing.pack(messages, 0);
  const tokens = [0, 1, 2, 3].map((i) => read(first, i).token!);
  expect(new Set(tokens).size).toBe(4);
  expect(packing.size).toBe(4);
  packing.release(first, 2);
  expect(packing.size).toBe(2);
  expect(packing.take(tokens[2]!)).toBeUndefined();
  // Packing from an index describes only the rest, with new tokens.
  const rest = packing.pack(messages, 2);
  expect(rest.count).toBe(2);
  expect(read(rest, 0).value).toEqual(Buffer.from('v3'));
  expect(packing.take(tokens[0]!)).toBe(messages[0]);
  expect(packing.take(tokens[0]!)).toBeUndefined();
  expect(packing.take(read(rest, 1).token!)).toBe(messages[3]);
  packing.clear();
  expect(packing.size).toBe(0);
});
