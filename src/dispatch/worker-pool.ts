/**
 * The Piscina pool that runs the worker runtime. Each batch's bytes are packed into one
 * ArrayBuffer and transferred. A task that rejects (worker exited, out of memory) is turned into
 * a WORKER_CRASHED result, so callers only ever see TaskResult data.
 *
 * Batches that wait because every thread is busy are packed: when a slot frees, the batches
 * waiting at the head of the queue go out as one task, up to `packLimit()` records and
 * maxPackBytes. Under backlog, many small batches (key lanes, a trickle over many partitions,
 * batches cut by linger) would otherwise each pay a task's fixed cost: a message each way, a
 * thread wake-up, a promise. Nothing is packed while a thread is free, so low load keeps its
 * latency. Only first attempts are packed, and a packed task that times out or crashes marks its
 * results `shared`: each batch then runs again alone before any attempt counts, so a record that
 * hangs or crashes its thread cannot use up the attempts of the batches packed with it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import type { Batch } from '../batching/batcher.js';
import { errorMessage, TurbineError } from '../errors.js';
import type { WriterSchemaSource } from '../registry/writer-schemas.js';
import { packInput } from './codec.js';
import type { StateEntries, TaskInput, TaskOutput, TaskPart, TaskResult, WorkerSetup } from './task.js';

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
  /** Most records in one packed task (read at each dispatch); default: no packing. */
  packLimit?: () => number;
  /** Most bytes in one packed task; default: no limit beyond packLimit. */
  maxPackBytes?: number;
  /** Called as each task is handed to a worker thread (the engine counts tasks with it). */
  onTask?: () => void;
  /** With a schema registry: the writer schemas each batch's records need, sent with the batch. */
  writerSchemas?: WriterSchemaSource | undefined;
}

/** How often a timeout re-checks a task that no worker has started yet. */
const NOT_STARTED_RECHECK_MS = 50;
/** Taken entries at the head of the waiting queue before they are cut off (amortized O(1) per batch). */
const COMPACT_AFTER = 1024;

/**
 * Aborts `task` once it has run `timeoutMs` on a worker. The timer first fires `timeoutMs` after
 * dispatch; if the worker started the task later than that, it is re-armed for the rest, and if
 * no worker has started it yet, it looks again shortly.
 */
function startTimeout(task: TaskInput, timeoutMs: number): { signal: AbortSignal; cancel(): void } {
  const startedAt = new SharedArrayBuffer(8);
  task.startedAt = startedAt;
  const stamp = new BigInt64Array(startedAt);
  const controller = new AbortController();
  let timer: NodeJS.Timeout;
  const check = (): void => {
    const started = Number(Atomics.load(stamp, 0));
    if (started === 0) {
      timer = setTimeout(check, Math.min(timeoutMs, NOT_STARTED_RECHECK_MS));
      return;
    }
    const left = started + timeoutMs - Date.now();
    if (left <= 0) controller.abort(new Error(`task ran longer than ${timeoutMs} ms`));
    else timer = setTimeout(check, left);
  };
  timer = setTimeout(check, timeoutMs);
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}

interface Queued {
  part: TaskPart;
  records: number;
  bytes: number;
  packable: boolean;
  resolve: (result: TaskResult) => void;
}

/**
 * At most `threads × 2` tasks are handed to Piscina at a time; the rest wait here. A task's
 * timeout counts from when a worker starts it (startedAt), so a task that Piscina queued behind
 * a hanging one is not cut short while it waits.
 */
export class WorkerPool {
  private readonly pool: Piscina;
  private readonly limit: number;
  private readonly threadCount: number;
  private readonly timeoutMs: number;
  private readonly onTask: (() => void) | undefined;
  private readonly waiting: Queued[] = [];
  private waitingHead = 0;
  private active = 0;
  private readonly packLimit: () => number;
  private readonly maxPackBytes: number;
  private readonly writerSchemas: WriterSchemaSource | undefined;
  /** Tasks aborted for running longer than taskTimeoutMs. */
  timeouts = 0;
  /** Tasks sent to Piscina, and the batches they carried (batches ÷ tasks = packing factor). */
  tasksRun = 0;
  batchesRun = 0;

  constructor(options: PoolOptions) {
    this.limit = options.threads * 2;
    this.threadCount = options.threads;
    this.timeoutMs = options.taskTimeoutMs ?? 0;
    this.onTask = options.onTask;
    this.packLimit = options.packLimit ?? (() => 0);
    this.maxPackBytes = options.maxPackBytes ?? Number.POSITIVE_INFINITY;
    this.writerSchemas = options.writerSchemas;
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

  /**
   * Loads the user module in a worker; throws WORKER_MODULE_INVALID with the reason. A module can
   * take long to load (a big TypeScript file compiled on load, a busy machine): `onSlow` is called
   * every `slowAfterMs` while it still loads, so the wait is never silent.
   */
  async probe(onSlow?: (waitedMs: number) => void, slowAfterMs = 10_000): Promise<void> {
    const started = performance.now();
    const timer = onSlow && setInterval(() => onSlow(Math.round(performance.now() - started)), slowAfterMs);
    try {
      await this.pool.run({ probe: true });
    } catch (error) {
      throw new TurbineError('WORKER_MODULE_INVALID', `Worker module failed to load: ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Runs `records` (the whole batch by default) as one part of a task. `packable`: the batch's
   * first attempt, which may share a task with other waiting batches.
   */
  run(batch: Batch, records = batch.records, packable = false, state?: StateEntries): Promise<TaskResult> {
    const part: TaskPart = { buffer: packInput(records), topic: batch.topic, partition: batch.partition };
    if (state) part.state = state;
    const schemas = this.writerSchemas?.schemasFor(records);
    if (schemas === undefined) return this.enqueue(part, records.length, packable);
    // Cached schemas go with the batch at once; a batch with an id not fetched yet waits for it.
    if (Array.isArray(schemas)) {
      part.writerSchemas = schemas;
      return this.enqueue(part, records.length, packable);
    }
    return schemas.then((fetched) => {
      part.writerSchemas = fetched;
      return this.enqueue(part, records.length, packable);
    });
  }

  private enqueue(part: TaskPart, records: number, packable: boolean): Promise<TaskResult> {
    return new Promise((resolve) => {
      this.waiting.push({ part, records, bytes: part.buffer.byteLength, packable, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.limit && this.waitingHead < this.waiting.length) {
      const group = this.takeGroup();
      this.active++;
      void this.execute(group.map((q) => q.part)).then((results) => {
        this.active--;
        for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
        this.pump();
      });
    }
    // Drop the taken entries: under a steady overload the queue never empties, and the array
    // would otherwise keep every batch (and what its promise chain holds) since the start.
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    } else if (this.waitingHead >= COMPACT_AFTER && this.waitingHead * 2 >= this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
  }

  /** The next waiting batch, plus the packable batches behind it that fit in one task. */
  private takeGroup(): Queued[] {
    const first = this.waiting[this.waitingHead++]!;
    const group = [first];
    if (!first.packable) return group;
    const maxRecords = this.packLimit();
    let records = first.records;
    let bytes = first.bytes;
    while (this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead]!;
      if (!next.packable || records + next.records > maxRecords || bytes + next.bytes > this.maxPackBytes) break;
      group.push(next);
      records += next.records;
      bytes += next.bytes;
      this.waitingHead++;
    }
    return group;
  }

  private async execute(parts: TaskPart[]): Promise<TaskResult[]> {
    const started = performance.now();
    const task: TaskInput = { parts };
    const timeout = this.timeoutMs > 0 ? startTimeout(task, this.timeoutMs) : undefined;
    const signal = timeout?.signal;
    this.tasksRun++;
    this.batchesRun += parts.length;
    this.onTask?.();
    try {
      const output = (await this.pool.run(task, {
        transferList: parts.map((p) => p.buffer),
        ...(signal ? { signal } : {}),
      })) as TaskOutput;
      return output.results;
    } catch (error) {
      const timedOut = signal?.aborted === true;
      if (timedOut) this.timeouts++;
      const failure: TaskResult = {
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
        // Each part is charged its share, so worker-time figures add up to the task's.
        totalMs: (performance.now() - started) / parts.length,
        threadId: -1,
        ...(parts.length > 1 ? { shared: true } : {}),
      };
      return parts.map(() => failure);
    } finally {
      timeout?.cancel();
    }
  }

  /** True when every thread has a task (Piscina runs or queues at least one per thread). */
  get busy(): boolean {
    return this.active >= this.threadCount;
  }

  /** Entries the waiting queue still holds that were already handed to Piscina (bounded by the compaction). */
  get takenRetained(): number {
    return this.waitingHead;
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
    this.writerSchemas?.close();
    await this.pool.destroy();
  }
}
