/**
 * A worker module that takes long to load is waited for, not given up on, and the wait is
 * reported while it lasts (real Piscina threads running dist/workers/runtime.js; no broker).
 */
import { join } from 'node:path';
import { WorkerPool } from '../../../src/dispatch/worker-pool.js';

test('probe reports a slow module load while it lasts, then resolves', async () => {
  const pool = new WorkerPool({
    threads: 1,
    env: { SLOW_LOAD_MS: '1500' },
    setup: {
      workerPath: join(__dirname, '..', '..', 'fixtures', 'slow-load.js'),
      inputFormat: 'json',
      outputFormat: 'json',
      avroWireFormat: 'confluent',
      outputSchemaId: 0,
    },
  });
  try {
    const waited: number[] = [];
    await pool.probe((ms) => waited.push(ms), 400);
    expect(waited.length).toBeGreaterThanOrEqual(2);
    expect(waited[0]).toBeGreaterThanOrEqual(350);
    expect(waited.every((ms, i) => i === 0 || ms > waited[i - 1]!)).toBe(true);
    // Once loaded, nothing more is reported.
    const after = waited.length;
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(waited).toHaveLength(after);
  } finally {
    await pool.destroy();
  }
}, 30_000);
