/**
 * `turbine verify`: reads a whole input topic (up to its high watermarks at start) and the whole
 * output topic, then reports lost records, duplicates and order violations from the outputs'
 * lineage headers (see verify-analysis.ts). Reads with assign() from the beginning and never
 * commits: a random group id and enable.auto.commit=false leave no trace on the cluster.
 */
import { randomUUID } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { kafkaPropertiesFromEnv } from '../config/load.js';
import { TurbineError } from '../errors.js';
import { connectWithTimeout, disconnectWithin } from '../kafka/client-connection.js';
import { type CliIo, defaultIo, startProgress } from './progress.js';
import { analyse, type VerifyReport } from './verify-analysis.js';
import { type IsolationLevel, VERIFY_DEFAULTS, type VerifyOptions } from './verify-options.js';
import { TopicPairReader } from './verify-reader.js';

export interface VerifyRunReport extends VerifyReport {
  input: string;
  output: string;
  /** True when reading stopped on timeout rather than because the output was complete. */
  timedOut: boolean;
  elapsedMs: number;
}

const CONNECT_TIMEOUT_MS = 15_000;

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
    await disconnectWithin(consumer);
  }
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
