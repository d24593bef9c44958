/**
 * The one table of Turbine's options: name, schema (with default and bounds), unit in the name,
 * and a doc line. The CLI flags, TURBINE_* environment variables, the config file and the
 * README's configuration table all derive from this table (test/unit/config/readme-table.test.ts).
 */
import { z } from 'zod';
import { usableCpuCount } from './cpu-quota.js';
import { CPUS_PER_PROCESS, MAX_PROCESSES, parseProcesses } from './processes.js';

const MiB = 1024 * 1024;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes'),
]);
const nonEmpty = z.string().trim().min(1);
/** An optional text option: empty (off, the default) or a value matching `shape`. */
const emptyOr = (shape: RegExp, message: string) =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^(${shape.source})?$`), `must be empty or ${message}`)
    .default('');

export interface OptionSpec {
  schema: z.ZodType;
  doc: string;
  /** Shown in --help and the README when the default is computed at run time. */
  defaultText?: string;
  /** Options that only make sense with a value for the engine (`turbine run`). */
  required?: boolean;
}

export const OPTIONS = {
  brokers: { schema: nonEmpty, required: true, doc: 'Bootstrap brokers, comma-separated host:port.' },
  input: { schema: nonEmpty, required: true, doc: 'Input topic to consume.' },
  output: { schema: nonEmpty, required: true, doc: 'Output topic for worker results.' },
  group: {
    schema: nonEmpty,
    required: true,
    doc: 'Consumer group id; run more instances with the same group to scale out.',
  },
  worker: {
    schema: nonEmpty,
    required: true,
    doc: 'Path to the worker module (.js, .cjs, .mjs or .ts) whose default export processes a batch.',
  },
  poolSize: {
    // Resolved in load.ts when unset: its default depends on processes.
    schema: int(1, 1024).optional(),
    defaultText: 'CPU count',
    doc: "Worker threads in the pool. With processes > 1: the total for the container, split evenly over the processes (each at least 1); unset, it is the CPU count minus one per process, so each main thread keeps a core. Each engine process also sizes libuv's thread pool (images, zlib, crypto run there) to 2 per worker thread + 2, unless UV_THREADPOOL_SIZE is set.",
  },
  processes: {
    schema: z
      .union([z.string(), z.number()])
      .transform((value, ctx) => {
        const n = parseProcesses(value, usableCpuCount);
        if (n !== undefined) return n;
        ctx.addIssue({
          code: 'custom',
          message: `accepted values are auto or an integer from 1 to ${MAX_PROCESSES}, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      })
      .default(1),
    doc: `Engine processes in this container, in the same consumer group, each with its share of poolSize and its own Kafka clients; one supervisor serves the HTTP port for all of them and restarts a crashed one. auto = one per ${CPUS_PER_PROCESS} usable CPUs (cgroup quota), since one main thread's Kafka I/O bounds what its pool can be given (docs/scaling.md).`,
  },
  ordering: {
    schema: z.enum(['partition', 'key', 'unordered']).default('partition'),
    doc: 'Output order kept per partition, per key (more parallelism inside a partition) or not at all.',
  },
  keyLanes: {
    schema: int(1, 4096).default(16),
    doc: 'Key mode: lanes per partition; records are hashed by key to a lane, each lane ordered on its own.',
  },
  batchMaxRecords: { schema: int(1, 1_000_000).default(500), doc: 'Most records in one worker batch.' },
  batchMaxBytes: { schema: int(1024, 256 * MiB).default(1 * MiB), doc: 'Most key+value bytes in one worker batch.' },
  batchLingerMs: {
    schema: int(0, 60_000).default(5),
    doc: 'How long a partial batch waits for more records before it is dispatched.',
  },
  batchTargetMs: {
    schema: int(0, 60_000).default(50),
    doc: 'Adaptive batching: wanted worker time per batch. Each lane sizes its batches from the measured worker time per record (at most batchMaxRecords), growing under backlog and shrinking when idle; 0 = fixed batches of batchMaxRecords.',
  },
  taskPacking: {
    schema: bool.default(true),
    doc: "While every worker thread is busy, batches waiting for one go out together as one task (up to the adaptive batch size, or batchMaxRecords and batchMaxBytes), so small batches do not each pay a task's fixed cost. Nothing is packed while a thread is free.",
  },
  maxInFlightRecords: {
    schema: int(1, 10_000_000).default(20_000),
    doc: 'Records consumed but not yet committed-ready; beyond it partitions are paused.',
  },
  maxInFlightBytes: {
    schema: int(1024, 16 * 1024 * MiB).default(64 * MiB),
    doc: 'Bytes consumed but not yet committed-ready; beyond it partitions are paused.',
  },
  inputFormat: { schema: z.enum(['json', 'raw', 'avro']).default('json'), doc: 'How input values are decoded.' },
  outputFormat: { schema: z.enum(['json', 'raw', 'avro']).default('json'), doc: 'How output values are encoded.' },
  inputSchema: {
    schema: nonEmpty.optional(),
    doc: 'Avro schema file (.avsc) for input values; needed with inputFormat avro, unless schemaRegistry is set (then it is the reader schema each writer schema is resolved to; unset, values are read as written).',
  },
  outputSchema: {
    schema: nonEmpty.optional(),
    doc: 'Avro schema file (.avsc) for output values; needed with outputFormat avro.',
  },
  avroWireFormat: {
    schema: z.enum(['confluent', 'plain']).default('confluent'),
    doc: 'Avro framing: Confluent (magic byte + 4-byte schema id) or plain Avro binary.',
  },
  outputSchemaId: {
    schema: int(0, 2 ** 31 - 1).default(1),
    doc: 'Schema id written in the Confluent header of Avro outputs when no schemaRegistry is set (with one, the id the registry gives outputSchema is written).',
  },
  schemaRegistry: {
    schema: emptyOr(/https?:\/\/[^\s?#]+/, 'an http(s):// URL of a Confluent-compatible API'),
    doc: "Schema Registry URL (Confluent API, e.g. http://host:8081 or Apicurio's .../apis/ccompat/v7); empty = none. Avro inputs are decoded with the writer schema of the id in each record (resolved to inputSchema when given); outputSchema is registered under <output>-value at start and its id written. Unreachable at start: exit 1 (docs/schema-registry.md).",
  },
  schemaRegistryUsername: {
    schema: z.string().default(''),
    doc: 'Schema Registry basic-auth user name; empty = no authentication.',
  },
  schemaRegistryPassword: {
    schema: z.string().default(''),
    doc: 'Schema Registry basic-auth password (prefer TURBINE_SCHEMA_REGISTRY_PASSWORD or the config file to a flag).',
  },
  schemaRegistryCa: {
    schema: z.string().trim().default(''),
    doc: 'PEM CA bundle trusted for an https schemaRegistry (replaces the default CAs); empty = the system CAs.',
  },
  schemaRegistryTimeoutMs: {
    schema: int(100, 300_000).default(10_000),
    doc: 'Longest wait for one Schema Registry answer; a run-time request that fails is retried with retryInitialMs..retryMaxMs backoff.',
  },
  lineageHeaders: {
    schema: bool.default(true),
    doc: 'Add turbine.source.topic/partition/offset headers to every output record.',
  },
  deadLetterTopic: { schema: nonEmpty.optional(), defaultText: '<input>.dlq', doc: 'Topic for records that fail.' },
  retryMaxAttempts: {
    schema: int(1, 100).default(3),
    doc: 'Attempts of a failing batch (then of each of its records) before a record is dead-lettered.',
  },
  onFailure: {
    schema: z.enum(['dlq', 'fail', 'skip']).default('dlq'),
    doc: 'A record that used up its retries: dead-letter it and move on, stop the engine without committing it (exit 1), or drop it (counted in turbine_records_skipped_total) and move on.',
  },
  retryInitialMs: { schema: int(0, 600_000).default(100), doc: 'First retry delay; doubles per attempt, with jitter.' },
  retryMaxMs: { schema: int(0, 3_600_000).default(10_000), doc: 'Longest retry delay.' },
  taskTimeoutMs: {
    schema: int(0, 3_600_000).default(60_000),
    doc: 'A batch running longer on its worker thread (from when the thread starts it) is aborted, the thread replaced, and the batch retried; 0 turns the limit off.',
  },
  commitIntervalMs: {
    schema: int(10, 600_000).default(1000),
    doc: 'How often acknowledged offsets are committed (at-least-once; exactly-once commits per transactionIntervalMs).',
  },
  guarantee: {
    schema: z.enum(['at-least-once', 'exactly-once']).default('at-least-once'),
    doc: 'at-least-once: outputs may repeat after a crash. exactly-once: outputs and input offsets commit in one Kafka transaction (needs ordering partition; readers use isolation.level=read_committed).',
  },
  transactionIntervalMs: {
    schema: int(10, 60_000).default(100),
    doc: 'Exactly-once: how long a transaction stays open before its outputs and offsets are committed; outputs become visible to read_committed readers only then.',
  },
  stateStore: {
    schema: emptyOr(/[A-Za-z0-9._-]{1,100}/, '1-100 letters, digits, dots, underscores or dashes'),
    doc: "Keyed state: the store's name (empty = stateless). Workers get ctx.state for their records' keys; every change goes to the compacted changelog topic <group>-<stateStore>-changelog in the same transaction as the outputs (needs guarantee exactly-once), and is restored from it when a partition is assigned.",
  },
  stateSchema: {
    schema: z.string().trim().default(''),
    doc: "Keyed state: an Avro schema file (.avsc) for the store's values. Workers' values are checked against it when set (STATE_VALUE_INVALID otherwise), and the changelog holds them as Avro binary. Empty (default): JSON values, JSON in the changelog.",
  },
  advertisedUrl: {
    schema: emptyOr(/https?:\/\/[^\s/?#]+/, 'http(s)://host:port, with no path'),
    doc: "Keyed state: the URL other instances reach this one's HTTP server at (http://host:port). Instances announce it with their owned partitions on the compacted topic <group>-instances, and a state query sent to an instance that does not own the key is redirected (307) to the owner. Empty (default): no announcements; such a query gets 421 naming the key's partition.",
  },
  gcHighWaterMb: {
    schema: int(0, 1_048_576).default(0),
    doc: "`turbine run` only: when the main thread's V8 heap in use plus its external memory (Buffers) pass this many MiB, run a full garbage collection (at most every 5 s; if the collection leaves more than half the mark, the mark moves to twice what it left). Behind a backlog V8 otherwise lets the garbage of records that waited in flight grow to gigabytes before collecting it. 0 (default) = leave it to V8; 512 held a 10-minute overload near 1 GiB heap+external where V8 alone reached 3.4 GiB.",
  },
  shutdownTimeoutMs: {
    schema: int(0, 3_600_000).default(30_000),
    doc: 'On SIGTERM/SIGINT: deadline to drain, flush and commit before exiting.',
  },
  rebalanceDrainTimeoutMs: {
    schema: int(0, 600_000).default(10_000),
    doc: 'On revoke: deadline to finish in-flight work of the revoked partitions before releasing them.',
  },
  startFrom: {
    schema: z.enum(['earliest', 'latest']).default('earliest'),
    doc: 'Where a group with no committed offset starts (auto.offset.reset).',
  },
  createTopics: {
    schema: bool.default(true),
    doc: "Create the output and dead-letter topics at start if missing (with the input topic's partition count).",
  },
  clientId: { schema: nonEmpty.default('turbine'), doc: 'Kafka client.id prefix.' },
  metricsPort: {
    schema: int(0, 65_535).default(9464),
    doc: 'Port of the HTTP server for /metrics, /healthz and /readyz; 0 turns it off.',
  },
  metricsHost: { schema: nonEmpty.default('0.0.0.0'), doc: 'Address the HTTP server binds.' },
  logLevel: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'Log level of the JSON logs on stderr.',
  },
  kafka: {
    schema: z.record(z.string(), z.string()).default({}),
    doc: 'librdkafka properties passed through (--kafka key=value, TURBINE_KAFKA_<KEY>=value with _ for .).',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** camelCase option name → --kebab-case flag. */
export function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** camelCase option name → TURBINE_SCREAMING_SNAKE environment variable. */
export function envName(name: string): string {
  return `TURBINE_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
