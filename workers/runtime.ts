/**
 * The worker thread entry run by Piscina: for each batch of the task, unpack → decode → user
 * function → encode → pack.
 * It never touches Kafka (node-rdkafka loads in one thread per process only, FACTS.md).
 * Failures are returned as data; a throwing user function rejects nothing.
 */
import { performance } from 'node:perf_hooks';
import { threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type EncodedOutput, packOutput, unpackInput } from '../src/dispatch/codec.js';
import type { ProbeInput, TaskInput, TaskOutput, TaskPart, TaskResult, WorkerSetup } from '../src/dispatch/task.js';
import type { ErrorCode, FailureData } from '../src/errors.js';
import { createSerde, loadAvroType } from '../src/serde/serde.js';
import { stateValueProblems } from '../src/state/state-codec.js';
import type { InputRecord, OutputRecord, WorkerFunction, WorkerOutput } from '../src/types.js';
import { BatchState, type StateValueCheck } from './batch-state.js';
import { loadWorkerFunction } from './load-worker.js';

const setup = workerData as WorkerSetup;
const inputSerde = createSerde({
  format: setup.inputFormat,
  schemaPath: setup.inputSchema,
  wireFormat: setup.avroWireFormat,
  schemaId: setup.outputSchemaId,
  registry: setup.inputRegistry,
});
const outputSerde = createSerde({
  format: setup.outputFormat,
  schemaPath: setup.outputSchema,
  wireFormat: setup.avroWireFormat,
  schemaId: setup.outputSchemaId,
});
const stateType = setup.stateSchema ? loadAvroType(setup.stateSchema) : undefined;
const checkState: StateValueCheck | undefined = stateType && ((value) => stateValueProblems(stateType, value));
/** Error codes a worker function's throw keeps (keyed-state misuse); any other throw is WORKER_FAILED. */
const STATE_CODES = new Set(['STATE_KEY_NOT_IN_BATCH', 'STATE_VALUE_INVALID']);

let userFunction: WorkerFunction | undefined;
let loadError: string | undefined;
try {
  userFunction = loadWorkerFunction(setup.workerPath);
} catch (error) {
  loadError = (error as Error).message;
}

const NO_OUTPUTS: EncodedOutput[] = [];

function keyBytes(key: OutputRecord['key']): Buffer | null {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function encodeOne(out: OutputRecord): EncodedOutput {
  const headers: Array<[string, Buffer]> = [];
  if (out.headers) {
    for (const name in out.headers) {
      const v = out.headers[name]!;
      headers.push([name, typeof v === 'string' ? Buffer.from(v, 'utf8') : v]);
    }
  }
  return { topic: out.topic ?? null, key: keyBytes(out.key), value: outputSerde.encode(out.value), headers };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The task's output with every part's output buffer moved, not copied. */
class MovableOutput {
  readonly [transferableSymbol]: ArrayBuffer[];
  readonly [valueSymbol]: TaskOutput;
  constructor(output: TaskOutput) {
    const buffers: ArrayBuffer[] = [];
    for (const result of output.results) if (result.buffer) buffers.push(result.buffer);
    this[transferableSymbol] = buffers;
    this[valueSymbol] = output;
  }
}

function failed(failure: FailureData, started: number, userMs: number): TaskResult {
  return {
    ok: false,
    buffer: null,
    recordFailures: [],
    failure,
    userMs,
    totalMs: performance.now() - started,
    threadId,
  };
}

export default async function runTask(task: TaskInput | ProbeInput): Promise<unknown> {
  if ('probe' in task) {
    if (loadError !== undefined) throw new Error(loadError);
    return { ok: true, threadId };
  }
  if (task.startedAt) Atomics.store(new BigInt64Array(task.startedAt), 0, BigInt(Date.now()));
  const results: TaskResult[] = [];
  for (const part of task.parts) results.push(await runPart(part));
  return move(new MovableOutput({ results }));
}

async function runPart(task: TaskPart): Promise<TaskResult> {
  const started = performance.now();
  if (!userFunction) {
    return failed({ code: 'WORKER_MODULE_INVALID', message: loadError ?? 'not loaded', recordIndex: -1 }, started, 0);
  }
  const raw = unpackInput(task.buffer);
  inputSerde.addWriterSchemas?.(task.writerSchemas);
  const recordFailures: FailureData[] = [];
  const batch: InputRecord[] = [];
  const indexOf: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    let value: unknown;
    try {
      value = inputSerde.decode(r.value);
    } catch (error) {
      // An id the registry does not know keeps its own code; any other decode failure is DECODE_ERROR.
      const code = (error as { code?: unknown }).code === 'SCHEMA_ID_UNKNOWN' ? 'SCHEMA_ID_UNKNOWN' : 'DECODE_ERROR';
      recordFailures.push({ code, message: message(error), recordIndex: i });
      continue;
    }
    batch.push({
      key: r.key,
      value,
      headers: r.headers,
      topic: task.topic,
      partition: task.partition,
      offset: r.offset,
      timestamp: r.timestamp,
    });
    indexOf.push(i);
  }

  let outputs: WorkerOutput[] = [];
  const state = task.state ? new BatchState(task.state, checkState) : undefined;
  const userStarted = performance.now();
  if (batch.length > 0) {
    try {
      outputs = await userFunction(batch, state ? { state } : {});
    } catch (error) {
      const thrown = (error as { code?: unknown }).code;
      const code = typeof thrown === 'string' && STATE_CODES.has(thrown) ? (thrown as ErrorCode) : 'WORKER_FAILED';
      return failed({ code, message: message(error), recordIndex: -1 }, started, performance.now() - userStarted);
    }
  }
  const userMs = performance.now() - userStarted;
  if (!Array.isArray(outputs) || outputs.length !== batch.length) {
    return failed(
      {
        code: 'WORKER_RESULT_INVALID',
        message: `worker must return an array with one entry per input record (${batch.length}), got ${
          Array.isArray(outputs) ? `an array of ${outputs.length}` : typeof outputs
        }`,
        recordIndex: -1,
      },
      started,
      userMs,
    );
  }

  const perInput: EncodedOutput[][] = new Array(raw.length).fill(NO_OUTPUTS);
  for (let j = 0; j < outputs.length; j++) {
    const entry = outputs[j];
    if (entry === null || entry === undefined) continue;
    const i = indexOf[j]!;
    try {
      perInput[i] = Array.isArray(entry) ? entry.map(encodeOne) : [encodeOne(entry)];
    } catch (error) {
      recordFailures.push({ code: 'ENCODE_ERROR', message: message(error), recordIndex: i });
    }
  }
  return {
    ok: true,
    buffer: packOutput(perInput),
    recordFailures,
    failure: null,
    ...(state ? { stateChanges: state.changes() } : {}),
    userMs,
    totalMs: performance.now() - started,
    threadId,
  };
}
