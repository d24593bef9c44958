/**
 * `turbine verify`: reads a whole input topic (up to its high watermarks at start) and the whole
 * output topic, then reports lost records, duplicates and order violations from the outputs'
 * lineage headers (see verify-analysis.ts). Reads with assign() from the beginning and never
 * commits: a random group id and enable.auto.commit=false leave no trace on the cluster.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import { kafkaPropertiesFromEnv } from '../config/load.js';
import { errorMessage, TurbineError } from '../errors.js';
import { enumFlag, type FlagSpec, numberFlag, parseFlags, requiredString } from './args.js';
import { type CliIo, defaultIo, formatCount, startProgress } from './progress.js';
import { analyse, type InputRef, type OutputRef, type VerifyOrdering, type VerifyReport } from './verify-analysis.js';

export interface VerifyOptions {
  /** Bootstrap brokers, comma-separated host:port. */
  brokers: string;
  /** Input topic: every record below its high watermarks at start must have an output. */
  input: string;
  /** Output topic whose records carry turbine.source.* lineage headers. */
  output: string;
  /** Order to check: per source partition, or per source partition and key. Default partition. */
  ordering: VerifyOrdering;
  /** How long to keep reading while the output is behind and nothing new arrives, in ms. Default 30000. */
  timeoutMs: number;
  /** No progress line. The JSON report is still printed. */
  quiet: boolean;
  /**
   * read_committed (default, librdkafka's default and what downstream readers usually see):
   * outputs of aborted or still-open transactions are invisible. read_uncommitted counts them.
   */
  isolationLevel?: IsolationLevel;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export interface VerifyRunReport extends VerifyReport {
  input: string;
  output: string;
  /** True when reading stopped on timeout rather than because the output was complete. */
  timedOut: boolean;
  elapsedMs: number;
}

export const VERIFY_DEFAULTS = {
  ordering: 'partition',
  timeoutMs: 30_000,
  quiet: false,
  isolationLevel: 'read_committed',
} as const;

const ISOLATION_LEVELS: readonly IsolationLevel[] = ['read_committed', 'read_uncommitted'];

const ORDERINGS: readonly VerifyOrdering[] = ['partition', 'key'];

export const VERIFY_HELP = `Usage: turbine verify --brokers B --input IN --output OUT [options]

Checks an output topic against its input using the lineage headers Turbine writes on every output
(turbine.source.topic, turbine.source.partition, turbine.source.offset), for workers that emit
exactly one output per input. Prints one JSON line on stdout:
{"ordering","inputs","outputs","lost","duplicates","orderViolations","unmatched","withoutLineage",
 "lostSamples","violationSamples","input","output","timedOut","elapsedMs"}

  lost             input records (below the input's high watermarks at start) with no output
  duplicates       outputs beyond one per source record (replays after a crash; allowed by at-least-once)
  orderViolations  first outputs that came after the output of a later source record of the same
                   source partition (--ordering partition) or source partition and key (--ordering key),
                   within one output partition

Options:
  --brokers B         bootstrap brokers, host:port[,host:port] (required)
  --input IN          input topic (required)
  --output OUT        output topic (required)
  --ordering O        partition | key (default ${VERIFY_DEFAULTS.ordering})
  --timeout-ms MS     how long to keep waiting while outputs are missing and none arrive (default ${VERIFY_DEFAULTS.timeoutMs});
                      reading stops early once every input has an output and the output reached its end
  --isolation-level L read_committed | read_uncommitted (default ${VERIFY_DEFAULTS.isolationLevel}); with
                      read_committed, outputs of aborted or open transactions (exactly-once) are not counted,
                      as a downstream read_committed consumer would not see them
  --quiet             no progress line on stderr

librdkafka properties (TLS, SASL: docs/security.md) come from TURBINE_KAFKA_<KEY> variables.

Exit status (from the turbine command): 1 when lost > 0 or orderViolations > 0.
`;

const FLAGS: FlagSpec = {
  brokers: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  ordering: { type: 'string' },
  'timeout-ms': { type: 'string' },
  quiet: { type: 'boolean' },
  'isolation-level': { type: 'string' },
};

/** Parses `turbine verify` flags (without the sub-command name). `--help` is the caller's. */
export function parseVerifyArgs(argv: string[]): VerifyOptions {
  const values = parseFlags('verify', argv, FLAGS);
  const options: VerifyOptions = {
    brokers: requiredString(values, 'brokers'),
    input: requiredString(values, 'input'),
    output: requiredString(values, 'output'),
    ordering: enumFlag(values, 'ordering', ORDERINGS, VERIFY_DEFAULTS.ordering),
    timeoutMs: numberFlag(values, 'timeout-ms', VERIFY_DEFAULTS.timeoutMs, { min: 0, max: 86_400_000, integer: true }),
    quiet: values.quiet === true,
    isolationLevel: enumFlag(values, 'isolation-level', ISOLATION_LEVELS, VERIFY_DEFAULTS.isolationLevel),
  };
  if (options.input === options.output) {
    throw new TurbineError('CONFIG_INVALID', '--input and --output must be different topics', {
      details: { flag: 'output' },
    });
  }
  return Object.freeze(options);
}

const CONNECT_TIMEOUT_MS = 15_000;
const CONSUME_BATCH = 5_000;
/** Per-message wait inside consume(n); small, because consume(n) returns at the first timeout. */
const CONSUME_TIMEOUT_MS = 100;
/** librdkafka logical offset OFFSET_BEGINNING: start at each partition's log start. */
const OFFSET_BEGINNING = -2;
/** Transient consumer errors librdkafka retries by itself; the idle timeout bounds them. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([-195 /* transport */, -187 /* all brokers down */, -185]);

const HEADER_TOPIC = 'turbine.source.topic';
const HEADER_PARTITION = 'turbine.source.partition';
const HEADER_OFFSET = 'turbine.source.offset';

export async function runVerify(input: VerifyOptions, ioInput: Partial<CliIo> = {}): Promise<VerifyRunReport> {
  const options = { ...VERIFY_DEFAULTS, ...input };
  const io = defaultIo(ioInput);
  const startedAt = performance.now();
  const { consumer, topics } = await connectConsumer(options.brokers, options.isolationLevel);
  try {
    const inputPartitions = partitionsOf(topics, options.input, 'input');
    const outputPartitions = partitionsOf(topics, options.output, 'output');
    const reader = new TopicPairReader(consumer, options);
    await reader.start(inputPartitions, outputPartitions);
    const progress = startProgress(io.stderr, () => reader.progressText(), !options.quiet);
    let timedOut: boolean;
    try {
      timedOut = await reader.readAll(io.signal);
    } finally {
      progress.stop();
    }
    const report: VerifyRunReport = {
      ...analyse(reader.inputs, reader.outputs, options.ordering, { inputTopic: options.input }),
      input: options.input,
      output: options.output,
      timedOut,
      elapsedMs: Math.round(performance.now() - startedAt),
    };
    io.stdout.write(`${JSON.stringify(report)}\n`);
    return report;
  } finally {
    await disconnect(consumer);
  }
}

/** Read state of one partition: where reading must reach and how far it got. */
interface PartitionCursor {
  /** Offset reading must reach (exclusive). */
  end: number;
  /** Next offset to read (from records and end-of-partition events). */
  next: number;
}

/**
 * Reads the input up to its start high watermarks and the output until every input has an
 * output and the output reached its high watermarks (queried again at that moment), or until
 * `timeoutMs` passes without progress.
 */
class TopicPairReader {
  readonly inputs: InputRef[] = [];
  readonly outputs: OutputRef[] = [];
  private readonly inputCursors = new Map<number, PartitionCursor>();
  private readonly outputCursors = new Map<number, PartitionCursor>();
  /**
   * Per input partition, one byte per offset in [low, high): bit 1 = input read, bit 2 = an
   * output names it. Coverage is counted as offsets reach 3, without keeping a set per record.
   */
  private readonly coverage = new Map<number, { low: number; flags: Uint8Array }>();
  private covered = 0;
  private inputPaused = false;
  private finalEndsQueried = false;
  private readonly inputTopicBytes: Buffer;

  constructor(
    private readonly consumer: Kafka.KafkaConsumer,
    private readonly options: VerifyOptions,
  ) {
    this.inputTopicBytes = Buffer.from(options.input, 'utf8');
  }

  async start(inputPartitions: number[], outputPartitions: number[]): Promise<void> {
    const { consumer, options } = this;
    const [inputMarks, outputMarks] = await Promise.all([
      watermarks(consumer, options.input, inputPartitions),
      watermarks(consumer, options.output, outputPartitions),
    ]);
    for (const [partition, marks] of inputMarks) {
      this.inputCursors.set(partition, { end: marks.highOffset, next: marks.lowOffset });
      this.coverage.set(partition, {
        low: marks.lowOffset,
        flags: new Uint8Array(Math.max(0, marks.highOffset - marks.lowOffset)),
      });
    }
    for (const [partition, marks] of outputMarks) {
      this.outputCursors.set(partition, { end: marks.highOffset, next: marks.lowOffset });
    }
    consumer.on('partition.eof', (event) => {
      // End of partition: for read_committed, offsets up to here include transaction markers
      // that never arrive as records.
      const cursor = this.cursorOf(event.topic, event.partition);
      if (cursor !== undefined) cursor.next = Math.max(cursor.next, event.offset);
    });
    consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    consumer.assign([
      ...inputPartitions.map((partition) => ({ topic: options.input, partition, offset: OFFSET_BEGINNING })),
      ...outputPartitions.map((partition) => ({ topic: options.output, partition, offset: OFFSET_BEGINNING })),
    ]);
  }

  /** Reads until complete (returns false) or until `timeoutMs` passed without progress (returns true). */
  async readAll(signal: AbortSignal | undefined): Promise<boolean> {
    let lastProgressAt = performance.now();
    while (signal?.aborted !== true) {
      const messages = await consumeBatch(this.consumer, CONSUME_BATCH);
      if (this.absorb(messages)) lastProgressAt = performance.now();
      const inputDone = allReached(this.inputCursors);
      if (inputDone && !this.inputPaused) {
        // Records appended to the input after the start are not part of this check.
        this.consumer.pause(
          [...this.inputCursors.keys()].map((partition) => ({ topic: this.options.input, partition })),
        );
        this.inputPaused = true;
      }
      if (inputDone && this.covered === this.inputs.length) {
        if (!this.finalEndsQueried) {
          // Everything has an output: read the output to its current end, to see every
          // duplicate and out-of-order output written so far, then stop.
          this.finalEndsQueried = true;
          const marks = await watermarks(this.consumer, this.options.output, [...this.outputCursors.keys()]);
          for (const [partition, mark] of marks) {
            const cursor = this.outputCursors.get(partition);
            if (cursor !== undefined) cursor.end = Math.max(cursor.end, mark.highOffset);
          }
          lastProgressAt = performance.now();
        }
        if (allReached(this.outputCursors)) return false;
      }
      if (performance.now() - lastProgressAt > this.options.timeoutMs) return true;
      if (messages.length === 0) await sleep(10);
    }
    return true;
  }

  /** Records a batch; true when it made progress (input read, a new input covered, or output backlog read). */
  private absorb(messages: Kafka.Message[]): boolean {
    const { input, ordering } = this.options;
    const keyed = ordering === 'key';
    let progress = false;
    for (const message of messages) {
      if (message.topic === input) {
        const cursor = this.inputCursors.get(message.partition);
        if (cursor === undefined || message.offset >= cursor.end) continue;
        cursor.next = Math.max(cursor.next, message.offset + 1);
        this.inputs.push({
          partition: message.partition,
          offset: message.offset,
          key: keyed && message.key != null ? message.key.toString() : null,
        });
        this.mark(message.partition, message.offset, 1);
        progress = true;
        continue;
      }
      const cursor = this.outputCursors.get(message.partition);
      if (cursor === undefined) continue;
      const behind = message.offset < cursor.end;
      cursor.next = Math.max(cursor.next, message.offset + 1);
      const output = lineageOf(message, keyed, input, this.inputTopicBytes);
      this.outputs.push(output);
      if (output.sourceTopic === input && this.mark(output.sourcePartition, output.sourceOffset, 2)) progress = true;
      if (behind) progress = true;
    }
    return progress;
  }

  /** Sets a coverage bit; true when the offset became covered (input read and output seen). */
  private mark(partition: number, offset: number, bit: 1 | 2): boolean {
    const entry = this.coverage.get(partition);
    if (entry === undefined || !Number.isInteger(offset)) return false;
    const index = offset - entry.low;
    if (index < 0 || index >= entry.flags.length) return false;
    const before = entry.flags[index]!;
    const after = before | bit;
    entry.flags[index] = after;
    if (before !== 3 && after === 3) {
      this.covered++;
      return true;
    }
    return false;
  }

  private cursorOf(topic: string, partition: number): PartitionCursor | undefined {
    if (topic === this.options.input) return this.inputCursors.get(partition);
    if (topic === this.options.output) return this.outputCursors.get(partition);
    return undefined;
  }

  progressText(): string {
    const inputEnd = sum(this.inputCursors, (cursor) => cursor.end);
    return (
      `verify: input ${formatCount(this.inputs.length)} read (end ${formatCount(inputEnd)})  ` +
      `output ${formatCount(this.outputs.length)} read  covered ${formatCount(this.covered)}`
    );
  }
}

function lineageOf(message: Kafka.Message, keyed: boolean, inputTopic: string, inputTopicBytes: Buffer): OutputRef {
  let sourceTopic = '';
  let sourcePartition = Number.NaN;
  let sourceOffset = Number.NaN;
  for (const header of message.headers ?? []) {
    for (const name in header) {
      const value = header[name]!;
      if (name === HEADER_TOPIC) {
        // Almost every output names the input topic: reuse that string instead of decoding a new one.
        sourceTopic =
          typeof value === 'string' ? value : value.equals(inputTopicBytes) ? inputTopic : value.toString('utf8');
        continue;
      }
      const text = typeof value === 'string' ? value : value.toString('utf8');
      if (name === HEADER_PARTITION) sourcePartition = text === '' ? Number.NaN : Number(text);
      else if (name === HEADER_OFFSET) sourceOffset = text === '' ? Number.NaN : Number(text);
    }
  }
  return {
    outputPartition: message.partition,
    sourceTopic,
    sourcePartition,
    sourceOffset,
    key: keyed && message.key != null ? message.key.toString() : null,
  };
}

function allReached(cursors: Map<number, PartitionCursor>): boolean {
  for (const cursor of cursors.values()) if (cursor.next < cursor.end) return false;
  return true;
}

function sum(cursors: Map<number, PartitionCursor>, pick: (cursor: PartitionCursor) => number): number {
  let total = 0;
  for (const cursor of cursors.values()) total += pick(cursor);
  return total;
}

function partitionsOf(topics: Kafka.TopicMetadata[], name: string, flag: 'input' | 'output'): number[] {
  const topic = topics.find((candidate) => candidate.name === name);
  if (topic === undefined || topic.partitions.length === 0) {
    throw new TurbineError('CONFIG_INVALID', `--${flag} topic "${name}" does not exist`, {
      details: { flag, value: name },
    });
  }
  return topic.partitions.map((partition) => partition.id).sort((a, b) => a - b);
}

function connectConsumer(
  brokers: string,
  isolationLevel: IsolationLevel,
): Promise<{ consumer: Kafka.KafkaConsumer; topics: Kafka.TopicMetadata[] }> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'client.id': 'turbine-verify',
      // assign() needs a group id, but nothing is committed: the group never shows up.
      'group.id': `turbine-verify-${randomUUID()}`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
      // TLS and SASL settings (docs/security.md), as for `turbine run`.
      ...kafkaPropertiesFromEnv(process.env),
      'isolation.level': isolationLevel,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  consumer.on('event.error', () => {});
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown) => {
      clearTimeout(timer);
      try {
        consumer.disconnect();
      } catch {
        // Never connected: nothing to close.
      }
      reject(new TurbineError('KAFKA_CONNECT_FAILED', message, { cause, details: { brokers } }));
    };
    const timer = setTimeout(
      () => fail(`No connection to brokers ${brokers} within ${CONNECT_TIMEOUT_MS} ms`),
      CONNECT_TIMEOUT_MS + 2_000,
    );
    consumer.connect({ timeout: CONNECT_TIMEOUT_MS }, (error, metadata) => {
      if (error) {
        fail(`Cannot reach brokers ${brokers} within ${CONNECT_TIMEOUT_MS} ms: ${errorMessage(error)}`, error);
        return;
      }
      clearTimeout(timer);
      resolve({ consumer, topics: metadata.topics });
    });
  });
}

function watermarks(
  consumer: Kafka.KafkaConsumer,
  topic: string,
  partitions: number[],
): Promise<Map<number, Kafka.WatermarkOffsets>> {
  return Promise.all(
    partitions.map(
      (partition) =>
        new Promise<[number, Kafka.WatermarkOffsets]>((resolve, reject) =>
          consumer.queryWatermarkOffsets(topic, partition, CONNECT_TIMEOUT_MS, (error, offsets) => {
            if (error) {
              reject(
                new TurbineError(
                  'KAFKA_CONSUME_FAILED',
                  `Querying the watermarks of ${topic}[${partition}] failed: ${errorMessage(error)}`,
                  { cause: error },
                ),
              );
            } else {
              resolve([partition, offsets]);
            }
          }),
        ),
    ),
  ).then((entries) => new Map(entries));
}

function consumeBatch(consumer: Kafka.KafkaConsumer, count: number): Promise<Kafka.Message[]> {
  return new Promise((resolve, reject) =>
    consumer.consume(count, (error, messages) => {
      if (!error) resolve(messages);
      else if (TRANSIENT_CODES.has(error.code)) resolve([]);
      else
        reject(new TurbineError('KAFKA_CONSUME_FAILED', `Consuming failed: ${errorMessage(error)}`, { cause: error }));
    }),
  );
}

function disconnect(consumer: Kafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    consumer.disconnect(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
