/**
 * The records, batches and results that flow between Turbine's stages, and the worker contract.
 */

/** Header values as the worker sees them on input. */
export type InputHeaders = Record<string, Buffer>;
/** Header values a worker may set on output. */
export type OutputHeaders = Record<string, string | Buffer>;

/** One input record as handed to a worker function. `value` is decoded per the input format. */
export interface InputRecord<V = unknown> {
  key: Buffer | null;
  value: V;
  headers: InputHeaders;
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp, milliseconds since the epoch. */
  timestamp: number;
}

/** One output record returned by a worker function. `value` is encoded per the output format. */
export interface OutputRecord<V = unknown> {
  key?: string | Buffer | null;
  value: V;
  headers?: OutputHeaders;
  /** Overrides the engine's output topic for this record. */
  topic?: string;
}

/** What a worker returns for one input: nothing, one record, or several. */
export type WorkerOutput<V = unknown> = OutputRecord<V> | OutputRecord<V>[] | null | undefined;

/**
 * The worker contract: a module whose default export is this function. It receives one batch
 * (records of one partition, in offset order) and returns one entry per input record, in the
 * same order. It may be sync or async. It runs in a worker thread and must not touch Kafka.
 */
export type WorkerFunction<In = unknown, Out = unknown, S = unknown> = (
  batch: InputRecord<In>[],
  context: WorkerContext<S>,
) => WorkerOutput<Out>[] | Promise<WorkerOutput<Out>[]>;

/** A record key as the state store takes it: the record's key bytes, or the same key as a UTF-8 string. */
export type StateKey = Buffer | Uint8Array | string;

/**
 * Keyed state of the batch's own record keys (stateStore set). Values are JSON: what `set`
 * stores is what a later batch's `get` returns. Any other key throws STATE_KEY_NOT_IN_BATCH.
 */
export interface KeyedState<S = unknown> {
  get(key: StateKey): S | undefined;
  set(key: StateKey, value: S): void;
  delete(key: StateKey): void;
}

/** The second argument of a worker function. */
export interface WorkerContext<S = unknown> {
  /** Present when the engine runs with a state store (stateStore / --state-store). */
  state?: KeyedState<S>;
}

export type Ordering = 'partition' | 'key' | 'unordered';
export type RecordFormat = 'json' | 'raw' | 'avro';

/** Identifies a topic-partition in maps: `${topic}:${partition}`. */
export type PartitionId = string;

export function partitionId(topic: string, partition: number): PartitionId {
  return `${topic}:${partition}`;
}

/** A consumed record on the main thread, before it is packed for a worker. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: ReadonlyArray<Readonly<Record<string, Buffer | string>>> | undefined;
  size: number;
}
