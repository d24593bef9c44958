/**
 * Runs one batch to an outcome: the worker's outputs per record, plus the records that must be
 * dead-lettered. A batch that fails as a whole is retried with exponential backoff and jitter;
 * when its attempts are used up it is split and each record gets the same policy on its own,
 * so one poison record does not dead-letter its neighbours. Records whose value cannot be
 * decoded (or whose output cannot be encoded) are not retried: retrying cannot fix them.
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

export interface BatchOutcome {
  /** One list per input record, in batch order (empty for dead-lettered records). */
  outputs: EncodedOutput[][];
  deadLetters: DeadLetter[];
  /** Sum of worker time over every attempt, ms. */
  workerMs: number;
  attempts: number;
  retriedRecords: number;
  crashes: number;
  /** Attempts aborted for exceeding taskTimeoutMs. */
  timeouts: number;
  threadIds: number[];
}

export type RunTask = (batch: Batch, records: ConsumedRecord[]) => Promise<TaskResult>;

const NON_RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['DECODE_ERROR', 'ENCODE_ERROR']);

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

async function attempt(run: RunTask, batch: Batch, records: ConsumedRecord[], policy: RetryPolicy): Promise<Attempted> {
  const out: Attempted = {
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
  for (let n = 1; n <= policy.maxAttempts; n++) {
    out.attempts = n;
    const result = await run(batch, records);
    out.workerMs += result.totalMs;
    out.threadIds.push(result.threadId);
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
    if (n < policy.maxAttempts) await sleep(backoffMs(policy, n));
  }
  return out;
}

export async function runBatch(run: RunTask, batch: Batch, policy: RetryPolicy): Promise<BatchOutcome> {
  const whole = await attempt(run, batch, batch.records, policy);
  const outcome: BatchOutcome = {
    outputs: [],
    deadLetters: [],
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
  const singles = await Promise.all(batch.records.map((record) => attempt(run, batch, [record], policy)));
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
