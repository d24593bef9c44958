/**
 * Turbine's batch path into node-rdkafka's addon (scripts/native/turbine-batch.cc, compiled in by
 * scripts/patch-node-rdkafka.js at install). One consume call hands over a batch as one buffer
 * plus a Float64Array of numbers per message; one produce call sends a batch described the same
 * way; delivery reports of batch-produced messages arrive as one Float64Array per flush.
 * It is the default. With TURBINE_NATIVE_BATCH=0, or when the patch is not in the built addon
 * (the install could not compile it), `nativeBatch` is undefined and the source and sink use
 * node-rdkafka's stock per-message calls.
 */
import type Kafka from 'node-rdkafka';

type ConsumeCallback = (
  err: Kafka.LibrdKafkaError | null,
  count?: number,
  data?: Buffer,
  meta?: Float64Array,
  topics?: string[],
) => void;

interface Binding {
  turbineBatchVersion?: number;
  turbineConsumeBatch?: (client: object, max: number, timeoutMs: number, cb: ConsumeCallback) => void;
  turbineProduceBatch?: (
    client: object,
    topics: readonly string[],
    parts: readonly (ArrayBufferView | ArrayBuffer)[],
    meta: Float64Array,
    count: number,
  ) => ProduceResult;
}

/** How many messages a produce call queued; if fewer than asked, the error code and text of the next. */
export type ProduceResult = [queued: number, errorCode: number, errorText: string];

/** Numbers per consumed message in `meta` (turbine-batch.cc CONSUME_FIELDS). */
const CONSUME_FIELDS = 10;
/** Numbers per produced message in `meta` (turbine-batch.cc PRODUCE_FIELDS). */
export const PRODUCE_FIELDS = 12;
/** Numbers per delivery report in a batch (token, partition, offset, error code). */
const REPORT_FIELDS = 4;

export interface DeliveryBatch {
  turbineBatch: Float64Array;
  /** Error texts of the failed reports, in their order. */
  errors: string[];
}

export function isDeliveryBatch(report: unknown): report is DeliveryBatch {
  // ArrayBuffer.isView, not instanceof: the addon's arrays belong to the main realm, which is not
  // the realm of code run in a vm context (Jest's test environment).
  return typeof report === 'object' && report !== null && ArrayBuffer.isView((report as DeliveryBatch).turbineBatch);
}

/** Visits each report of a batch: its token, partition, offset, and error (code and text) if it failed. */
export function forEachReport(
  batch: DeliveryBatch,
  visit: (token: number, partition: number, offset: number, error: ReturnType<typeof kafkaError> | null) => void,
): void {
  const r = batch.turbineBatch;
  let errorIndex = 0;
  for (let i = 0; i < r.length; i += REPORT_FIELDS) {
    const code = r[i + 3]!;
    const error = code === 0 ? null : kafkaError(code, batch.errors[errorIndex++] ?? '');
    visit(r[i]!, r[i + 1]!, r[i + 2]!, error);
  }
}

/** A librdkafka error from a code and its text, shaped like node-rdkafka's (code, errno, origin). */
export function kafkaError(code: number, message: string): Error & { code: number; errno: number; origin: string } {
  // librdkafka's local errors are negative (below ERR__END = -100); broker errors are positive.
  return Object.assign(new Error(message || `librdkafka error ${code}`), {
    code,
    errno: code,
    origin: code < 0 ? 'local' : 'kafka',
  });
}

/** Header bytes as the native side reads and writes them: u32 name length, name, i32 value length (-1: null), value. */
export function decodeHeaders(data: Buffer, start: number, count: number): Kafka.MessageHeader[] {
  const headers: Kafka.MessageHeader[] = [];
  let at = start;
  for (let h = 0; h < count; h++) {
    const nameLength = data.readUInt32LE(at);
    at += 4;
    const name = data.toString('utf8', at, at + nameLength);
    at += nameLength;
    const valueLength = data.readInt32LE(at);
    at += 4;
    const value = valueLength < 0 ? Buffer.alloc(0) : data.subarray(at, at + valueLength);
    if (valueLength > 0) at += valueLength;
    headers.push({ [name]: value });
  }
  return headers;
}

/** Messages of one consume batch, shaped as node-rdkafka's (keys and values are views of one buffer). */
export function unpackConsumed(
  count: number,
  data: Buffer,
  meta: Float64Array,
  topics: readonly string[],
): Kafka.Message[] {
  const messages: Kafka.Message[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const f = i * CONSUME_FIELDS;
    const keyStart = meta[f + 4]!;
    const valueStart = meta[f + 6]!;
    const valueLength = meta[f + 7]!;
    const headerCount = meta[f + 9]!;
    const message: Kafka.Message = {
      topic: topics[meta[f]!]!,
      partition: meta[f + 1]!,
      offset: meta[f + 2]!,
      timestamp: meta[f + 3]!,
      key: keyStart < 0 ? null : data.subarray(keyStart, keyStart + meta[f + 5]!),
      value: valueStart < 0 ? null : data.subarray(valueStart, valueStart + valueLength),
      size: valueLength,
    };
    if (headerCount > 0) message.headers = decodeHeaders(data, meta[f + 8]!, headerCount);
    messages[i] = message;
  }
  return messages;
}

export interface NativeBatch {
  /** Whether a client is node-rdkafka's own (tests may inject fakes, which take the stock path). */
  accepts(client: object): boolean;
  consume(consumer: Kafka.KafkaConsumer, max: number, timeoutMs: number): Promise<Kafka.Message[]>;
  /** Produces `count` packed messages (see PRODUCE_FIELDS); parts are the byte sources their fields point into. */
  produce(
    producer: Kafka.Producer,
    topics: readonly string[],
    parts: readonly (ArrayBufferView | ArrayBuffer)[],
    meta: Float64Array,
    count: number,
  ): ProduceResult;
}

/** The native handle inside node-rdkafka's JavaScript client object. */
function handleOf(client: Kafka.KafkaConsumer | Kafka.Producer): object {
  return (client as unknown as { _client: object })._client;
}

function load(): NativeBatch | undefined {
  // The stock path stays one variable away, for comparison and as a fallback (NOTES.md, 2026-12-05).
  if (process.env.TURBINE_NATIVE_BATCH === '0') return undefined;
  let binding: Binding;
  try {
    binding = require('node-rdkafka/librdkafka') as Binding;
  } catch {
    return undefined;
  }
  const consumeBatch = binding.turbineConsumeBatch;
  const produceBatch = binding.turbineProduceBatch;
  if (binding.turbineBatchVersion !== 2 || !consumeBatch || !produceBatch) return undefined;
  return {
    accepts: (client) => typeof (client as { _client?: unknown })._client === 'object',
    consume: (consumer, max, timeoutMs) =>
      new Promise((resolve, reject) =>
        consumeBatch(handleOf(consumer), max, timeoutMs, (err, count, data, meta, topics) => {
          if (err) reject(err);
          else resolve(count ? unpackConsumed(count, data!, meta!, topics!) : []);
        }),
      ),
    produce: (producer, topics, parts, meta, count) => produceBatch(handleOf(producer), topics, parts, meta, count),
  };
}

/** The batch path, or undefined where the addon is stock (the callers then use per-message calls). */
export const nativeBatch: NativeBatch | undefined = load();
