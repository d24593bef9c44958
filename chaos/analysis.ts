/**
 * The chaos suite's figures, computed from what was read back from the broker: every input
 * record, every output and every dead-letter record (with their lineage headers and producer
 * timestamps). Pure: the unit tests feed it hand-made histories.
 */
import { analyse, type InputRef, type OutputRef, type VerifyOrdering } from '../src/cli/verify-analysis.js';

/** One input record as read back: where it is, its key, and when the feed produced it. */
export interface ChaosInput extends InputRef {
  timestampMs: number;
}

/** One output or dead-letter record as read back, with its lineage and producer timestamp. */
export interface ChaosResult extends OutputRef {
  timestampMs: number;
}

export interface ChaosFigures {
  recordsIn: number;
  recordsOut: number;
  deadLettered: number;
  /** Inputs with neither an output nor a dead-letter record. */
  lost: number;
  /** Outputs and dead letters beyond one per input (replays after a crash, or a dead letter of an output record). */
  duplicates: number;
  /** Per source partition (partition mode) or source partition and key (key mode), within each output partition. */
  orderViolations: number;
  /** Longest time a source partition had unprocessed input and no new input got its first result. */
  maxStallMs: number;
  /** Which source partition stalled longest, and when the stall ended (ms since the epoch). */
  maxStall: { partition: number; endedAtMs: number } | null;
}

export function chaosFigures(
  inputs: readonly ChaosInput[],
  outputs: readonly ChaosResult[],
  deadLetters: readonly ChaosResult[],
  ordering: VerifyOrdering,
  options: { inputTopic: string; endMs: number },
): ChaosFigures {
  const report = analyse(inputs, outputs, ordering, { inputTopic: options.inputTopic });
  // First result (output or dead letter) per input: partition → offset → timestamp.
  const firstResult = new Map<number, Map<number, number>>();
  let results = 0;
  const note = (result: ChaosResult) => {
    if (result.sourceTopic !== options.inputTopic) return;
    let offsets = firstResult.get(result.sourcePartition);
    if (offsets === undefined) {
      offsets = new Map();
      firstResult.set(result.sourcePartition, offsets);
    }
    const seen = offsets.get(result.sourceOffset);
    if (seen === undefined) offsets.set(result.sourceOffset, result.timestampMs);
    else offsets.set(result.sourceOffset, Math.min(seen, result.timestampMs));
    results++;
  };
  for (const output of outputs) note(output);
  for (const dead of deadLetters) note(dead);

  let lost = 0;
  let distinct = 0;
  for (const input of inputs) {
    if (firstResult.get(input.partition)?.has(input.offset) === true) distinct++;
    else lost++;
  }
  // Stalls count from the run's first result on: before it, the engines were still starting.
  let firstAt = Number.POSITIVE_INFINITY;
  for (const offsets of firstResult.values()) for (const at of offsets.values()) firstAt = Math.min(firstAt, at);
  const stall = longestStall(inputs, firstResult, options.endMs, firstAt);
  return {
    recordsIn: inputs.length,
    recordsOut: outputs.length,
    deadLettered: deadLetters.length,
    lost,
    duplicates: results - distinct,
    orderViolations: report.orderViolations,
    maxStallMs: stall.ms,
    maxStall: stall.partition === undefined ? null : { partition: stall.partition, endedAtMs: stall.endedAtMs },
  };
}

/**
 * Per source partition, sweeps arrivals (input timestamps) and completions (first result
 * timestamps) in time order. A stall runs from the later of "unprocessed input appeared" and
 * "the last completion" to the next completion; an input never completed stalls to `endMs`.
 * A completion stamped before its input (clock granularity) counts at the input's time. Nothing
 * before `fromMs` counts (the runner passes the first result's time: engines start up before it).
 */
export function longestStall(
  inputs: readonly ChaosInput[],
  firstResult: ReadonlyMap<number, ReadonlyMap<number, number>>,
  endMs: number,
  fromMs = Number.NEGATIVE_INFINITY,
): { ms: number; partition?: number; endedAtMs: number } {
  const events = new Map<number, Array<{ at: number; delta: 1 | -1 }>>();
  for (const input of inputs) {
    let list = events.get(input.partition);
    if (list === undefined) {
      list = [];
      events.set(input.partition, list);
    }
    list.push({ at: input.timestampMs, delta: 1 });
    const done = firstResult.get(input.partition)?.get(input.offset);
    if (done !== undefined) list.push({ at: Math.max(done, input.timestampMs), delta: -1 });
  }
  let best: { ms: number; partition?: number; endedAtMs: number } = { ms: 0, endedAtMs: 0 };
  for (const [partition, list] of events) {
    // Arrivals before completions at the same instant, so pending never goes negative.
    list.sort((a, b) => a.at - b.at || b.delta - a.delta);
    let pending = 0;
    let since = 0;
    for (const event of list) {
      if (event.delta === 1) {
        if (pending === 0) since = Math.max(event.at, fromMs);
        pending++;
        continue;
      }
      const stalled = event.at - since;
      if (stalled > best.ms) best = { ms: stalled, partition, endedAtMs: event.at };
      pending--;
      since = event.at;
    }
    if (pending > 0 && endMs - since > best.ms) best = { ms: endMs - since, partition, endedAtMs: endMs };
  }
  return best;
}
