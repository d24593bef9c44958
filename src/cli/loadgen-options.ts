/**
 * `turbine loadgen` options: the flags, their defaults and help text, and the checks that turn
 * flags or a program's input into frozen LoadgenOptions.
 */
import { TurbineError } from '../errors.js';
import type { RecordFormat } from '../types.js';
import { checkEnum, checkNumber, enumFlag, type FlagSpec, numberFlag, parseFlags, requiredString } from './args.js';
import type { KeyDistribution } from './loadgen-values.js';

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
