/**
 * The task timeout counts from when a worker starts the task (real Piscina threads running
 * dist/workers/runtime.js; no broker). With one thread, a batch handed to Piscina behind a
 * hanging one waits there until the hang is cut; it must then run, not be cut too.
 */
import { performance } from 'node:perf_hooks';
import { unpackOutput } from '../../../src/dispatch/codec.js';
import type { WorkerPool } from '../../../src/dispatch/worker-pool.js';
import { jsonBatch, probePool } from '../../helpers/probe-pool.js';

const TIMEOUT_MS = 800;

describe('task timeout', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.destroy();
    pool = undefined;
  });

  beforeEach(async () => {
    pool = probePool({ taskTimeoutMs: TIMEOUT_MS });
    await pool.probe();
  });

  it('a task queued behind a hanging one runs once the hang is cut', async () => {
    // Both go to Piscina at once (two tasks per thread); the second waits for the only thread.
    const hung = pool!.run(jsonBatch(0, [{ id: 1, hang: true }]));
    const queued = pool!.run(jsonBatch(0, [{ id: 2, slowMs: 50 }, { id: 3 }]));
    const [hungResult, queuedResult] = await Promise.all([hung, queued]);
    expect(hungResult.failure).toMatchObject({ code: 'WORKER_TIMEOUT' });
    expect(queuedResult.ok).toBe(true);
    expect(queuedResult.failure).toBeNull();
    const ids = unpackOutput(queuedResult.buffer!).map((outs) => JSON.parse(outs[0]!.value!.toString()).id);
    expect(ids).toEqual([2, 3]);
    expect(pool!.timeouts).toBe(1);
  }, 20_000);

  it('a queued task that hangs too gets its own full timeout, counted from its start', async () => {
    const started = performance.now();
    const results = await Promise.all([
      pool!.run(jsonBatch(0, [{ hang: true }])),
      pool!.run(jsonBatch(0, [{ hang: true }])),
    ]);
    const elapsed = performance.now() - started;
    expect(results.map((r) => r.failure?.code)).toEqual(['WORKER_TIMEOUT', 'WORKER_TIMEOUT']);
    expect(pool!.timeouts).toBe(2);
    // The second ran only after the first was cut: two timeouts back to back, not one shared.
    expect(elapsed).toBeGreaterThanOrEqual(2 * TIMEOUT_MS);
  }, 20_000);
});
