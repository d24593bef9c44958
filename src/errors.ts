/**
 * Turbine's typed errors. Every error the engine raises or reports carries a stable `code`
 * from ERROR_CODES, whether retrying can help (`retriable`) and the underlying `cause`.
 * Errors do not survive postMessage, so workers report failures as data ({ code, message })
 * and the main thread rebuilds a TurbineError from them.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 'A configuration value is missing or not accepted; the message names the option.',
  CONFIG_FILE_UNREADABLE: 'The file given with --config cannot be read or is not valid JSON.',
  WORKER_MODULE_INVALID: 'The worker module cannot be loaded or does not export a function.',
  WORKER_FAILED: 'The user worker function threw or rejected for a batch.',
  WORKER_RESULT_INVALID: 'The worker returned something other than one entry per input record.',
  WORKER_CRASHED: 'The worker thread exited or ran out of memory while running a batch.',
  WORKER_TIMEOUT: 'A batch ran longer than taskTimeoutMs; its worker thread was terminated and replaced.',
  DECODE_ERROR: 'An input record could not be decoded with the configured format.',
  ENCODE_ERROR: 'An output record could not be encoded with the configured format.',
  SCHEMA_ID_UNKNOWN:
    "An Avro input record's Confluent header names a schema id the schema registry does not know (404, error code 40403); the record is dead-lettered, not retried.",
  SCHEMA_REGISTRY_FAILED:
    'A request to the schema registry (schemaRegistry) failed: unreachable, timed out, refused the credentials or answered an error. At start the engine exits (code 1); at run time the request is logged and retried with backoff while the batches needing the schema wait.',
  SCHEMA_INCOMPATIBLE:
    'The output schema (outputSchema) breaks the compatibility rule of its subject <output>-value in the schema registry (409); the engine does not start.',
  STATE_KEY_NOT_IN_BATCH:
    "A worker read or wrote keyed state for a key that is not one of its batch's record keys (a batch sees only its own keys' state).",
  STATE_VALUE_INVALID:
    "A worker set a keyed-state value that does not match the store's Avro schema (stateSchema); the message names the fields.",
  STATE_RESTORE_FAILED:
    "A partition's keyed state could not be restored from its changelog topic; retried with backoff.",
  KAFKA_CONNECT_FAILED: 'The client could not connect to the brokers within the connect timeout.',
  KAFKA_CONSUME_FAILED: 'Consuming from Kafka returned an error.',
  KAFKA_PRODUCE_FAILED: 'Producing an output record failed (queue full or a delivery error).',
  KAFKA_COMMIT_FAILED: 'Committing input offsets failed.',
  KAFKA_PRODUCER_FATAL:
    'librdkafka reported a fatal producer error (for example lost idempotence state); the producer is re-created and owned partitions are rewound to their commit point.',
  KAFKA_ADMIN_FAILED: 'A topic administration request failed.',
  KAFKA_AUTH_FAILED:
    'The brokers rejected the SASL login (wrong username or password, mechanism not enabled); not retried.',
  KAFKA_TLS_FAILED:
    'The TLS connection to the brokers failed (certificate not trusted or not matching, CA or key file unreadable); not retried.',
  RECORD_FAILED:
    'With onFailure fail: a record used up its retries; the engine stopped without committing it (the error names the code, topic, partition and offset).',
  SHUTDOWN_TIMEOUT: 'Draining in-flight work did not finish within the shutdown deadline.',
  REBALANCE_DRAIN_TIMEOUT: 'In-flight work of revoked partitions did not finish within the drain deadline.',
  INVARIANT_VIOLATION: 'An internal state that should be impossible was reached; this is a bug.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'WORKER_FAILED',
  'WORKER_CRASHED',
  'WORKER_TIMEOUT',
  'KAFKA_CONNECT_FAILED',
  'KAFKA_CONSUME_FAILED',
  'KAFKA_PRODUCE_FAILED',
  'KAFKA_COMMIT_FAILED',
  'KAFKA_PRODUCER_FATAL',
]);

export class TurbineError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TurbineError';
    this.code = code;
    this.retriable = RETRIABLE.has(code);
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** Raised for states the design rules out; reaching one means Turbine has a bug. */
export class InvariantViolation extends TurbineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVARIANT_VIOLATION', `Invariant violated: ${message}. This should never happen; please report it.`, {
      details,
    });
    this.name = 'InvariantViolation';
  }
}

export function isTurbineError(value: unknown): value is TurbineError {
  return value instanceof TurbineError;
}

/** A plain-data failure as it crosses the worker thread boundary. */
export interface FailureData {
  code: ErrorCode;
  message: string;
  /** Index of the record in its batch, or -1 when the failure is the batch's. */
  recordIndex: number;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  // node-rdkafka's bindings throw plain objects ({ message, code }) from assign/unassign calls.
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { message, code } = error as { message: unknown; code?: unknown };
    return code === undefined ? String(message) : `${String(message)} (code ${String(code)})`;
  }
  return String(error);
}
