/**
 * `turbine loadgen`: writes generated records to a topic, either as fast as possible or on an
 * open-loop schedule (record i is due at start + i / rate and is sent on time whether or not
 * earlier records were acknowledged, so a slow broker shows up as latency, not as a lower
 * offered load). Prints one JSON summary line on stdout.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import { ensureTopics } from '../admin/topics.js';
import { kafkaPropertiesFromEnv } from '../config/load.js';
import { errorMessage, TurbineError } from '../errors.js';
import type { RecordFormat } from '../types.js';
import { checkEnum, checkNumber, enumFlag, type FlagSpec, numberFlag, parseFlags, requiredString } from './args.js';
import {
  createKeyPicker,
  createValueGenerator,
  type KeyDistribution,
  type KeyPicker,
  type ValueGenerator,
} from './loadgen-values.js';
import { type CliIo, defaultIo, formatCount, isTty, startProgress } from './progress.js';

export interface LoadgenOptions {
  /** Bootstrap brokers, comma-separated host:port. */
  brokers: string;
  /** Topic to write; created with `partitions` partitions when missing. */
  topic: string;
  /** Records to send when `durationSeconds` is 0. Default 100000. */
  count: number;
  /** Send for this many seconds instead of a count; 0 means use `count`. Default 0. */
  durationSeconds: number;
  /** Target records per second (open loop); 0 sends as fast as possible. Default 0. */
  rate: number;
  /** Value size in bytes (json is padded to it, avro approximately). Default 100. */
  valueSize: number;
  /** Distinct keys `key-0` .. `key-<keys-1>`. Default 1000. */
  keys: number;
  /** How keys are drawn. Default uniform. */
  keyDistribution: KeyDistribution;
  /** Partitions of the topic if loadgen creates it. Default 6. */
  partitions: number;
  /** Value format. Default json. */
  format: RecordFormat;
  /** Avro schema file; default workers/schemas/stock-movement.avsc. */
  schemaPath?: string | undefined;
}

/** What a program passes: brokers and topic, anything else falls back to the defaults. */
export type LoadgenInput = Pick<LoadgenOptions, 'brokers' | 'topic'> & Partial<LoadgenOptions>;

export interface LoadgenSummary {
  topic: string;
  /** Records handed to librdkafka. */
  sent: number;
  /** Records the broker acknowledged: sent − errors once the final flush emptied librdkafka's queue. */
  acked: number;
  /** Records with a failed delivery report, plus any still unacknowledged when the flush gave up. */
  errors: number;
  /** From the first send to the last delivery report. */
  durationMs: number;
  /** acked / duration: the delivered throughput. */
  ratePerSec: number;
  /** The --rate asked for; 0 means as fast as possible. */
  targetRate: number;
  valueSize: number;
  format: RecordFormat;
  /** Open loop only: the most a record was sent after its due time (0 without --rate). */
  maxLagMs: number;
}

export const LOADGEN_DEFAULTS = {
  count: 100_000,
  durationSeconds: 0,
  rate: 0,
  valueSize: 100,
  keys: 1000,
  keyDistribution: 'uniform',
  partitions: 6,
  format: 'json',
} as const satisfies Partial<LoadgenOptions>;

const FORMATS: readonly RecordFormat[] = ['json', 'raw', 'avro'];
const DISTRIBUTIONS: readonly KeyDistribution[] = ['uniform', 'zipf'];
/** librdkafka's default message.max.bytes is 1,000,000 including record overhead. */
const MAX_VALUE_SIZE = 990_000;

export const LOADGEN_HELP = `Usage: turbine loadgen --brokers B --topic T [options]

Writes generated records to a topic and prints one JSON summary line on stdout:
{"topic","sent","acked","errors","durationMs","ratePerSec","targetRate","valueSize","format","maxLagMs"}

Options:
  --brokers B                 bootstrap brokers, host:port[,host:port] (required)
  --topic T                   topic to write; created if missing (required)
  --count N                   records to send (default ${LOADGEN_DEFAULTS.count})
  --duration SECONDS          send for this long instead of --count
  --rate R                    records per second on an open-loop schedule; 0 or absent = as fast as possible
  --value-size BYTES          value size; json is padded to it, avro approximately (default ${LOADGEN_DEFAULTS.valueSize})
  --keys K                    distinct keys key-0 .. key-<K-1> (default ${LOADGEN_DEFAULTS.keys})
  --key-distribution D        uniform | zipf (default ${LOADGEN_DEFAULTS.keyDistribution})
  --partitions P              partitions when the topic is created (default ${LOADGEN_DEFAULTS.partitions})
  --format F                  json | raw | avro (default ${LOADGEN_DEFAULTS.format})
  --schema FILE               avro schema (default workers/schemas/stock-movement.avsc)

json values are stock movements: {"sku":"SKU-<n>","warehouse":"WH-<1..4>","delta":<-20..30>,"seq":<i>,"ts":<ms>,"pad":"x..."}
where key-<n> gives SKU-<n>. avro uses the same fields in the Confluent wire format (schema id 1).
raw values are random bytes. A progress line is shown when stderr is a terminal.
librdkafka properties (TLS, SASL: docs/security.md) come from TURBINE_KAFKA_<KEY> variables.
`;

const FLAGS: FlagSpec = {
  brokers: { type: 'string' },
  topic: { type: 'string' },
  count: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  'value-size': { type: 'string' },
  keys: { type: 'string' },
  'key-distribution': { type: 'string' },
  partitions: { type: 'string' },
  format: { type: 'string' },
  schema: { type: 'string' },
};

/** Parses `turbine loadgen` flags (without the sub-command name). `--help` is the caller's. */
export function parseLoadgenArgs(argv: string[]): LoadgenOptions {
  const values = parseFlags('loadgen', argv, FLAGS);
  if (values.count !== undefined && values.duration !== undefined) {
    throw new TurbineError('CONFIG_INVALID', '--count and --duration cannot be used together; give one of them', {
      details: { flag: 'duration' },
    });
  }
  const schema = values.schema;
  return resolveLoadgenOptions({
    brokers: requiredString(values, 'brokers'),
    topic: requiredString(values, 'topic'),
    count:
      values.count === undefined
        ? undefined
        : numberFlag(values, 'count', LOADGEN_DEFAULTS.count, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
    durationSeconds: numberFlag(values, 'duration', 0, { min: 0.001, max: 31_536_000, integer: false }),
    rate: numberFlag(values, 'rate', 0, { min: 0, max: 100_000_000, integer: false }),
    valueSize: numberFlag(values, 'value-size', LOADGEN_DEFAULTS.valueSize, {
      min: 0,
      max: MAX_VALUE_SIZE,
      integer: true,
    }),
    keys: numberFlag(values, 'keys', LOADGEN_DEFAULTS.keys, { min: 1, max: 10_000_000, integer: true }),
    keyDistribution: enumFlag(values, 'key-distribution', DISTRIBUTIONS, LOADGEN_DEFAULTS.keyDistribution),
    partitions: numberFlag(values, 'partitions', LOADGEN_DEFAULTS.partitions, { min: 1, max: 10_000, integer: true }),
    format: enumFlag(values, 'format', FORMATS, LOADGEN_DEFAULTS.format),
    schemaPath: typeof schema === 'string' ? schema : undefined,
  });
}

/** Fills defaults and validates options given by a program (the flag parser ends here too). */
export function resolveLoadgenOptions(input: LoadgenInput): LoadgenOptions {
  if (input.count !== undefined && input.durationSeconds !== undefined && input.durationSeconds > 0) {
    throw new TurbineError('CONFIG_INVALID', '--count and --duration cannot be used together; give one of them', {
      details: { flag: 'duration' },
    });
  }
  if (typeof input.brokers !== 'string' || input.brokers.trim() === '') {
    throw new TurbineError('CONFIG_INVALID', '--brokers is required', { details: { flag: 'brokers' } });
  }
  if (typeof input.topic !== 'string' || input.topic.trim() === '') {
    throw new TurbineError('CONFIG_INVALID', '--topic is required', { details: { flag: 'topic' } });
  }
  const integer = (flag: string, value: number, min: number, max: number) =>
    checkNumber(flag, value, { min, max, integer: true });
  const options: LoadgenOptions = {
    brokers: input.brokers.trim(),
    topic: input.topic.trim(),
    count: integer('count', input.count ?? LOADGEN_DEFAULTS.count, 1, Number.MAX_SAFE_INTEGER),
    durationSeconds: checkNumber('duration', input.durationSeconds ?? 0, { min: 0, max: 31_536_000, integer: false }),
    rate: checkNumber('rate', input.rate ?? 0, { min: 0, max: 100_000_000, integer: false }),
    valueSize: integer('value-size', input.valueSize ?? LOADGEN_DEFAULTS.valueSize, 0, MAX_VALUE_SIZE),
    keys: integer('keys', input.keys ?? LOADGEN_DEFAULTS.keys, 1, 10_000_000),
    keyDistribution: checkEnum(
      'key-distribution',
      input.keyDistribution ?? LOADGEN_DEFAULTS.keyDistribution,
      DISTRIBUTIONS,
    ),
    partitions: integer('partitions', input.partitions ?? LOADGEN_DEFAULTS.partitions, 1, 10_000),
    format: checkEnum('format', input.format ?? LOADGEN_DEFAULTS.format, FORMATS),
    schemaPath: input.schemaPath,
  };
  return Object.freeze(options);
}

/** librdkafka RD_KAFKA_RESP_ERR__QUEUE_FULL: the local queue hit queue.buffering.max.messages. */
const ERR_QUEUE_FULL = -184;
const CONNECT_TIMEOUT_MS = 15_000;
/** Local delivery deadline (librdkafka message.timeout.ms): bounds the final flush if the broker is gone. */
const MESSAGE_TIMEOUT_MS = 60_000;
/** As-fast-as-possible mode: records per synchronous burst before yielding to the event loop. */
const BURST = 5_000;
/** Open loop: most records sent in one timer tick when behind schedule, so timers and reports still run. */
const MAX_TICK_BURST = 20_000;
const QUEUE_FULL_WAIT_MS = 5;
/** librdkafka statistics interval while a progress line is shown (its msg_cnt gives records in flight). */
const PROGRESS_STATS_INTERVAL_MS = 250;
/** librdkafka RD_KAFKA_RESP_ERR__TIMED_OUT, as returned by a flush that did not empty the queue. */
const ERR_TIMED_OUT = -185;

/** Runs the load a program describes (defaults filled in and checked first). */
export function runLoadgen(input: LoadgenInput, ioInput: Partial<CliIo> = {}): Promise<LoadgenSummary> {
  return generateLoad(resolveLoadgenOptions(input), ioInput);
}

/**
 * Runs the load with options already resolved (by parseLoadgenArgs): resolving them again would
 * read the defaulted count as a --count given next to --duration.
 */
export async function generateLoad(options: LoadgenOptions, ioInput: Partial<CliIo> = {}): Promise<LoadgenSummary> {
  const io = defaultIo(ioInput);
  // Build generators first so a bad schema fails before any connection is made.
  const values = createValueGenerator(options);
  const keys = createKeyPicker(options.keys, options.keyDistribution);
  const showProgress = isTty(io.stderr);
  const { producer, topics } = await connectProducer(options.brokers, showProgress ? PROGRESS_STATS_INTERVAL_MS : 0);
  try {
    if (!topics.includes(options.topic)) {
      await ensureTopics(
        options.brokers,
        [{ name: options.topic, partitions: options.partitions }],
        kafkaPropertiesFromEnv(process.env),
      );
    }
    const run = new LoadRun(producer, options, values, keys);
    const progress = startProgress(io.stderr, () => run.progressText(), showProgress);
    try {
      await run.send(io.signal);
      await run.drain();
    } finally {
      progress.stop();
    }
    const summary = run.summary();
    const firstError = run.firstError();
    if (firstError !== undefined) {
      io.stderr.write(`loadgen: ${summary.errors} records failed; first failure: ${firstError}\n`);
    }
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary;
  } finally {
    await disconnect(producer);
  }
}

/**
 * The send loop's state. Records are produced in synchronous bursts between event-loop turns,
 * with no per-record closure or opaque.
 *
 * Only failed deliveries are reported (`delivery.report.only.error`): node-rdkafka hands delivery
 * reports to JavaScript at most 100 per event-loop turn, one callback each
 * (DeliveryReportDispatcher::Flush in src/callbacks.cc), which caps a producer that hears about
 * every record at about 150,000 records/s on this kind of machine. A flush that completes means
 * librdkafka's queue is empty, i.e. every record was acknowledged or reported as failed, so
 * acked = sent − errors at the end; during the run the progress line estimates it from the
 * statistics' msg_cnt (records still in librdkafka's queues).
 */
class LoadRun {
  sent = 0;
  errors = 0;
  private acked = 0;
  /** Records sent minus records librdkafka still held at the last statistics event. */
  private ackedEstimate = 0;
  private maxLagMs = 0;
  private startedAt = 0;
  private finishedAt = 0;
  private firstDeliveryError: string | undefined;

  constructor(
    private readonly producer: Kafka.Producer,
    private readonly options: LoadgenOptions,
    private readonly values: ValueGenerator,
    private readonly keys: KeyPicker,
  ) {
    producer.on('delivery-report', (error) => {
      if (error) {
        this.errors++;
        this.firstDeliveryError ??= error.message;
      }
    });
    producer.on('event.stats', (event: { message?: string }) => {
      const queued = statisticsQueuedMessages(event.message);
      if (queued !== undefined) {
        this.ackedEstimate = Math.max(
          this.ackedEstimate,
          Math.min(this.sent - this.errors, this.sent - queued - this.errors),
        );
      }
    });
  }

  async send(signal: AbortSignal | undefined): Promise<void> {
    const { rate, durationSeconds } = this.options;
    this.startedAt = performance.now();
    const start = this.startedAt;
    // With a rate, the duration fixes the record count instead, so the last due records still go out.
    const endAt = durationSeconds > 0 && rate === 0 ? start + durationSeconds * 1000 : Number.POSITIVE_INFINITY;
    const total =
      durationSeconds > 0
        ? rate > 0
          ? Math.floor(rate * durationSeconds)
          : Number.POSITIVE_INFINITY
        : this.options.count;
    const msPerRecord = rate > 0 ? 1000 / rate : 0;
    while (this.sent < total && signal?.aborted !== true) {
      const now = performance.now();
      if (now >= endAt) break;
      let target: number;
      if (rate > 0) {
        // Records 0 .. floor(elapsed * rate) are due by now.
        target = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1, this.sent + MAX_TICK_BURST);
        if (target > this.sent) this.maxLagMs = Math.max(this.maxLagMs, now - (start + this.sent * msPerRecord));
      } else {
        target = Math.min(total, this.sent + BURST);
      }
      if (this.produceUpTo(target, Date.now())) {
        // Queue full: serve delivery reports so librdkafka frees queue space, then retry the record.
        this.producer.poll();
        await sleep(QUEUE_FULL_WAIT_MS);
        continue;
      }
      if (rate > 0) {
        const wait = start + this.sent * msPerRecord - performance.now();
        // A timer tick lasts at least ~1 ms, so at high rates each tick sends a small burst.
        await sleep(Math.max(0, wait));
      } else {
        await nextTurn();
      }
    }
  }

  /** Produces records until `sent` reaches `target`; returns true if librdkafka's queue was full. */
  private produceUpTo(target: number, timestampMs: number): boolean {
    const { producer, values, keys } = this;
    const topic = this.options.topic;
    while (this.sent < target) {
      const keyIndex = keys.next();
      const value = values.next(this.sent, keyIndex, timestampMs);
      try {
        producer.produce(topic, null, value, keys.bytes(keyIndex));
      } catch (error) {
        if ((error as { code?: unknown }).code === ERR_QUEUE_FULL) return true;
        throw new TurbineError('KAFKA_PRODUCE_FAILED', `Producing to ${topic} failed: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      this.sent++;
    }
    return false;
  }

  /** Flushes until librdkafka's queue is empty (or the local delivery deadline passed). */
  async drain(): Promise<void> {
    const deadline = performance.now() + MESSAGE_TIMEOUT_MS + 10_000;
    let emptied = false;
    while (!emptied && performance.now() < deadline) {
      emptied = await flush(this.producer, 1000);
    }
    this.finishedAt = performance.now();
    // Failure reports served during the flush reach JavaScript over the next event-loop turns
    // (100 per turn); wait until the count stops moving.
    let seen = -1;
    while (seen !== this.errors) {
      seen = this.errors;
      this.producer.poll();
      await sleep(20);
    }
    if (emptied) {
      this.acked = this.sent - this.errors;
      this.ackedEstimate = this.acked;
    } else {
      // Unknown fate: count what is left as errors rather than as acknowledged.
      this.acked = Math.min(this.ackedEstimate, this.sent - this.errors);
      const undelivered = this.sent - this.errors - this.acked;
      this.errors += undelivered;
      this.firstDeliveryError ??= `${undelivered} records were still queued after ${MESSAGE_TIMEOUT_MS} ms`;
    }
  }

  progressText(): string {
    const elapsedSeconds = Math.max(0.001, (performance.now() - this.startedAt) / 1000);
    return (
      `loadgen ${this.options.topic}: sent ${formatCount(this.sent)}  acked ~${formatCount(this.ackedEstimate)}  ` +
      `errors ${formatCount(this.errors)}  ${formatCount(this.ackedEstimate / elapsedSeconds)} rec/s`
    );
  }

  /** The first delivery failure, for the caller to show next to the summary. */
  firstError(): string | undefined {
    return this.firstDeliveryError;
  }

  summary(): LoadgenSummary {
    const durationMs = Math.max(0, this.finishedAt - this.startedAt);
    return {
      topic: this.options.topic,
      sent: this.sent,
      acked: this.acked,
      errors: this.errors,
      durationMs: Math.round(durationMs),
      ratePerSec: durationMs > 0 ? Math.round((this.acked * 1000) / durationMs) : 0,
      targetRate: this.options.rate,
      valueSize: this.options.valueSize,
      format: this.options.format,
      maxLagMs: Math.round(this.maxLagMs),
    };
  }
}

/** librdkafka statistics JSON: top-level msg_cnt is the number of records in its producer queues. */
function statisticsQueuedMessages(json: string | undefined): number | undefined {
  if (json === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    const count = (parsed as { msg_cnt?: unknown }).msg_cnt;
    return typeof count === 'number' ? count : undefined;
  } catch {
    return undefined;
  }
}

function connectProducer(
  brokers: string,
  statisticsIntervalMs: number,
): Promise<{ producer: Kafka.Producer; topics: string[] }> {
  const producer = new Kafka.Producer(
    {
      'metadata.broker.list': brokers,
      'client.id': 'turbine-loadgen',
      dr_cb: true,
      'delivery.report.only.error': true,
      'statistics.interval.ms': statisticsIntervalMs,
      'linger.ms': 5,
      'batch.num.messages': 10_000,
      'queue.buffering.max.messages': 1_000_000,
      // TLS and SASL settings (docs/security.md), as for `turbine run`.
      ...kafkaPropertiesFromEnv(process.env),
    },
    {
      'message.timeout.ms': MESSAGE_TIMEOUT_MS,
      // Same key → partition mapping as the Java client and KafkaJS, so keyed topics line up.
      partitioner: 'murmur2_random',
    },
  );
  // librdkafka reports transport trouble here and retries on its own; without a listener the
  // events are dropped, which is what we want (delivery reports carry the failures that matter).
  producer.on('event.error', () => {});
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown) => {
      clearTimeout(timer);
      safeDisconnect(producer);
      reject(new TurbineError('KAFKA_CONNECT_FAILED', message, { cause, details: { brokers } }));
    };
    // A guard in case librdkafka never calls back (it should, after `timeout`).
    const timer = setTimeout(
      () => fail(`No connection to brokers ${brokers} within ${CONNECT_TIMEOUT_MS} ms`),
      CONNECT_TIMEOUT_MS + 2_000,
    );
    producer.connect({ timeout: CONNECT_TIMEOUT_MS }, (error, metadata) => {
      if (error) {
        fail(`Cannot reach brokers ${brokers} within ${CONNECT_TIMEOUT_MS} ms: ${errorMessage(error)}`, error);
        return;
      }
      clearTimeout(timer);
      producer.setPollInterval(50);
      resolve({ producer, topics: metadata.topics.map((topic) => topic.name) });
    });
  });
}

/** Resolves true when librdkafka's queue is empty; false when `timeoutMs` passed first. */
function flush(producer: Kafka.Producer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) =>
    producer.flush(timeoutMs, (error) => resolve(!error || error.code !== ERR_TIMED_OUT)),
  );
}

function safeDisconnect(producer: Kafka.Producer): void {
  try {
    producer.disconnect(() => {});
  } catch {
    // Never connected: nothing to close.
  }
}

function disconnect(producer: Kafka.Producer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    try {
      producer.disconnect(5_000, () => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
