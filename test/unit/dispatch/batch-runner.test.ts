import type { Batch } from '../../../src/batching/batcher.js';
import { backoffMs, type RetryPolicy, type RunTask, runBatch } from '../../../src/dispatch/batch-runner.js';
import { type EncodedOutput, packOutput } from '../../../src/dispatch/codec.js';
import type { TaskResult } from '../../../src/dispatch/task.js';
import type { ErrorCode, FailureData } from '../../../src/errors.js';
import type { ConsumedRecord } from '../../../src/types.js';

const policy: RetryPolicy = { maxAttempts: 3, initialMs: 0, maxMs: 0 };

function record(offset: number): ConsumedRecord {
  const value = Buffer.from(`in-${offset}`);
  return { topic: 't', partition: 0, offset, timestamp: 0, key: null, value, headers: undefined, size: value.length };
}

function batchOf(count: number): Batch {
  const records = Array.from({ length: count }, (_, i) => record(100 + i));
  return { id: 1, topic: 't', partition: 0, lane: 't:0', epoch: 1, records, bytes: 0, openedAt: 0 };
}

/** The fake worker's output for one record: one message whose value names the offset. */
const outputFor = (r: ConsumedRecord): EncodedOutput[] => [
  { topic: null, key: null, value: Buffer.from(`out-${r.offset}`), headers: [] },
];

function ok(records: ConsumedRecord[], recordFailures: FailureData[] = []): TaskResult {
  const failed = new Set(recordFailures.map((f) => f.recordIndex));
  const buffer = packOutput(records.map((r, i) => (failed.has(i) ? [] : outputFor(r))));
  return { ok: true, buffer, recordFailures, failure: null, userMs: 1, totalMs: 2, threadId: 7 };
}

function failed(code: ErrorCode = 'WORKER_FAILED', message = 'boom'): TaskResult {
  return {
    ok: false,
    buffer: null,
    recordFailures: [],
    failure: { code, message, recordIndex: -1 },
    userMs: 1,
    totalMs: 2,
    threadId: 8,
  };
}

/** Output values as strings, per record, to compare whole outcomes at a glance. */
const values = (outputs: EncodedOutput[][]) => outputs.map((list) => list.map((o) => o.value!.toString()));

describe('runBatch', () => {
  it('returns the outputs of a batch that succeeds on the first attempt', async () => {
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) => ok(records));
    const batch = batchOf(3);
    const outcome = await runBatch(run, batch, policy);
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]![1]).toBe(batch.records);
    expect(values(outcome.outputs)).toEqual([['out-100'], ['out-101'], ['out-102']]);
    expect(outcome).toMatchObject({ deadLetters: [], attempts: 1, retriedRecords: 0, crashes: 0, workerMs: 2 });
    expect(outcome.threadIds).toEqual([7]);
  });

  it('retries a batch that fails twice, then succeeds, counting attempts, crashes and worker time', async () => {
    const results = [failed('WORKER_CRASHED', 'exited'), failed('WORKER_FAILED', 'threw')];
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(
      async (_batch, records) => results.shift() ?? ok(records),
    );
    const outcome = await runBatch(run, batchOf(4), policy);
    expect(run).toHaveBeenCalledTimes(3);
    // Every attempt got the whole batch.
    for (const call of run.mock.calls) expect(call[1]).toHaveLength(4);
    expect(values(outcome.outputs)).toEqual([['out-100'], ['out-101'], ['out-102'], ['out-103']]);
    expect(outcome.deadLetters).toEqual([]);
    expect(outcome.attempts).toBe(3);
    expect(outcome.retriedRecords).toBe(2 * 4);
    expect(outcome.crashes).toBe(1);
    expect(outcome.workerMs).toBe(6);
    expect(outcome.threadIds).toEqual([8, 8, 7]);
  });

  it('splits a batch whose attempts are used up and dead-letters only the poison record', async () => {
    const poison = 102; // record 2 of 0..4
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) =>
      records.some((r) => r.offset === poison) ? failed('WORKER_FAILED', `cannot process ${poison}`) : ok(records),
    );
    const before = Date.now();
    const outcome = await runBatch(run, batchOf(5), policy);
    // 3 attempts of the batch, then each record alone: 4 succeed at once, the poison one 3 times.
    expect(run).toHaveBeenCalledTimes(3 + 4 + 3);
    expect(run.mock.calls.slice(3).every((call) => call[1].length === 1)).toBe(true);
    expect(values(outcome.outputs)).toEqual([['out-100'], ['out-101'], [], ['out-103'], ['out-104']]);
    expect(outcome.deadLetters).toHaveLength(1);
    const dl = outcome.deadLetters[0]!;
    expect(dl).toMatchObject({ index: 2, code: 'WORKER_FAILED', message: 'cannot process 102', attempts: 6 });
    expect(dl.firstFailureAt).toBeGreaterThanOrEqual(before);
    expect(dl.lastFailureAt).toBeGreaterThanOrEqual(dl.firstFailureAt);
    expect(outcome.attempts).toBe(3);
    expect(outcome.retriedRecords).toBe(2 * 5 + 4 + 3);
    expect(outcome.workerMs).toBe(10 * 2);
    expect(outcome.threadIds).toHaveLength(10);
  });

  it("lets only the whole batch's first attempt be packed with other batches", async () => {
    const poison = 102;
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) =>
      records.some((r) => r.offset === poison) ? failed() : ok(records),
    );
    await runBatch(run, batchOf(5), policy);
    // Batch attempts 1..3, then the five records alone (the poison one three times).
    expect(run.mock.calls.map((call) => call[2])).toEqual([true, ...new Array(2 + 4 + 3).fill(false)]);
  });

  it('never packs the attempts of a parked record or of the records of a split batch', async () => {
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) =>
      records.some((r) => r.offset === 101) ? failed() : ok(records),
    );
    const outcome = await runBatch(run, batchOf(3), policy, { parkFailures: true });
    await outcome.parked[0]!.retry;
    expect(run.mock.calls[0]![2]).toBe(true);
    expect(run.mock.calls.slice(1).map((call) => call[2])).toEqual(new Array(run.mock.calls.length - 1).fill(false));
    expect(run.mock.calls.length).toBeGreaterThan(3);
  });

  it('dead-letters a single-record batch that fails every attempt with the failure code', async () => {
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async () =>
      failed('WORKER_CRASHED', 'out of memory'),
    );
    const outcome = await runBatch(run, batchOf(1), policy);
    expect(run).toHaveBeenCalledTimes(3);
    expect(outcome.outputs).toEqual([[]]);
    expect(outcome.deadLetters).toEqual([
      expect.objectContaining({ index: 0, code: 'WORKER_CRASHED', message: 'out of memory', attempts: 3 }),
    ]);
    expect(outcome.crashes).toBe(3);
  });

  it('dead-letters DECODE_ERROR and ENCODE_ERROR record failures without retrying', async () => {
    const failures: FailureData[] = [
      { code: 'DECODE_ERROR', message: 'bad json', recordIndex: 1 },
      { code: 'DECODE_ERROR', message: 'bad json again', recordIndex: 1 },
      { code: 'ENCODE_ERROR', message: 'not avro', recordIndex: 3 },
    ];
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) => ok(records, failures));
    const outcome = await runBatch(run, batchOf(4), policy);
    expect(run).toHaveBeenCalledTimes(1);
    expect(values(outcome.outputs)).toEqual([['out-100'], [], ['out-102'], []]);
    // One dead letter per record even when the worker reported it twice.
    expect(outcome.deadLetters.map((d) => [d.index, d.code, d.message, d.attempts])).toEqual([
      [1, 'DECODE_ERROR', 'bad json', 1],
      [3, 'ENCODE_ERROR', 'not avro', 1],
    ]);
    expect(outcome.retriedRecords).toBe(0);
  });

  it('reports other per-record failure codes as WORKER_FAILED', async () => {
    const failures: FailureData[] = [{ code: 'WORKER_RESULT_INVALID', message: 'no entry', recordIndex: 0 }];
    const outcome = await runBatch(async (_batch, records) => ok(records, failures), batchOf(2), policy);
    expect(outcome.deadLetters.map((d) => d.code)).toEqual(['WORKER_FAILED']);
    expect(values(outcome.outputs)).toEqual([[], ['out-101']]);
  });

  it('after a split, counts every attempt of a record that ends with a decode error', async () => {
    // The batch fails as a whole; alone, record 101 first crashes its worker, then reports a decode error.
    let singleCalls = 0;
    const run: RunTask = async (_batch, records) => {
      if (records.length > 1) return failed('WORKER_FAILED', 'batch threw');
      if (records[0]!.offset !== 101) return ok(records);
      singleCalls++;
      return singleCalls === 1
        ? failed('WORKER_CRASHED', 'exited')
        : ok(records, [{ code: 'DECODE_ERROR', message: 'bad bytes', recordIndex: 0 }]);
    };
    const outcome = await runBatch(run, batchOf(3), policy);
    expect(values(outcome.outputs)).toEqual([['out-100'], [], ['out-102']]);
    expect(outcome.deadLetters.map((d) => [d.index, d.code, d.message])).toEqual([[1, 'DECODE_ERROR', 'bad bytes']]);
    // 3 attempts as a batch + 2 alone.
    expect(outcome.deadLetters[0]!.attempts).toBe(5);
    expect(outcome.crashes).toBe(1);
  });
});

describe('backoffMs', () => {
  const retry: RetryPolicy = { maxAttempts: 10, initialMs: 100, maxMs: 1000 };

  it('doubles per attempt and is capped at maxMs (upper end of the jitter)', () => {
    const top = () => 1 - Number.EPSILON;
    const delays = [1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(retry, n, top));
    expect(delays.map(Math.round)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    for (const d of delays) expect(d).toBeLessThanOrEqual(retry.maxMs);
  });

  it('keeps at least half the base delay (equal jitter)', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(retry, n, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffMs(retry, 2, () => 0.5)).toBe(150);
  });

  it('treats attempt 0 like attempt 1 and a zero initial delay as no delay', () => {
    expect(backoffMs(retry, 0, () => 0)).toBe(50);
    expect(backoffMs({ maxAttempts: 3, initialMs: 0, maxMs: 1000 }, 5, () => 0.9)).toBe(0);
  });

  it('never exceeds maxMs for any random value', () => {
    for (let n = 1; n <= 40; n++) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.999999]) {
        const d = backoffMs(retry, n, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.min(retry.maxMs, retry.initialMs * 2 ** (n - 1)) / 2);
        expect(d).toBeLessThanOrEqual(retry.maxMs);
      }
    }
  });
});

describe('runBatch with parkFailures (key mode)', () => {
  it('splits after one failed batch attempt, returns the others at once and parks the failing record', async () => {
    let poisonAttempts = 0;
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) => {
      if (records.some((r) => r.offset === 101)) {
        poisonAttempts++;
        // Fails the batch, then its own first two attempts; succeeds on its third.
        return records.length > 1 || poisonAttempts < 3 ? failed() : ok(records);
      }
      return ok(records);
    });
    const outcome = await runBatch(run, batchOf(3), policy, { parkFailures: true });
    // One batch attempt, one single attempt each: the outcome does not wait for the retries.
    expect(run).toHaveBeenCalledTimes(4);
    expect(values(outcome.outputs)).toEqual([['out-100'], [], ['out-102']]);
    expect(outcome.deadLetters).toEqual([]);
    expect(outcome.parked.map((p) => [p.index, p.attempts])).toEqual([[1, 2]]);
    const retry = await outcome.parked[0]!.retry;
    expect(retry.deadLetter).toBeNull();
    expect(retry.outputs.map((o) => o.value!.toString())).toEqual(['out-101']);
    expect(retry.attempts).toBe(3);
  });

  it('a parked record that uses up its own attempts comes back as a dead letter', async () => {
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async (_batch, records) =>
      records.some((r) => r.offset === 100) ? failed('WORKER_FAILED', 'always') : ok(records),
    );
    const outcome = await runBatch(run, batchOf(2), policy, { parkFailures: true });
    expect(outcome.parked.map((p) => p.index)).toEqual([0]);
    const retry = await outcome.parked[0]!.retry;
    expect(retry.outputs).toEqual([]);
    // The batch's attempt plus the record's own maxAttempts.
    expect(retry.deadLetter).toMatchObject({ index: 0, code: 'WORKER_FAILED', message: 'always', attempts: 4 });
    expect(run).toHaveBeenCalledTimes(1 + 1 + 1 + 2);
  });

  it('a single-record batch is parked after its first attempt', async () => {
    const results = [failed(), ok(batchOf(1).records)];
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async () => results.shift()!);
    const outcome = await runBatch(run, batchOf(1), policy, { parkFailures: true });
    expect(run).toHaveBeenCalledTimes(1);
    expect(outcome.parked.map((p) => [p.index, p.attempts])).toEqual([[0, 1]]);
    const retry = await outcome.parked[0]!.retry;
    expect(retry).toMatchObject({ deadLetter: null, attempts: 2 });
  });

  it('with one attempt allowed nothing is parked: the record is dead-lettered at once', async () => {
    const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async () => failed());
    const outcome = await runBatch(run, batchOf(2), { ...policy, maxAttempts: 1 }, { parkFailures: true });
    expect(outcome.parked).toEqual([]);
    expect(outcome.deadLetters.map((d) => d.index)).toEqual([0, 1]);
  });
});

describe('runBatch after a packed task failed as a whole', () => {
  /** A task of several batches whose thread hung (or crashed): every batch in it gets this. */
  const shared = (code: ErrorCode = 'WORKER_TIMEOUT'): TaskResult => ({
    ...failed(code, 'thread replaced'),
    shared: true,
  });
  const once: RetryPolicy = { ...policy, maxAttempts: 1 };

  for (const parkFailures of [false, true]) {
    const mode = parkFailures ? 'key mode' : 'partition mode';

    it(`${mode}: an innocent single-record batch runs again alone and succeeds, no attempt used`, async () => {
      const results = [shared(), ok(batchOf(1).records)];
      const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async () => results.shift()!);
      const outcome = await runBatch(run, batchOf(1), once, { parkFailures });
      expect(run.mock.calls.map((call) => call[2])).toEqual([true, false]);
      expect(values(outcome.outputs)).toEqual([['out-100']]);
      expect(outcome.deadLetters).toEqual([]);
      expect(outcome.parked).toEqual([]);
      expect(outcome).toMatchObject({ attempts: 1, timeouts: 1 });
    });

    it(`${mode}: an innocent batch of several records is not split by a shared crash`, async () => {
      const results = [shared('WORKER_CRASHED')];
      const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(
        async (_b, records) => results.shift() ?? ok(records),
      );
      const outcome = await runBatch(run, batchOf(3), once, { parkFailures });
      expect(run.mock.calls.map((call) => call[1].length)).toEqual([3, 3]);
      expect(values(outcome.outputs)).toEqual([['out-100'], ['out-101'], ['out-102']]);
      expect(outcome).toMatchObject({ deadLetters: [], attempts: 1, crashes: 1 });
    });

    it(`${mode}: the batch that really hangs fails again alone and only it is dead-lettered`, async () => {
      const results = [shared(), failed('WORKER_TIMEOUT', 'ran too long')];
      const run = jest.fn<ReturnType<RunTask>, Parameters<RunTask>>(async () => results.shift()!);
      const outcome = await runBatch(run, batchOf(1), once, { parkFailures });
      expect(run).toHaveBeenCalledTimes(2);
      expect(outcome.deadLetters).toEqual([expect.objectContaining({ index: 0, code: 'WORKER_TIMEOUT', attempts: 1 })]);
      expect(outcome.timeouts).toBe(2);
    });
  }
});
