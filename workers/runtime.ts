/**
 * The worker thread entry run by Piscina: sets up the serdes and the user's function from
 * workerData, then runs each batch of a task through part-runner.ts and moves the results back.
 * It never touches Kafka (node-rdkafka loads in one thread per process only, FACTS.md).
 */
import { threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ProbeInput, TaskInput, TaskOutput, TaskResult, WorkerSetup } from '../src/dispatch/task.js';
import { createSerde, loadAvroType } from '../src/serde/serde.js';
import { stateValueProblems } from '../src/state/state-codec.js';
import type { WorkerFunction } from '../src/types.js';
import type { StateValueCheck } from './batch-state.js';
import { loadWorkerFunction } from './load-worker.js';
import { createPartRunner } from './part-runner.js';

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

let userFunction: WorkerFunction | undefined;
let loadError: string | undefined;
try {
  userFunction = loadWorkerFunction(setup.workerPath);
} catch (error) {
  loadError = (error as Error).message;
}
const runPart = createPartRunner({ inputSerde, outputSerde, userFunction, loadError, checkState });

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
