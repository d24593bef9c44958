/**
 * The messages exchanged with worker threads. Plain data only: errors travel as FailureData.
 */
import type { FailureData } from '../errors.js';
import type { RecordFormat } from '../types.js';

/** Given to every worker thread once, as Piscina workerData. */
export interface WorkerSetup {
  workerPath: string;
  inputFormat: RecordFormat;
  outputFormat: RecordFormat;
  inputSchema?: string | undefined;
  outputSchema?: string | undefined;
  avroWireFormat: 'confluent' | 'plain';
  /** The id written in Avro outputs' Confluent header: the registry's id with a schema registry. */
  outputSchemaId: number;
  /**
   * Avro input with a schema registry: each value is decoded with the writer schema of its id
   * (sent with each task part), resolved to inputSchema when one is given.
   */
  inputRegistry?: boolean;
  /** Keyed state: the values' Avro schema file, checked when a worker sets a value. */
  stateSchema?: string | undefined;
}

/** One batch inside a task. */
export interface TaskPart {
  /** packInput() of the batch's records; transferred, not cloned. */
  buffer: ArrayBuffer;
  topic: string;
  partition: number;
  /**
   * With a state store: the current value (JSON text, null when absent) of every key of the
   * batch's records, keys as latin1 strings of the key bytes.
   */
  state?: StateEntries;
  /** With a schema registry: the writer schema text of each schema id in the batch (null: unknown to the registry). */
  writerSchemas?: WriterSchemas;
}

/** [schema id, schema text, or null when the registry does not know the id]. */
export type WriterSchemas = Array<[number, string | null]>;

/** Keyed state crossing the thread boundary: [key (latin1 of the key bytes), JSON text or null]. */
export type StateEntries = Array<[string, string | null]>;

/**
 * One Piscina task: one batch, or several small batches packed together while every thread was
 * busy (worker-pool.ts). The worker runs the parts one after another, each on its own: the user
 * function sees one batch at a time, and one part failing does not fail the others.
 */
export interface TaskInput {
  parts: TaskPart[];
  /**
   * Set when the pool has a task timeout: 8 shared bytes (a BigInt64Array) where the worker
   * stores Date.now() when it starts the task, so the timeout counts from then, not from when
   * the task was handed to Piscina and perhaps queued behind another.
   */
  startedAt?: SharedArrayBuffer;
}

/** What a task returns: one result per part, in part order. */
export interface TaskOutput {
  results: TaskResult[];
}

/** The outcome of one part (one batch). */
export interface TaskResult {
  ok: boolean;
  /** packOutput(): one list of outputs per input record (empty for failed records). */
  buffer: ArrayBuffer | null;
  /** Per-record failures that retrying cannot fix (decode or encode errors). */
  recordFailures: FailureData[];
  /** Set when ok is false: the batch failed as a whole (the user function threw). */
  failure: FailureData | null;
  /**
   * The whole task failed (its thread timed out or crashed) while it carried other batches too:
   * the failure may be theirs, so it is no attempt of this batch's.
   */
  shared?: boolean;
  /** With a state store, when ok: the keys the batch set (JSON text) or deleted (null), final values. */
  stateChanges?: StateEntries;
  /** Time inside the user function, ms. */
  userMs: number;
  /** Time inside the worker in all (unpack, decode, user function, encode, pack), ms. */
  totalMs: number;
  threadId: number;
}

/** Loads the module and checks it exports a function; used once before touching Kafka. */
export interface ProbeInput {
  probe: true;
}
