/**
 * The chaos figures from hand-made histories: lost counts inputs with neither an output nor a
 * dead letter, duplicates count results beyond one per input, the longest stall is the longest
 * time a partition had unprocessed input without a new first result, and a stock level is a
 * state mismatch when its last output or its changelog value differs from the fold of its
 * movements.
 */

import {
  type ChangelogRecord,
  type ChaosInput,
  type ChaosResult,
  chaosFigures,
  innocentDeadLettered,
  longestStall,
  stateFigures,
} from '../../../chaos/analysis';
import { isPoisonValue, recordValue } from '../../../chaos/feed';

const TOPIC = 'in';

function input(partition: number, offset: number, timestampMs: number, key: string | null = null): ChaosInput {
  return { partition, offset, key, timestampMs };
}

function result(
  sourcePartition: number,
  sourceOffset: number,
  timestampMs: number,
  outputPartition = sourcePartition,
  key: string | null = null,
): ChaosResult {
  return { outputPartition, sourceTopic: TOPIC, sourcePartition, sourceOffset, key, timestampMs };
}

const figures = (inputs: ChaosInput[], outputs: ChaosResult[], dead: ChaosResult[] = [], endMs = 1_000) =>
  chaosFigures(inputs, outputs, dead, 'partition', { inputTopic: TOPIC, endMs });

test('an input dead-lettered is not lost; one with no result is', () => {
  const inputs = [input(0, 0, 0), input(0, 1, 0), input(0, 2, 0)];
  const f = figures(inputs, [result(0, 0, 10)], [result(0, 1, 20)]);
  expect(f).toMatchObject({ recordsIn: 3, recordsOut: 1, deadLettered: 1, lost: 1, duplicates: 0 });
});

test('replayed outputs and a dead letter of an output record are duplicates', () => {
  const inputs = [input(0, 0, 0), input(0, 1, 0)];
  const f = figures(inputs, [result(0, 0, 10), result(0, 1, 11), result(0, 0, 50)], [result(0, 1, 60)]);
  expect(f).toMatchObject({ lost: 0, duplicates: 2, orderViolations: 0 });
});

test('order violations come from the verifier: a later source offset before an earlier one', () => {
  const inputs = [input(0, 0, 0), input(0, 1, 0)];
  const f = figures(inputs, [result(0, 1, 10), result(0, 0, 11)]);
  expect(f.orderViolations).toBe(1);
});

test('key mode only compares records of the same key', () => {
  const inputs = [input(0, 0, 0, 'a'), input(0, 1, 0, 'b')];
  const outputs = [result(0, 1, 10, 0, 'b'), result(0, 0, 11, 0, 'a')];
  const f = chaosFigures(inputs, outputs, [], 'key', { inputTopic: TOPIC, endMs: 100 });
  expect(f.orderViolations).toBe(0);
});

test('the longest stall runs from the last first-result to the next while input waits', () => {
  // Partition 0: inputs at 0, 10, 20; first results at 5, 105, 110: input 1 waited from 10 to 105.
  // Partition 1: input at 200, result at 230 (30 ms since the input appeared).
  const inputs = [input(0, 0, 0), input(0, 1, 10), input(0, 2, 20), input(1, 0, 200)];
  const outputs = [result(0, 0, 5), result(0, 1, 105), result(0, 1, 106), result(0, 2, 110), result(1, 0, 230)];
  const f = figures(inputs, outputs);
  expect(f.maxStallMs).toBe(95);
  expect(f.maxStall).toEqual({ partition: 0, endedAtMs: 105 });
});

test('idle time with no unprocessed input is not a stall', () => {
  const inputs = [input(0, 0, 0), input(0, 1, 1_000)];
  const f = figures(inputs, [result(0, 0, 10), result(0, 1, 1_020)], [], 2_000);
  expect(f.maxStallMs).toBe(20);
});

test('an input never processed stalls its partition until the end of the run', () => {
  const stall = longestStall([input(0, 0, 100)], new Map(), 700);
  expect(stall).toEqual({ ms: 600, partition: 0, endedAtMs: 700 });
});

test('time before the first result (engines starting) does not count', () => {
  const inputs = [input(0, 0, 0), input(0, 1, 1)];
  const f = figures(inputs, [result(0, 0, 3_000), result(0, 1, 3_010)]);
  expect(f.maxStallMs).toBe(10);
});

describe("stateFigures: the stateful scenario's levels against the fold of the movements", () => {
  let offset = 0;
  const movement = (sku: string, warehouse: string, delta: number, partition = 0): ChaosInput => ({
    partition,
    offset: offset++,
    key: sku,
    timestampMs: 0,
    value: JSON.stringify({ sku, warehouse, delta }),
  });
  const level = (sku: string, warehouse: string, value: number, source = 0): ChaosResult => ({
    ...result(0, source, 0, 0, `${sku}/${warehouse}`),
    value: JSON.stringify({ type: 'stock-level', sku, warehouse, delta: 0, level: value }),
  });
  const change = (key: string, levels: Record<string, number> | null): ChangelogRecord => ({
    key,
    value: levels === null ? null : JSON.stringify(levels),
  });
  const state = (
    inputs: ChaosInput[],
    outputs: ChaosResult[],
    changelog: ChangelogRecord[],
    dead: ChaosResult[] = [],
  ) => stateFigures(inputs, outputs, dead, changelog, { inputTopic: TOPIC, start: 100 });

  beforeEach(() => {
    offset = 0;
  });

  test('levels that are the start plus the sum of the movements match, in outputs and changelog alike', () => {
    const inputs = [
      movement('A', 'WH-1', -3),
      movement('A', 'WH-2', 5),
      movement('A', 'WH-1', 2),
      movement('B', 'WH-1', 1),
    ];
    const outputs = [
      level('A', 'WH-1', 97, 0),
      level('A', 'WH-2', 105, 1),
      level('A', 'WH-1', 99, 2),
      level('B', 'WH-1', 101, 3),
    ];
    const changelog = [
      change('A', { 'WH-1': 97 }),
      change('A', { 'WH-1': 99, 'WH-2': 105 }),
      change('B', { 'WH-1': 101 }),
    ];
    expect(state(inputs, outputs, changelog)).toEqual({
      levels: 3,
      outputMismatches: 0,
      changelogMismatches: 0,
      stateMismatches: 0,
      divergedAt: [],
      examples: [],
    });
  });

  test('only the last output of a pair counts: an earlier wrong level that was put right is no mismatch', () => {
    const inputs = [movement('A', 'WH-1', -3), movement('A', 'WH-1', -3)];
    const outputs = [level('A', 'WH-1', 50, 0), level('A', 'WH-1', 94, 1)];
    const f = state(inputs, outputs, [change('A', { 'WH-1': 94 })]);
    expect(f.stateMismatches).toBe(0);
    // Still named as where a level first went wrong.
    expect(f.divergedAt).toEqual([{ partition: 0, offset: 0 }]);
  });

  test('a last output that missed a movement (state lost in a crash) is a mismatch', () => {
    const inputs = [movement('A', 'WH-1', -3), movement('A', 'WH-1', -4)];
    // The second movement's level started from 100 again, as if the state had been lost.
    const f = state(inputs, [level('A', 'WH-1', 97, 0), level('A', 'WH-1', 96, 1)], [change('A', { 'WH-1': 93 })]);
    expect(f).toMatchObject({ levels: 1, outputMismatches: 1, changelogMismatches: 0, stateMismatches: 1 });
    expect(f.divergedAt).toEqual([{ partition: 0, offset: 1 }]);
    expect(f.examples).toEqual(['A/WH-1: movements fold to 93, last output 96, changelog 93']);
  });

  test('a changelog behind the outputs (a change outside the transaction) is a mismatch', () => {
    const inputs = [movement('A', 'WH-1', -3), movement('A', 'WH-1', -4)];
    const f = state(inputs, [level('A', 'WH-1', 97, 0), level('A', 'WH-1', 93, 1)], [change('A', { 'WH-1': 97 })]);
    expect(f).toMatchObject({ outputMismatches: 0, changelogMismatches: 1, stateMismatches: 1, divergedAt: [] });
  });

  test('a pair wrong in both places counts once; a pair with no output or no changelog value counts', () => {
    const inputs = [movement('A', 'WH-1', 1), movement('B', 'WH-1', 1), movement('C', 'WH-1', 1)];
    const outputs = [level('A', 'WH-1', 7), level('C', 'WH-1', 101)];
    const changelog = [change('A', { 'WH-1': 7 }), change('B', { 'WH-1': 101 })];
    expect(state(inputs, outputs, changelog)).toMatchObject({
      levels: 3,
      outputMismatches: 2, // A wrong, B missing
      changelogMismatches: 2, // A wrong, C missing
      stateMismatches: 3,
    });
  });

  test('divergedAt: per input partition, the lowest source offset whose level is not the fold up to it', () => {
    // Partition 1's level after offset 1 was lost (a stale restore): every later level of B is off.
    const inputs = [
      movement('A', 'WH-1', 1, 0),
      movement('B', 'WH-1', -2, 1),
      movement('B', 'WH-1', -3, 1),
      movement('B', 'WH-1', -4, 1),
    ];
    const outputs = [
      level('A', 'WH-1', 101, 0),
      level('B', 'WH-1', 98, 1),
      level('B', 'WH-1', 97, 2),
      level('B', 'WH-1', 93, 3),
    ];
    for (const output of outputs.slice(1)) output.sourcePartition = 1;
    const f = state(inputs, outputs, [change('A', { 'WH-1': 101 }), change('B', { 'WH-1': 93 })]);
    expect(f.divergedAt).toEqual([{ partition: 1, offset: 2 }]);
    expect(f).toMatchObject({ outputMismatches: 1, changelogMismatches: 1, stateMismatches: 1 });
  });

  test('levels of a pair no movement touched are mismatches', () => {
    const f = state([], [level('Z', 'WH-1', 100)], [change('Z', { 'WH-1': 100 })]);
    expect(f).toMatchObject({ levels: 1, stateMismatches: 1 });
  });

  test("a tombstone removes the key's levels; the changelog is keyed by record key, not by sku", () => {
    const keyed = { ...movement('A', 'WH-1', 1), key: 'key-of-A' };
    const outputs = [level('A', 'WH-1', 101)];
    expect(state([keyed], outputs, [change('key-of-A', { 'WH-1': 101 })]).stateMismatches).toBe(0);
    expect(state([keyed], outputs, [change('key-of-A', { 'WH-1': 101 }), change('key-of-A', null)])).toMatchObject({
      changelogMismatches: 1,
    });
  });

  test('a dead-lettered movement is left out of the fold; records that are not movements have no pair', () => {
    const inputs = [
      movement('A', 'WH-1', 1),
      movement('A', 'WH-1', 50),
      { ...movement('A', 'WH-1', 0), value: 'not json' },
      { ...movement('A', 'WH-1', 0), value: null },
    ];
    const dead = [result(0, 1, 0)];
    const outputs = [level('A', 'WH-1', 101), { ...result(0, 0, 0), value: JSON.stringify({ type: 'low-stock' }) }];
    const f = state(inputs, outputs, [change('A', { 'WH-1': 101 })], dead);
    expect(f).toMatchObject({ levels: 1, stateMismatches: 0 });
  });
});

test("a dead letter without a poison marker is innocent; the feed's poison records are not", () => {
  const dead = (value: string | null): ChaosResult => ({ ...result(0, 1, 10), value });
  const text = (index: number, kind: 'normal' | 'undecodable' | 'throw' | 'hang') =>
    recordValue(index, kind).toString('latin1');
  const poison = [dead(text(137, 'undecodable')), dead(text(611, 'throw')), dead(text(9, 'hang'))];
  expect(innocentDeadLettered(poison, isPoisonValue)).toBe(0);
  expect(innocentDeadLettered([...poison, dead(text(612, 'normal')), dead(null)], isPoisonValue)).toBe(2);
  // Without values read back the check cannot say, and must not pass by accident.
  expect(() => innocentDeadLettered([result(0, 1, 10)], isPoisonValue)).toThrow(/values/);
});
