/**
 * Runs one batch to an outcome: the worker's outputs per record, plus the records that must be
 * dead-lettered. A batch that fails as a whole is retried with exponential backoff and jitter;
 * when its attempts are used up it is split and each record gets the same policy on its own,
 * so one poison record does not dead-letter its neighbours. Records whose value cannot be
 * decoded (or whose output cannot be encoded) are not retried: retrying cannot fix them.
 *
 * With `parkFailures` (key ordering) a failing batch is split after its first attempt instead,
 * and a record that fails on its own is *parked*: the batch's outcome is returned at once, and
 * the record's remaining attempts run in the background (`ParkedRecord.retry`), so the engine can
 * hold back only that record's key while the rest of the partition flows.
 */
import type { Batch } from '../batching/batcher.js';
import type { ErrorCode, FailureData } from '../errors.js';
import type { ConsumedRecord } from '../types.js';
import { type EncodedOutput, unpackOutput } from './codec.js';
import type { TaskResult } from './task.js';

export interface RetryPolicy {
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
}

export interface DeadLetter {
  index: number;
  code: ErrorCode;
  message: string;
  attempts: number;
  firstFailureAt: number;
  lastFailureAt: number;
}

/** A record whose attempts go on after its batch's outcome was returned (parkFailures). */
export interface ParkedRecord {
  index: number;
  /** Attempts made so far (the batch's and its own). */
  attempts: number;
  /** Settles when the record succeeds or uses up its attempts; rejects only if the pool itself fails. */
  retry: Promise<RecordRetry>;
}

export interface RecordRetry {
  outputs: EncodedOutput[];
  /** Set when the record used up its attempts; `index` is 0. */
  deadLetter: DeadLetter | null;
  workerMs: number;
  attempts: number;
  crashes: number;
  timeouts: number;
}

export interface RunOptions {
  /** Split at the first failure and park failing records instead of waiting for their retries. */
  parkFailures?: boolean;
  /** Run the records of a failed batch one after another rather than side by side (keyed state). */
  sequentialSplit?: boolean;
}

export interface BatchOutcome {
  /** One list per input record, in batch order (empty for dead-lettered and parked records). */
  outputs: EncodedOutput[][];
  deadLetters: DeadLetter[];
  /** Records still being retried (parkFailures only), in batch order. */
  parked: ParkedRecord[];
  /** Sum of worker time over every attempt, ms. */
  workerMs: number;
  attempts: number;
  retriedRecords: number;
  crashes: number;
  /** Attempts aborted for exceeding taskTimeoutMs. */
  timeouts: number;
  threadIds: number[];
  /** Keyed state: the batch's changes, set by the dispatcher once the batch is done. */
  state?: { changes: Array<[string, string | null]>; offsets: ReadonlyMap<string, number> } | undefined;
}

/**
 * Runs records of a batch on a worker. `packable` is true only for the whole batch's first
 * attempt: the pool may then run it in one task with other batches (worker-pool.ts).
 */
export type RunTask = (batch: Batch, records: ConsumedRecord[], packable: boolean) => Promise<TaskResult>;

const NON_RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['DECODE_ERROR', 'ENCODE_ERROR', 'SCHEMA_ID_UNKNOWN']);

export function backoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random, so retries of many batches spread out.
  return base / 2 + random() * (base / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Attempted {
  result: TaskResult | null;
  failure: FailureData | null;
  attempts: number;
  firstFailureAt: number;
  lastFailureAt: number;
  workerMs: number;
  crashes: number;
  timeouts: number;
  threadIds: number[];
}

/**
 * Runs `records` until they succeed or `limit` attempts were made in all. `from` carries on an
 * earlier call for the same records (its attempts count, and the next backoff follows them).
 */
async function attempt(
  run: RunTask,
  batch: Batch,
  records: ConsumedRecord[],
  policy: RetryPolicy,
  limit = policy.maxAttempts,
  from?: Attempted,
): Promise<Attempted> {
  const out: Attempted = from
    ? { ...from, threadIds: [] as number[], workerMs: 0, crashes: 0, timeouts: 0 }
    : {
        result: null,
        failure: null,
        attempts: 0,
        firstFailureAt: 0,
        lastFailureAt: 0,
        workerMs: 0,
        crashes: 0,
        timeouts: 0,
        threadIds: [],
      };
  let packable = from === undefined && records === batch.records;
  for (let n = out.attempts + 1; n <= limit; n++) {
    if (n > 1) await sleep(backoffMs(policy, n - 1));
    out.attempts = n;
    const result = await run(batch, records, packable && n === 1);
    out.workerMs += result.totalMs;
    out.threadIds.push(result.threadId);
    if (result.shared) {
      // A packed task's thread hung or crashed: any batch in it may be the cause. Run this one
      // again alone, at once, before counting an attempt against its records.
      packable = false;
      if (result.failure?.code === 'WORKER_CRASHED') out.crashes++;
      if (result.failure?.code === 'WORKER_TIMEOUT') out.timeouts++;
      n--;
      continue;
    }
    if (result.ok) {
      out.result = result;
      out.failure = null;
      return out;
    }
    const now = Date.now();
    if (out.firstFailureAt === 0) out.firstFailureAt = now;
    out.lastFailureAt = now;
    out.failure = result.failure;
    if (result.failure?.code === 'WORKER_CRASHED') out.crashes++;
    if (result.failure?.code === 'WORKER_TIMEOUT') out.timeouts++;
  }
  return out;
}

export async function runBatch(
  run: RunTask,
  batch: Batch,
  policy: RetryPolicy,
  options: RunOptions = {},
): Promise<BatchOutcome> {
  const park = options.parkFailures === true;
  const whole = await attempt(run, batch, batch.records, policy, park ? 1 : policy.maxAttempts);
  const outcome: BatchOutcome = {
    outputs: [],
    deadLetters: [],
    parked: [],
    workerMs: whole.workerMs,
    attempts: whole.attempts,
    retriedRecords: (whole.attempts - 1) * batch.records.length,
    crashes: whole.crashes,
    timeouts: whole.timeouts,
    threadIds: whole.threadIds,
  };
  if (whole.result) {
    outcome.outputs = unpackOutput(whole.result.buffer!);
    const seen = new Set<number>();
    for (const f of whole.result.recordFailures) {
      if (seen.has(f.recordIndex)) continue;
      seen.add(f.recordIndex);
      outcome.outputs[f.recordIndex] = [];
      const now = Date.now();
      outcome.deadLetters.push({
        index: f.recordIndex,
        code: NON_RETRIABLE.has(f.code) ? f.code : 'WORKER_FAILED',
        message: f.message,
        attempts: 1,
        firstFailureAt: now,
        lastFailureAt: now,
      });
    }
    return outcome;
  }

  // The batch failed every attempt: isolate the failing records.
  const count = batch.records.length;
  if (park && whole.attempts < policy.maxAttempts && count === 1) {
    outcome.outputs = [[]];
    outcome.parked.push({
      index: 0,
      attempts: whole.attempts,
      retry: retryParked(run, batch, batch.records[0]!, policy, whole, whole.attempts),
    });
    return outcome;
  }
  if (count === 1) {
    outcome.outputs = [[]];
    outcome.deadLetters.push({
      index: 0,
      code: whole.failure?.code ?? 'WORKER_FAILED',
      message: whole.failure?.message ?? 'unknown failure',
      attempts: whole.attempts,
      firstFailureAt: whole.firstFailureAt,
      lastFailureAt: whole.lastFailureAt,
    });
    return outcome;
  }
  outcome.outputs = new Array(count);
  const single = (record: ConsumedRecord) => attempt(run, batch, [record], policy, park ? 1 : policy.maxAttempts);
  let singles: Attempted[];
  if (options.sequentialSplit) {
    // Keyed state: a record must see the state its predecessors in the batch left.
    singles = [];
    for (const record of batch.records) singles.push(await single(record));
  } else singles = await Promise.all(batch.records.map(single));
  for (let i = 0; i < count; i++) {
    const single = singles[i]!;
    outcome.workerMs += single.workerMs;
    outcome.crashes += single.crashes;
    outcome.timeouts += single.timeouts;
    outcome.retriedRecords += single.attempts;
    outcome.threadIds.push(...single.threadIds);
    if (single.result) {
      const outputs = unpackOutput(single.result.buffer!)[0] ?? [];
      const recordFailure = single.result.recordFailures[0];
      if (recordFailure) {
        outcome.outputs[i] = [];
        outcome.deadLetters.push({
          index: i,
          code: recordFailure.code,
          message: recordFailure.message,
          attempts: whole.attempts + single.attempts,
          firstFailureAt: whole.firstFailureAt,
          lastFailureAt: Date.now(),
        });
      } else outcome.outputs[i] = outputs;
    } else if (park && single.attempts < policy.maxAttempts) {
      outcome.outputs[i] = [];
      const prior = { ...single, attempts: whole.attempts + single.attempts, firstFailureAt: whole.firstFailureAt };
      outcome.parked.push({
        index: i,
        attempts: prior.attempts,
        retry: retryParked(run, batch, batch.records[i]!, policy, prior, single.attempts),
      });
    } else {
      outcome.outputs[i] = [];
      outcome.deadLetters.push({
        index: i,
        code: single.failure?.code ?? 'WORKER_FAILED',
        message: single.failure?.message ?? 'unknown failure',
        attempts: whole.attempts + single.attempts,
        firstFailureAt: whole.firstFailureAt,
        lastFailureAt: single.lastFailureAt,
      });
    }
  }
  return outcome;
}

/**
 * The background attempts of a parked record: up to maxAttempts of its own (the batch's attempt
 * does not use up the record's), then a dead letter. `ownAttempts` were already made alone.
 */
async function retryParked(
  run: RunTask,
  batch: Batch,
  record: ConsumedRecord,
  policy: RetryPolicy,
  prior: Attempted,
  ownAttempts: number,
): Promise<RecordRetry> {
  const batchAttempts = prior.attempts - ownAttempts;
  const own = await attempt(run, batch, [record], policy, policy.maxAttempts, { ...prior, attempts: ownAttempts });
  const retry: RecordRetry = {
    outputs: [],
    deadLetter: null,
    workerMs: own.workerMs,
    attempts: batchAttempts + own.attempts,
    crashes: own.crashes,
    timeouts: own.timeouts,
  };
  const failure = own.result ? own.result.recordFailures[0] : (own.failure ?? undefined);
  if (own.result && !failure) retry.outputs = unpackOutput(own.result.buffer!)[0] ?? [];
  else {
    retry.deadLetter = {
      index: 0,
      code: failure?.code ?? 'WORKER_FAILED',
      message: failure?.message ?? 'unknown failure',
      attempts: retry.attempts,
      firstFailureAt: prior.firstFailureAt,
      lastFailureAt: own.result ? Date.now() : own.lastFailureAt,
    };
  }
  return retry;
}
