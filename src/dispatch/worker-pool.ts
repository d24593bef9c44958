/**
 * The Piscina pool that runs the worker runtime. One task is one batch; its bytes are packed
 * into one ArrayBuffer and transferred. A task that rejects (worker exited, out of memory) is
 * turned into a WORKER_CRASHED result, so callers only ever see TaskResult data.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Piscina } from 'piscina';
import type { Batch } from '../batching/batcher.js';
import { errorMessage, TurbineError } from '../errors.js';
import { packInput } from './codec.js';
import type { TaskInput, TaskResult, WorkerSetup } from './task.js';

/** Finds the compiled worker runtime (dist/workers/runtime.js) from src or dist. */
export function runtimePath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'dist', 'workers', 'runtime.js');
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, 'workers', 'runtime.js');
    if (existsSync(sibling) && existsSync(join(dir, 'src'))) return sibling;
    dir = dirname(dir);
  }
  throw new TurbineError('WORKER_MODULE_INVALID', 'Cannot find dist/workers/runtime.js; run `npm run build` first.');
}

export interface PoolOptions {
  threads: number;
  setup: WorkerSetup;
  /** Environment of the worker threads; defaults to the process's. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export class WorkerPool {
  private readonly pool: Piscina;

  constructor(options: PoolOptions) {
    this.pool = new Piscina({
      filename: runtimePath(),
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: options.setup,
      ...(options.env ? { env: { ...process.env, ...options.env } as Record<string, string> } : {}),
      // Tasks are bounded upstream by maxInFlightRecords; the queue itself need not reject.
      maxQueue: Number.POSITIVE_INFINITY,
    });
  }

  /** Loads the user module in a worker; throws WORKER_MODULE_INVALID with the reason. */
  async probe(): Promise<void> {
    try {
      await this.pool.run({ probe: true });
    } catch (error) {
      throw new TurbineError('WORKER_MODULE_INVALID', `Worker module failed to load: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  async run(batch: Batch, records = batch.records): Promise<TaskResult> {
    const buffer = packInput(records);
    const task: TaskInput = { buffer, topic: batch.topic, partition: batch.partition };
    try {
      return (await this.pool.run(task, { transferList: [buffer] })) as TaskResult;
    } catch (error) {
      return {
        ok: false,
        buffer: null,
        recordFailures: [],
        failure: { code: 'WORKER_CRASHED', message: errorMessage(error), recordIndex: -1 },
        userMs: 0,
        totalMs: 0,
        threadId: -1,
      };
    }
  }

  get utilization(): number {
    return this.pool.utilization;
  }

  get queueSize(): number {
    return this.pool.queueSize;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
