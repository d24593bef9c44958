/**
 * One batch through the worker side: unpack → decode → user function → encode → pack. Kept apart
 * from the Piscina entry (runtime.ts) so the benchmark of the worker-side cost
 * (benchmarks/worker-cost.ts) runs exactly this code in one thread.
 * Failures are returned as data; a throwing user function rejects nothing.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { OutputPacker, unpackInput } from '../src/dispatch/codec.js';
import type { TaskPart, TaskResult } from '../src/dispatch/task.js';
import type { ErrorCode, FailureData } from '../src/errors.js';
import type { ValueSerde } from '../src/serde/serde.js';
import type { InputRecord, OutputRecord, WorkerFunction, WorkerOutput } from '../src/types.js';
import { BatchState, type StateValueCheck } from './batch-state.js';

export interface PartRunnerOptions {
  inputSerde: ValueSerde;
  outputSerde: ValueSerde;
  /** The user's function, or undefined when its module failed to load (then loadError says why). */
  userFunction: WorkerFunction | undefined;
  loadError?: string | undefined;
  /** Keyed state with an Avro schema: checks each value a worker sets. */
  checkState?: StateValueCheck | undefined;
}

export type PartRunner = (part: TaskPart) => Promise<TaskResult>;

/** Error codes a worker function's throw keeps (keyed-state misuse); any other throw is WORKER_FAILED. */
const STATE_CODES = new Set(['STATE_KEY_NOT_IN_BATCH', 'STATE_VALUE_INVALID']);
const NO_HEADERS: Array<[string, Uint8Array | string]> = [];

function headersOf(headers: OutputRecord['headers']): Array<[string, Uint8Array | string]> {
  if (!headers) return NO_HEADERS;
  const out: Array<[string, Uint8Array | string]> = [];
  for (const name in headers) out.push([name, headers[name]!]);
  return out;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

export function createPartRunner(options: PartRunnerOptions): PartRunner {
  const { inputSerde, outputSerde, userFunction, loadError, checkState } = options;

  const writeValue = (value: unknown, target: Buffer, at: number) => outputSerde.write(value, target, at);
  /** Encodes one input's outputs straight into the packer (one buffer for the whole batch). */
  function packOne(packer: OutputPacker, out: OutputRecord): void {
    packer.output(out.topic ?? null, out.key ?? null, out.value, writeValue, headersOf(out.headers));
  }

  return async function runPart(task: TaskPart): Promise<TaskResult> {
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

    // Outputs are encoded straight into the buffer moved back: sized like the input, grown if short.
    const packer = new OutputPacker(raw.length, task.buffer.byteLength + 1024);
    let j = 0;
    for (let i = 0; i < raw.length; i++) {
      packer.beginInput();
      if (indexOf[j] !== i) continue; // failed to decode: no outputs
      const entry = outputs[j++];
      if (entry === null || entry === undefined) continue;
      try {
        if (Array.isArray(entry)) for (const out of entry) packOne(packer, out);
        else packOne(packer, entry);
      } catch (error) {
        packer.abandonInput();
        recordFailures.push({ code: 'ENCODE_ERROR', message: message(error), recordIndex: i });
      }
    }
    return {
      ok: true,
      buffer: packer.finish(),
      recordFailures,
      failure: null,
      ...(state ? { stateChanges: state.changes() } : {}),
      userMs,
      totalMs: performance.now() - started,
      threadId,
    };
  };
}
