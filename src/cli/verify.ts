/**
 * `turbine verify`: reads a whole input topic (up to its high watermarks at start) and the whole
 * output topic, then reports lost records, duplicates and order violations from the outputs'
 * lineage headers (see verify-analysis.ts). Reads with assign() from the beginning and never
 * commits: a random group id and enable.auto.commit=false leave no trace on the cluster.
 * With --state-store, it then runs the inventory check against the store's changelog (verify-state.ts).
 */
import { randomUUID } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { kafkaPropertiesFromEnv } from '../config/load.js';
import { TurbineError } from '../errors.js';
import { CONNECT_TIMEOUT_MS, connectWithTimeout, disconnectWithin } from '../kafka/client-connection.js';
import { changelogTopicOf } from '../state/keyed-state.js';
import { describeInventoryCheck, inventoryMatches } from './inventory-fold.js';
import { type CliIo, defaultIo, startProgress } from './progress.js';
import { analyse, type VerifyReport } from './verify-analysis.js';
import { type IsolationLevel, VERIFY_DEFAULTS, type VerifyOptions } from './verify-options.js';
import { TopicPairReader } from './verify-reader.js';
import { type VerifyStateReport, verifyState } from './verify-state.js';

export interface VerifyRunReport extends VerifyReport {
  input: string;
  output: string;
  /** True when reading stopped on timeout rather than because the output was complete. */
  timedOut: boolean;
  elapsedMs: number;
  /** With --state-store: the inventory check against the store's changelog. */
  state?: VerifyStateReport;
}

/** The command fails on lost or out-of-order outputs, and with --state-store on any level mismatch. */
export function verifyFailed(report: VerifyRunReport): boolean {
  return (
    report.lost > 0 || report.orderViolations > 0 || (report.state !== undefined && !inventoryMatches(report.state))
  );
}

export async function runVerify(input: VerifyOptions, ioInput: Partial<CliIo> = {}): Promise<VerifyRunReport> {
  const options = { ...VERIFY_DEFAULTS, ...input };
  const io = defaultIo(ioInput);
  const startedAt = performance.now();
  const { consumer, topics } = await connectConsumer(options.brokers, options.isolationLevel);
  let report: VerifyRunReport;
  let changelog: { topic: string; partitions: number[] } | undefined;
  try {
    const inputPartitions = partitionsOf(topics, options.input, 'input');
    const outputPartitions = partitionsOf(topics, options.output, 'output');
    const deadPartitions =
      options.deadLetter === undefined ? [] : partitionsOf(topics, options.deadLetter, 'dead-letter');
    if (options.state) {
      // Checked before the long read, so a wrong --group or --state-store fails at once.
      const topic = changelogTopicOf(options.state.group, options.state.store);
      changelog = { topic, partitions: partitionsOf(topics, topic, 'state-store', 'changelog topic') };
    }
    const reader = new TopicPairReader(consumer, options);
    await reader.start(inputPartitions, outputPartitions, deadPartitions);
    const progress = startProgress(io.stderr, () => reader.progressText(), !options.quiet);
    let timedOut: boolean;
    try {
      timedOut = await reader.readAll(io.signal);
    } finally {
      progress.stop();
    }
    report = {
      ...analyse(reader.inputs, reader.outputs, options.ordering, {
        inputTopic: options.input,
        ...(options.deadLetter === undefined ? {} : { deadLetters: reader.deadLetters }),
      }),
      input: options.input,
      output: options.output,
      timedOut,
      elapsedMs: Math.round(performance.now() - startedAt),
    };
  } finally {
    await disconnectWithin(consumer);
  }
  if (options.state && changelog) {
    const { brokers, input: inputTopic, output } = options;
    const source = { brokers, kafka: kafkaPropertiesFromEnv(process.env), input: inputTopic, output };
    report.state = await verifyState(
      { ...source, changelog: changelog.topic, changelogPartitions: changelog.partitions },
      options.state,
    );
    report.elapsedMs = Math.round(performance.now() - startedAt);
    if (!options.quiet) io.stderr.write(`state: ${describeInventoryCheck(report.state)}\n`);
  }
  io.stdout.write(`${JSON.stringify(report)}\n`);
  return report;
}

function partitionsOf(
  topics: Kafka.TopicMetadata[],
  name: string,
  flag: 'input' | 'output' | 'dead-letter' | 'state-store',
  what = 'topic',
): number[] {
  const topic = topics.find((candidate) => candidate.name === name);
  if (topic === undefined || topic.partitions.length === 0) {
    throw new TurbineError('CONFIG_INVALID', `--${flag} ${what} "${name}" does not exist`, {
      details: { flag, value: name },
    });
  }
  return topic.partitions.map((partition) => partition.id).sort((a, b) => a - b);
}

async function connectConsumer(
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
  const metadata = await connectWithTimeout(consumer, brokers, CONNECT_TIMEOUT_MS);
  return { consumer, topics: metadata.topics };
}
