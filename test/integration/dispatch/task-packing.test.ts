/**
 * Task packing in the real worker pool (Piscina threads running dist/workers/runtime.js; no
 * broker): batches that wait for a busy pool go out together, each part still gets its own
 * result in its own order, a part that throws fails only itself, and a part that hangs costs its
 * task-mates a second run alone, never an attempt or a record: with one attempt allowed, only the
 * hanging batch is dead-lettered.
 */
import { runBatch } from '../../../src/dispatch/batch-runner.js';
import { unpackOutput } from '../../../src/dispatch/codec.js';
import type { WorkerPool } from '../../../src/dispatch/worker-pool.js';
import { jsonBatch, probePool } from '../../helpers/probe-pool.js';

function makePool(packLimit: number, taskTimeoutMs = 0): WorkerPool {
  return probePool({ packLimit, taskTimeoutMs });
}

interface Echo {
  id: number;
  partition: number;
  offset: number;
  batchSize: number;
}
const echoes = (buffer: ArrayBuffer): Echo[] =>
  unpackOutput(buffer).map((outs) => JSON.parse(outs[0]!.value!.toString()) as Echo);

/** Two slow batches fill the pool's two slots (one thread), so what comes next has to wait. */
function occupy(pool: WorkerPool): Array<Promise<unknown>> {
  return [0, 1].map(() => pool.run(jsonBatch(99, [{ id: -1, slowMs: 300 }]), undefined, true));
}

describe('task packing in the worker pool', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
  });

  it('packs waiting batches up to the limit and returns each batch its own outputs in order', async () => {
    pool = makePool(10);
    await pool.probe();
    const busy = occupy(pool);
    const batches = Array.from({ length: 20 }, (_, b) =>
      jsonBatch(
        b % 4,
        Array.from({ length: 5 }, (_, i) => ({ id: b * 100 + i })),
      ),
    );
    const results = await Promise.all(batches.map((b) => pool!.run(b, b.records, true)));
    await Promise.all(busy);
    for (let b = 0; b < batches.length; b++) {
      const result = results[b]!;
      expect(result.ok).toBe(true);
      const out = echoes(result.buffer!);
      expect(out.map((e) => e.id)).toEqual([0, 1, 2, 3, 4].map((i) => b * 100 + i));
      expect(out.map((e) => e.offset)).toEqual(batches[b]!.records.map((r) => r.offset));
      // The user function still sees one batch (one partition) at a time.
      expect(out.every((e) => e.partition === b % 4 && e.batchSize === 5)).toBe(true);
    }
    // 2 slow tasks + 20 batches of 5 in tasks of at most 10 records: at least 10 tasks for them.
    expect(pool.batchesRun).toBe(22);
    expect(pool.tasksRun).toBeGreaterThanOrEqual(12);
    expect(pool.tasksRun).toBeLessThan(22);
  });

  it('packs nothing while a thread is free, nor batches not marked packable', async () => {
    pool = makePool(1000);
    await pool.probe();
    for (let i = 0; i < 5; i++) {
      const b = jsonBatch(0, [{ id: i }]);
      expect((await pool.run(b, b.records, true)).ok).toBe(true);
    }
    const busy = occupy(pool);
    const waiting = Array.from({ length: 6 }, (_, i) => jsonBatch(1, [{ id: i }]));
    const results = await Promise.all(waiting.map((b) => pool!.run(b, b.records, false)));
    await Promise.all(busy);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(pool.tasksRun).toBe(pool.batchesRun);
  });

  it('fails only the packed batch whose worker call throws', async () => {
    pool = makePool(1000);
    await pool.probe();
    const busy = occupy(pool);
    const batches = [
      jsonBatch(0, [{ id: 1 }, { id: 2 }]),
      jsonBatch(1, [{ id: 3 }, { id: 4, throw: true }]),
      jsonBatch(2, [{ id: 5 }]),
    ];
    const results = await Promise.all(batches.map((b) => pool!.run(b, b.records, true)));
    await Promise.all(busy);
    expect(pool.tasksRun).toBeLessThan(pool.batchesRun);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]!.failure).toMatchObject({ code: 'WORKER_FAILED' });
    expect(results[1]!.failure!.message).toContain('thrown at offset');
    expect(echoes(results[0]!.buffer!).map((e) => e.id)).toEqual([1, 2]);
    expect(echoes(results[2]!.buffer!).map((e) => e.id)).toEqual([5]);
  });

  it('a batch that hangs makes its task-mates run again alone, using no attempt; only it is dead-lettered', async () => {
    pool = makePool(1000, 1500);
    await pool.probe();
    const busy = occupy(pool);
    const batches = [
      jsonBatch(0, [{ id: 1 }]),
      jsonBatch(1, [{ id: 2, hang: true }]),
      jsonBatch(2, [{ id: 3 }, { id: 4 }]),
    ];
    // One attempt each (as the chaos poison scenario runs): a packed failure must not count.
    const policy = { maxAttempts: 1, initialMs: 10, maxMs: 10 };
    const outcomes = await Promise.all(batches.map((b) => runBatch((x, r, p) => pool!.run(x, r, p), b, policy)));
    await Promise.all(busy);
    expect(pool.timeouts).toBe(2); // the packed task, then the hanging batch alone
    const [first, hung, third] = outcomes;
    expect(first!.deadLetters).toEqual([]);
    expect(first!.timeouts).toBe(1);
    expect(first!.attempts).toBe(1);
    expect(first!.outputs.map((o) => JSON.parse(o[0]!.value!.toString()).id)).toEqual([1]);
    expect(third!.deadLetters).toEqual([]);
    expect(third!.outputs.map((o) => JSON.parse(o[0]!.value!.toString()).id)).toEqual([3, 4]);
    expect(hung!.deadLetters).toHaveLength(1);
    expect(hung!.deadLetters[0]).toMatchObject({ index: 0, code: 'WORKER_TIMEOUT', attempts: 1 });
  }, 30_000);
});
