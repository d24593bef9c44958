/**
 * Reads the input topic of a `turbine verify` run up to its high watermarks at start and the
 * output topic (and the dead-letter topic, when given) until every input has an output or a dead
 * letter, collecting the references verify-analysis.ts checks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { OFFSET_BEGINNING } from '../kafka/client-connection.js';
import { ERR__ALL_BROKERS_DOWN, ERR__TIMED_OUT, ERR__TRANSPORT } from '../kafka/error-codes.js';
import { formatCount } from './progress.js';
import type { InputRef, OutputRef } from './verify-analysis.js';
import type { VerifyOptions } from './verify-options.js';

/** Timeout of the watermark queries. */
const QUERY_TIMEOUT_MS = 15_000;
const CONSUME_BATCH = 5_000;
/** Per-message wait inside consume(n); small, because consume(n) returns at the first timeout. */
const CONSUME_TIMEOUT_MS = 100;
/** Transient consumer errors librdkafka retries by itself; the idle timeout bounds them. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([ERR__TRANSPORT, ERR__ALL_BROKERS_DOWN, ERR__TIMED_OUT]);

const HEADER_TOPIC = 'turbine.source.topic';
const HEADER_PARTITION = 'turbine.source.partition';
const HEADER_OFFSET = 'turbine.source.offset';

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
export class TopicPairReader {
  readonly inputs: InputRef[] = [];
  readonly outputs: OutputRef[] = [];
  /** Records of the dead-letter topic (with --dead-letter). */
  readonly deadLetters: OutputRef[] = [];
  private readonly inputCursors = new Map<number, PartitionCursor>();
  private readonly outputCursors = new Map<number, PartitionCursor>();
  private readonly deadCursors = new Map<number, PartitionCursor>();
  /**
   * Per input partition, one byte per offset in [low, high): bit 1 = input read, bit 2 = an
   * output names it, bit 4 = a dead letter names it. An offset is covered once it has bit 1 and
   * one of the others, counted as it gets there, without keeping a set per record.
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

  async start(inputPartitions: number[], outputPartitions: number[], deadPartitions: number[] = []): Promise<void> {
    const { consumer, options } = this;
    const dead = options.deadLetter;
    const [inputMarks, outputMarks, deadMarks] = await Promise.all([
      watermarks(consumer, options.input, inputPartitions),
      watermarks(consumer, options.output, outputPartitions),
      dead === undefined ? new Map<number, Kafka.WatermarkOffsets>() : watermarks(consumer, dead, deadPartitions),
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
    for (const [partition, marks] of deadMarks) {
      this.deadCursors.set(partition, { end: marks.highOffset, next: marks.lowOffset });
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
      ...(dead === undefined
        ? []
        : deadPartitions.map((partition) => ({ topic: dead, partition, offset: OFFSET_BEGINNING }))),
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
          // Everything has an output (or a dead letter): read the output to its current end, to
          // see every duplicate and out-of-order output written so far, then stop.
          this.finalEndsQueried = true;
          await raiseEnds(this.consumer, this.options.output, this.outputCursors);
          if (this.options.deadLetter !== undefined) {
            await raiseEnds(this.consumer, this.options.deadLetter, this.deadCursors);
          }
          lastProgressAt = performance.now();
        }
        if (allReached(this.outputCursors) && allReached(this.deadCursors)) return false;
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
      const dead = message.topic === this.options.deadLetter;
      const cursor = (dead ? this.deadCursors : this.outputCursors).get(message.partition);
      if (cursor === undefined) continue;
      const behind = message.offset < cursor.end;
      cursor.next = Math.max(cursor.next, message.offset + 1);
      const output = lineageOf(message, keyed, input, this.inputTopicBytes);
      (dead ? this.deadLetters : this.outputs).push(output);
      if (output.sourceTopic === input && this.mark(output.sourcePartition, output.sourceOffset, dead ? 4 : 2)) {
        progress = true;
      }
      if (behind) progress = true;
    }
    return progress;
  }

  /** Sets a coverage bit; true when the offset became covered (input read and output seen). */
  private mark(partition: number, offset: number, bit: 1 | 2 | 4): boolean {
    const entry = this.coverage.get(partition);
    if (entry === undefined || !Number.isInteger(offset)) return false;
    const index = offset - entry.low;
    if (index < 0 || index >= entry.flags.length) return false;
    const before = entry.flags[index]!;
    const after = before | bit;
    entry.flags[index] = after;
    if (!isCovered(before) && isCovered(after)) {
      this.covered++;
      return true;
    }
    return false;
  }

  private cursorOf(topic: string, partition: number): PartitionCursor | undefined {
    if (topic === this.options.input) return this.inputCursors.get(partition);
    if (topic === this.options.output) return this.outputCursors.get(partition);
    if (topic === this.options.deadLetter) return this.deadCursors.get(partition);
    return undefined;
  }

  progressText(): string {
    const inputEnd = sum(this.inputCursors, (cursor) => cursor.end);
    return (
      `verify: input ${formatCount(this.inputs.length)} read (end ${formatCount(inputEnd)})  ` +
      `output ${formatCount(this.outputs.length)} read  ` +
      (this.options.deadLetter === undefined ? '' : `dead letters ${formatCount(this.deadLetters.length)} read  `) +
      `covered ${formatCount(this.covered)}`
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

/** Input read, and an output or a dead letter names it. */
function isCovered(flags: number): boolean {
  return (flags & 1) !== 0 && (flags & 6) !== 0;
}

/** Moves each cursor's end up to its partition's current high watermark. */
async function raiseEnds(
  consumer: Kafka.KafkaConsumer,
  topic: string,
  cursors: Map<number, PartitionCursor>,
): Promise<void> {
  for (const [partition, mark] of await watermarks(consumer, topic, [...cursors.keys()])) {
    const cursor = cursors.get(partition);
    if (cursor !== undefined) cursor.end = Math.max(cursor.end, mark.highOffset);
  }
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

function watermarks(
  consumer: Kafka.KafkaConsumer,
  topic: string,
  partitions: number[],
): Promise<Map<number, Kafka.WatermarkOffsets>> {
  return Promise.all(
    partitions.map(
      (partition) =>
        new Promise<[number, Kafka.WatermarkOffsets]>((resolve, reject) =>
          consumer.queryWatermarkOffsets(topic, partition, QUERY_TIMEOUT_MS, (error, offsets) => {
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
