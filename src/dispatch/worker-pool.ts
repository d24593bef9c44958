/**
 * The Piscina pool that runs the worker runtime. One task is one batch; its bytes are packed
 * into one ArrayBuffer and transferred. A task that rejects (worker exited, out of memory) is
 * turned into a WORKER_CRASHED result, so callers only ever see TaskResult data.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
  /** A running task taking longer is aborted: Piscina terminates its thread and starts another. 0 = no limit. */
  taskTimeoutMs?: number;
  setup: WorkerSetup;
  /** Environment of the worker threads; defaults to the process's. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

interface Queued {
  task: TaskInput;
  resolve: (result: TaskResult) => void;
}

/**
 * At most `threads × 2` tasks are handed to Piscina at a time; the rest wait here. So a task's
 * timeout starts about when it starts running, not while it waits behind a long queue.
 */
export class WorkerPool {
  private readonly pool: Piscina;
  private readonly limit: number;
  private readonly threadCount: number;
  private readonly timeoutMs: number;
  private readonly waiting: Queued[] = [];
  private waitingHead = 0;
  private active = 0;
  /** Tasks aborted for running longer than taskTimeoutMs. */
  timeouts = 0;

  constructor(options: PoolOptions) {
    this.limit = options.threads * 2;
    this.threadCount = options.threads;
    this.timeoutMs = options.taskTimeoutMs ?? 0;
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

  run(batch: Batch, records = batch.records): Promise<TaskResult> {
    const task: TaskInput = { buffer: packInput(records), topic: batch.topic, partition: batch.partition };
    return new Promise((resolve) => {
      this.waiting.push({ task, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.limit && this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++]!;
      this.active++;
      void this.execute(next.task).then((result) => {
        this.active--;
        next.resolve(result);
        this.pump();
      });
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    }
  }

  private async execute(task: TaskInput): Promise<TaskResult> {
    const signal = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined;
    const started = performance.now();
    try {
      return (await this.pool.run(task, { transferList: [task.buffer], ...(signal ? { signal } : {}) })) as TaskResult;
    } catch (error) {
      const timedOut = signal?.aborted === true;
      if (timedOut) this.timeouts++;
      return {
        ok: false,
        buffer: null,
        recordFailures: [],
        failure: timedOut
          ? {
              code: 'WORKER_TIMEOUT',
              message: `task ran longer than taskTimeoutMs (${this.timeoutMs} ms); its worker thread was replaced`,
              recordIndex: -1,
            }
          : { code: 'WORKER_CRASHED', message: errorMessage(error), recordIndex: -1 },
        userMs: 0,
        totalMs: performance.now() - started,
        threadId: -1,
      };
    }
  }

  /** True when every thread has a task (Piscina runs or queues at least one per thread). */
  get busy(): boolean {
    return this.active >= this.threadCount;
  }

  /** Batches waiting for a free slot in the pool. */
  get waitingCount(): number {
    return this.waiting.length - this.waitingHead;
  }

  get utilization(): number {
    return this.pool.utilization;
  }

  get queueSize(): number {
    return this.pool.queueSize + this.waitingCount;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
