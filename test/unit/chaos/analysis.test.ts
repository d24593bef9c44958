/**
 * The chaos figures from hand-made histories: lost counts inputs with neither an output nor a
 * dead letter, duplicates count results beyond one per input, and the longest stall is the
 * longest time a partition had unprocessed input without a new first result.
 */
import { type ChaosInput, type ChaosResult, chaosFigures, longestStall } from '../../../chaos/analysis';

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
