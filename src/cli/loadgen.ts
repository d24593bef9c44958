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
import { CONNECT_TIMEOUT_MS, connectWithTimeout, disconnectWithin } from '../kafka/client-connection.js';
import { ERR__QUEUE_FULL, ERR__TIMED_OUT } from '../kafka/error-codes.js';
import { createImageValues } from './loadgen-images.js';
import { type LoadgenInput, type LoadgenOptions, resolveLoadgenOptions } from './loadgen-options.js';
import { registerLoadgenSchema } from './loadgen-registry.js';
import {
  createKeyPicker,
  createValueGenerator,
  defaultSchemaPath,
  type KeyPicker,
  type LoadgenFormat,
  type ValueGenerator,
} from './loadgen-values.js';
import { type CliIo, defaultIo, formatCount, isTty, startProgress } from './progress.js';

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
  /** --value-size; for image and text, the mean value size sent (rounded). */
  valueSize: number;
  format: LoadgenFormat;
  /** Open loop only: the most a record was sent after its due time (0 without --rate). */
  maxLagMs: number;
  /** Value bytes handed to librdkafka. */
  valueBytes: number;
  /** image and text: values sent corrupt on purpose (--corrupt-rate). */
  corrupt: number;
}

/** Local delivery deadline (librdkafka message.timeout.ms): bounds the final flush if the broker is gone. */
const MESSAGE_TIMEOUT_MS = 60_000;
/** As-fast-as-possible mode: records per synchronous burst before yielding to the event loop. */
const BURST = 5_000;
/** Open loop: most records sent in one timer tick when behind schedule, so timers and reports still run. */
const MAX_TICK_BURST = 20_000;
const QUEUE_FULL_WAIT_MS = 5;
/** librdkafka statistics interval while a progress line is shown (its msg_cnt gives records in flight). */
const PROGRESS_STATS_INTERVAL_MS = 250;

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
  const schemaId =
    options.schemaRegistry === undefined
      ? undefined
      : await registerLoadgenSchema(options.schemaRegistry, options.topic, options.schemaPath ?? defaultSchemaPath());
  const values: ValueGenerator =
    options.format === 'image'
      ? await createImageValues(options.seed, options.corruptRate)
      : createValueGenerator({ ...options, format: options.format, schemaId });
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
    await disconnectWithin(producer);
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
  private valueBytes = 0;
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
        this.valueBytes += value.length;
      } catch (error) {
        if ((error as { code?: unknown }).code === ERR__QUEUE_FULL) return true;
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
    const { format } = this.options;
    const ownSizes = format === 'image' || format === 'text';
    return {
      topic: this.options.topic,
      sent: this.sent,
      acked: this.acked,
      errors: this.errors,
      durationMs: Math.round(durationMs),
      ratePerSec: durationMs > 0 ? Math.round((this.acked * 1000) / durationMs) : 0,
      targetRate: this.options.rate,
      valueSize: ownSizes ? Math.round(this.valueBytes / Math.max(1, this.sent)) : this.options.valueSize,
      format,
      maxLagMs: Math.round(this.maxLagMs),
      valueBytes: this.valueBytes,
      corrupt: this.values.corrupted ?? 0,
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

async function connectProducer(
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
  const metadata = await connectWithTimeout(producer, brokers, CONNECT_TIMEOUT_MS);
  producer.setPollInterval(50);
  return { producer, topics: metadata.topics.map((topic) => topic.name) };
}

/** Resolves true when librdkafka's queue is empty; false when `timeoutMs` passed first. */
function flush(producer: Kafka.Producer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) =>
    producer.flush(timeoutMs, (error) => resolve(!error || error.code !== ERR__TIMED_OUT)),
  );
}
