/**
 * Output building is pure: outputs carry lineage headers (input topic, partition, offset),
 * keyless outputs keep their input partition, and dead letters carry why and where.
 */
import type { DeadLetter } from '../../../src/dispatch/batch-runner';
import type { EncodedOutput } from '../../../src/dispatch/codec';
import {
  buildMessages,
  changelogMessages,
  DEAD_LETTER_HEADERS,
  LINEAGE_HEADERS,
  outputPartition,
} from '../../../src/sink/output-messages';
import type { DeliveryGroup } from '../../../src/sink/sink';
import type { ConsumedRecord } from '../../../src/types';

const record = (offset: number, value = `v${offset}`): ConsumedRecord => ({
  topic: 'in',
  partition: 3,
  offset,
  timestamp: 0,
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(value),
  headers: [{ trace: 'abc' }],
  size: value.length,
});

const out = (value: string, key: string | null = null, topic: string | null = null): EncodedOutput => ({
  topic,
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
  headers: [['x', Buffer.from('y')]],
});

const group: DeliveryGroup = { remaining: 0, onAcked: () => undefined, onDropped: () => undefined };
const topics = {
  output: 'out',
  deadLetterTopic: 'dlq',
  lineageHeaders: true,
  workerName: 'w.js',
  partitionCounts: new Map([
    ['out', 2],
    ['dlq', 4],
  ]),
};

const header = (headers: object[], name: string) =>
  headers.map((h) => (h as Record<string, unknown>)[name]).find((v) => v !== undefined);

describe('buildMessages', () => {
  it('produces every output of every record in order, with lineage headers', () => {
    const records = [record(10), record(11), record(12)];
    const messages = buildMessages(
      topics,
      { topic: 'in', partition: 3 },
      records,
      [[out('a'), out('b', 'key')], [], [out('c', null, 'elsewhere')]],
      [],
      group,
    );
    expect(messages.map((m) => m.value?.toString())).toEqual(['a', 'b', 'c']);
    expect(messages.map((m) => m.topic)).toEqual(['out', 'out', 'elsewhere']);
    // Keyless: input partition modulo the output's count; keyed or unknown topic: the partitioner (-1).
    expect(messages.map((m) => m.partition)).toEqual([1, -1, -1]);
    expect(header(messages[0]!.headers, LINEAGE_HEADERS.offset)).toBe('10');
    expect(header(messages[2]!.headers, LINEAGE_HEADERS.offset)).toBe('12');
    expect(header(messages[1]!.headers, LINEAGE_HEADERS.topic)).toBe('in');
    expect(header(messages[1]!.headers, LINEAGE_HEADERS.partition)).toBe('3');
    expect(header(messages[0]!.headers, 'x')).toEqual(Buffer.from('y'));
    for (const m of messages) expect(m.group).toBe(group);
  });

  it('leaves lineage headers out when they are turned off', () => {
    const messages = buildMessages(
      { ...topics, lineageHeaders: false },
      { topic: 'in', partition: 3 },
      [record(1)],
      [[out('a')]],
      [],
      group,
    );
    expect(header(messages[0]!.headers, LINEAGE_HEADERS.offset)).toBeUndefined();
  });

  it('dead letters copy the input record and say why, how often and where', () => {
    const dl: DeadLetter = {
      index: 1,
      code: 'WORKER_FAILED',
      message: 'x'.repeat(5000),
      attempts: 3,
      firstFailureAt: 100,
      lastFailureAt: 200,
    };
    const records = [record(20), record(21, 'poison')];
    const [dead] = buildMessages(topics, { topic: 'in', partition: 3 }, records, [[], []], [dl], group);
    expect(dead!.topic).toBe('dlq');
    expect(dead!.partition).toBe(3);
    expect(dead!.value?.toString()).toBe('poison');
    expect(dead!.key?.toString()).toBe('k21');
    const h = dead!.headers;
    expect(header(h, 'trace')).toBe('abc');
    expect(header(h, DEAD_LETTER_HEADERS.code)).toBe('WORKER_FAILED');
    expect((header(h, DEAD_LETTER_HEADERS.message) as string).length).toBe(2000);
    expect(header(h, DEAD_LETTER_HEADERS.attempts)).toBe('3');
    expect(header(h, DEAD_LETTER_HEADERS.firstFailure)).toBe('100');
    expect(header(h, DEAD_LETTER_HEADERS.lastFailure)).toBe('200');
    expect(header(h, DEAD_LETTER_HEADERS.worker)).toBe('w.js');
    expect(header(h, LINEAGE_HEADERS.offset)).toBe('21');
  });
});

describe('outputPartition', () => {
  it('keeps keyless outputs on their input partition modulo the count', () => {
    expect(outputPartition(new Map([['o', 4]]), 'o', null, 6)).toBe(2);
    expect(outputPartition(new Map([['o', 4]]), 'o', Buffer.from('k'), 6)).toBe(-1);
    expect(outputPartition(new Map(), 'o', null, 6)).toBe(-1);
  });
});

test('changelog records: one per changed key on the input partition, a tombstone for a delete, the source offset as their one header', () => {
  const changelog = { topic: 'g-levels-changelog', encode: (json: string) => Buffer.from(`enc:${json}`) };
  const offsets = new Map([
    ['a', 10],
    ['b', 12],
  ]);
  const messages = changelogMessages(
    changelog,
    { topic: 'in', partition: 3 },
    [
      ['a', '{"WH-1":5}'],
      ['b', null],
    ],
    offsets,
    group,
  );
  expect(
    messages.map((m) => [m.topic, m.partition, m.key?.toString('latin1'), m.value?.toString() ?? null, m.headers]),
  ).toEqual([
    ['g-levels-changelog', 3, 'a', 'enc:{"WH-1":5}', [{ [LINEAGE_HEADERS.offset]: '10' }]],
    ['g-levels-changelog', 3, 'b', null, [{ [LINEAGE_HEADERS.offset]: '12' }]],
  ]);
});
