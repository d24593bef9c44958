/**
 * Under a steady overload the pool's waiting queue never empties. It used to be cleared only when
 * empty, so it kept an entry (and what its promise chain held) for every batch since the start:
 * the engine's RSS grew past 2 GiB within five minutes of a load above its capacity.
 */
import type { WorkerPool } from '../../../src/dispatch/worker-pool.js';
import { jsonBatch, probePool } from '../../helpers/probe-pool.js';

let pool: WorkerPool;
afterEach(async () => {
  await pool.destroy();
});

test('batches already handed to the pool are not kept while the queue stays non-empty', async () => {
  pool = probePool({ threads: 1 });
  const batches = 5000;
  let done = 0;
  let mostRetained = 0;
  // Taken entries kept beyond what the compaction allows: at most 1,024, or as many as still wait.
  let overBound = 0;
  const runs = [];
  for (let i = 0; i < batches; i++) {
    runs.push(
      pool.run(jsonBatch(0, [{ i }])).then((result) => {
        done++;
        mostRetained = Math.max(mostRetained, pool.takenRetained);
        if (pool.takenRetained > Math.max(1024, pool.waitingCount + 4)) overBound++;
        return result.ok;
      }),
    );
  }
  const ok = await Promise.all(runs);
  expect(ok.every(Boolean)).toBe(true);
  expect(done).toBe(batches);
  // The queue was non-empty until the end; without compaction the taken entries reach about
  // 5,000 while fewer and fewer batches wait.
  expect(mostRetained).toBeGreaterThan(1024);
  expect(mostRetained).toBeLessThan(batches);
  expect(overBound).toBe(0);
}, 120_000);
