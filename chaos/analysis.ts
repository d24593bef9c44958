/**
 * The chaos suite's figures, computed from what was read back from the broker: every input
 * record, every output and every dead-letter record (with their lineage headers and producer
 * timestamps), and for the stateful scenario the changelog. Pure: the unit tests feed it
 * hand-made histories.
 */
import { analyse, type InputRef, type OutputRef, type VerifyOrdering } from '../src/cli/verify-analysis.js';

/** One input record as read back: where it is, its key, and when the feed produced it. */
export interface ChaosInput extends InputRef {
  timestampMs: number;
  /** The value as UTF-8 text (null for none); read back only when a check needs it (the stateful scenario). */
  value?: string | null;
}

/** One output or dead-letter record as read back, with its lineage and producer timestamp. */
export interface ChaosResult extends OutputRef {
  timestampMs: number;
  /** The value as UTF-8 text (null for none); read back only when a check needs it (the stateful scenario). */
  value?: string | null;
}

/** One changelog record as read back: its key and value (null: a tombstone), in partition order. */
export interface ChangelogRecord {
  key: string | null;
  value: string | null;
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

/**
 * Dead-lettered records that did nothing wrong: their value carries none of the feed's poison
 * markers (undecodable bytes, or a `"chaos":"throw"` / `"chaos":"hang"` field). Only the record
 * that fails, throws or hangs may be dead-lettered, never its neighbours.
 */
export function innocentDeadLettered(
  deadLetters: readonly ChaosResult[],
  isPoison: (value: string) => boolean,
): number {
  let innocent = 0;
  for (const dead of deadLetters) {
    if (dead.value === undefined)
      throw new Error('innocentDeadLettered needs the dead letters read back with their values');
    if (dead.value === null || !isPoison(dead.value)) innocent++;
  }
  return innocent;
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

/** Where a stock level starts: workers/inventory.ts INVENTORY_START, which the runner sets to this. */
export const INVENTORY_START = 100;

export interface StateFigures {
  /** SKU/warehouse pairs compared: those with a movement, a level output or a changelog level. */
  levels: number;
  /** Pairs whose last stock-level output differs from the fold of their movements (or that have none). */
  outputMismatches: number;
  /** Pairs whose level in the SKU's last changelog value differs from the fold (or that have none). */
  changelogMismatches: number;
  /** Pairs with either mismatch: the scenario's `stateMismatches`, which must be 0. */
  stateMismatches: number;
  /**
   * Per input partition, the lowest input offset whose stock-level output differs from the fold
   * of the movements up to and including it: where the state first went wrong. Sorted by partition.
   */
  divergedAt: Array<{ partition: number; offset: number }>;
  /** The first few mismatches, for the failure message. */
  examples: string[];
}

interface Movement {
  sku: string;
  warehouse: string;
  delta: number;
}

function movementOf(value: string | null | undefined): Movement | undefined {
  if (value == null) return undefined;
  try {
    const m = JSON.parse(value) as Partial<Movement> | null;
    if (m === null || typeof m !== 'object') return undefined;
    if (typeof m.sku !== 'string' || typeof m.warehouse !== 'string' || typeof m.delta !== 'number') return undefined;
    return m as Movement;
  } catch {
    return undefined;
  }
}

function parsed(value: string | null | undefined): unknown {
  if (value == null) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/**
 * The stateful scenario's check. The expected level of each SKU/warehouse is `start` plus the
 * sum of its movements in the input, leaving out dead-lettered ones (a dead-lettered record
 * contributes no state change, docs/state.md). It is compared with:
 * - the last `stock-level` output of the pair. `outputs` must be in each output partition's
 *   offset order. The output key is the pair, and outputs are partitioned by key, so one
 *   partition holds all of a pair's levels;
 * - the pair's warehouse in the last changelog value of the SKU's record key (a tombstone
 *   removes it). `changelog` must be in each partition's offset order; a key's changes all go to
 *   its input partition's number.
 * Inputs that are not stock movements have no pair. `divergedAt` compares every output with the
 * level its source movement should have produced, which assumes that all of a SKU's movements
 * are in one input partition (they are keyed by SKU).
 */
export function stateFigures(
  inputs: readonly ChaosInput[],
  outputs: readonly ChaosResult[],
  deadLetters: readonly ChaosResult[],
  changelog: readonly ChangelogRecord[],
  options: { inputTopic: string; start?: number },
): StateFigures {
  const start = options.start ?? INVENTORY_START;
  const deadLettered = new Set<string>();
  for (const dead of deadLetters)
    if (dead.sourceTopic === options.inputTopic) deadLettered.add(`${dead.sourcePartition}:${dead.sourceOffset}`);

  const expected = new Map<string, number>();
  // The level each movement should leave, by `partition:offset`.
  const levelAfter = new Map<string, number>();
  // The record key each SKU came with: the changelog is keyed by record key.
  const skuOfKey = new Map<string, string>();
  const ordered = [...inputs].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const input of ordered) {
    const at = `${input.partition}:${input.offset}`;
    const movement = movementOf(input.value);
    if (movement === undefined || deadLettered.has(at)) continue;
    const pair = `${movement.sku}/${movement.warehouse}`;
    const level = (expected.get(pair) ?? start) + movement.delta;
    expected.set(pair, level);
    levelAfter.set(at, level);
    if (input.key !== null) skuOfKey.set(input.key, movement.sku);
  }

  const lastOutput = new Map<string, number>();
  const diverged = new Map<number, number>();
  for (const output of outputs) {
    const level = parsed(output.value) as { type?: unknown; sku?: unknown; warehouse?: unknown; level?: unknown };
    if (level == null || level.type !== 'stock-level' || typeof level.level !== 'number') continue;
    lastOutput.set(`${String(level.sku)}/${String(level.warehouse)}`, level.level);
    if (output.sourceTopic !== options.inputTopic) continue;
    const want = levelAfter.get(`${output.sourcePartition}:${output.sourceOffset}`);
    const seen = diverged.get(output.sourcePartition);
    if (want !== undefined && want !== level.level && (seen === undefined || output.sourceOffset < seen))
      diverged.set(output.sourcePartition, output.sourceOffset);
  }

  const lastValue = new Map<string, unknown>();
  for (const record of changelog) {
    if (record.key === null) continue;
    if (record.value === null) lastValue.delete(record.key);
    else lastValue.set(record.key, parsed(record.value));
  }
  const changelogLevel = new Map<string, unknown>();
  for (const [key, value] of lastValue) {
    const sku = skuOfKey.get(key) ?? key;
    // Not a {warehouse: level} object: the SKU's pairs then have no changelog level, a mismatch.
    if (value === null || typeof value !== 'object') continue;
    for (const [warehouse, level] of Object.entries(value)) changelogLevel.set(`${sku}/${warehouse}`, level);
  }

  const figures: StateFigures = {
    levels: 0,
    outputMismatches: 0,
    changelogMismatches: 0,
    stateMismatches: 0,
    divergedAt: [...diverged].sort((a, b) => a[0] - b[0]).map(([partition, offset]) => ({ partition, offset })),
    examples: [],
  };
  const pairs = new Set([...expected.keys(), ...lastOutput.keys(), ...changelogLevel.keys()]);
  figures.levels = pairs.size;
  for (const pair of pairs) {
    const want = expected.get(pair);
    const output = lastOutput.get(pair);
    const stored = changelogLevel.get(pair);
    const outputBad = output !== want;
    const storedBad = stored !== want;
    if (outputBad) figures.outputMismatches++;
    if (storedBad) figures.changelogMismatches++;
    if (!outputBad && !storedBad) continue;
    figures.stateMismatches++;
    if (figures.examples.length < 5)
      figures.examples.push(`${pair}: movements fold to ${want}, last output ${output}, changelog ${stored}`);
  }
  return figures;
}
