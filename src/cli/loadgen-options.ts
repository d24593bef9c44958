/**
 * `turbine loadgen` options: the flags, their defaults and help text, and the checks that turn
 * flags or a program's input into frozen LoadgenOptions.
 */
import { TurbineError } from '../errors.js';
import {
  checkEnum,
  checkNumber,
  enumFlag,
  type FlagSpec,
  flagSpec,
  numberFlag,
  parseFlags,
  requiredString,
} from './args.js';
import type { KeyDistribution, LoadgenFormat } from './loadgen-values.js';

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
  /** Value format: json, raw, avro, or the generated workloads image and text. Default json. */
  format: LoadgenFormat;
  /** Avro schema file; default workers/schemas/stock-movement.avsc. */
  schemaPath?: string | undefined;
  /** Avro: a Schema Registry URL; the schema is registered under `<topic>-value` and its id written. */
  schemaRegistry?: string | undefined;
  /** image and text: share of values sent corrupt on purpose, 0..1. Default 0. */
  corruptRate: number;
  /** image and text: seed of the generator; the same seed gives the same images or texts. Default 1. */
  seed: number;
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
  corruptRate: 0,
  seed: 1,
} as const satisfies Partial<LoadgenOptions>;

const FORMATS: readonly LoadgenFormat[] = ['json', 'raw', 'avro', 'image', 'text'];
/** Formats whose value sizes are their own (images 20–500 KB, texts 50–2000 characters). */
const GENERATED: readonly LoadgenFormat[] = ['image', 'text'];
const DISTRIBUTIONS: readonly KeyDistribution[] = ['uniform', 'zipf'];
/** librdkafka's default message.max.bytes is 1,000,000 including record overhead. */
const MAX_VALUE_SIZE = 990_000;

export const LOADGEN_HELP = `Usage: turbine loadgen --brokers B --topic T [options]

Writes generated records to a topic and prints one JSON summary line on stdout:
{"topic","sent","acked","errors","durationMs","ratePerSec","targetRate","valueSize","format","maxLagMs","valueBytes","corrupt"}

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
  --format F                  json | raw | avro | image | text (default ${LOADGEN_DEFAULTS.format})
  --schema FILE               avro schema (default workers/schemas/stock-movement.avsc)
  --schema-registry URL       avro: register the schema under <topic>-value in this Schema Registry
                              (Confluent API) and write its id instead of 1
  --corrupt-rate R            image | text: share of values sent corrupt, 0..1 (default ${LOADGEN_DEFAULTS.corruptRate})
  --seed N                    image | text: generator seed; the same seed, the same values (default ${LOADGEN_DEFAULTS.seed})

json values are stock movements: {"sku":"SKU-<n>","warehouse":"WH-<1..4>","delta":<-20..30>,"seq":<i>,"ts":<ms>,"pad":"x..."}
where key-<n> gives SKU-<n>. avro uses the same fields in the Confluent wire format (schema id 1,
or the registry's id with --schema-registry).
raw values are random bytes.
image values are JPEG and PNG files of 20–500 KB (two JPEGs for every PNG), generated with
sharp at start (a few seconds) and sent again and again; run workers/thumbnail.ts on them with
--input-format raw --output-format raw. A corrupt image is cut short, overwritten in the middle
or random bytes, and fails decoding.
text values are reviews {"id":"r-<i>","product":"SKU-<n>","text":"..."} of 50–2000 characters,
built from word lists; run workers/text.ts on them. A corrupt text is cut in half (not JSON).
image and text take no --value-size: valueSize in the summary is then their mean size. valueBytes
is the total value bytes sent, corrupt the values sent corrupt. A progress line is shown when stderr is a terminal.
librdkafka properties (TLS, SASL: docs/security.md) come from TURBINE_KAFKA_<KEY> variables.
`;

const FLAGS: FlagSpec = flagSpec([
  'brokers',
  'topic',
  'count',
  'duration',
  'rate',
  'value-size',
  'keys',
  'key-distribution',
  'partitions',
  'format',
  'schema',
  'schema-registry',
  'corrupt-rate',
  'seed',
]);

/** Parses `turbine loadgen` flags (without the sub-command name). `--help` is the caller's. */
export function parseLoadgenArgs(argv: string[]): LoadgenOptions {
  const values = parseFlags('loadgen', argv, FLAGS);
  if (values.count !== undefined && values.duration !== undefined) {
    throw new TurbineError('CONFIG_INVALID', '--count and --duration cannot be used together; give one of them', {
      details: { flag: 'duration' },
    });
  }
  const schema = values.schema;
  const format = enumFlag(values, 'format', FORMATS, LOADGEN_DEFAULTS.format);
  if (values['value-size'] !== undefined && GENERATED.includes(format)) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--value-size does not apply to --format ${format}: its values have sizes of their own (turbine loadgen --help)`,
      { details: { flag: 'value-size' } },
    );
  }
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
    format,
    schemaPath: typeof schema === 'string' ? schema : undefined,
    schemaRegistry: typeof values['schema-registry'] === 'string' ? values['schema-registry'] : undefined,
    corruptRate: numberFlag(values, 'corrupt-rate', LOADGEN_DEFAULTS.corruptRate, { min: 0, max: 1, integer: false }),
    seed: numberFlag(values, 'seed', LOADGEN_DEFAULTS.seed, { min: 0, max: 0xffffffff, integer: true }),
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
    schemaRegistry: input.schemaRegistry,
    corruptRate: checkNumber('corrupt-rate', input.corruptRate ?? LOADGEN_DEFAULTS.corruptRate, {
      min: 0,
      max: 1,
      integer: false,
    }),
    seed: integer('seed', input.seed ?? LOADGEN_DEFAULTS.seed, 0, 0xffffffff),
  };
  if (options.corruptRate > 0 && !GENERATED.includes(options.format)) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--corrupt-rate applies to --format image or text only (got --format ${options.format})`,
      { details: { flag: 'corrupt-rate', value: options.corruptRate } },
    );
  }
  if (options.schemaRegistry !== undefined) {
    if (options.format !== 'avro')
      throw new TurbineError(
        'CONFIG_INVALID',
        `--schema-registry applies to --format avro only (got --format ${options.format})`,
        {
          details: { flag: 'schema-registry' },
        },
      );
    if (!/^https?:\/\/[^\s?#]+$/.test(options.schemaRegistry))
      throw new TurbineError(
        'CONFIG_INVALID',
        `--schema-registry: accepted values are http(s):// URLs, got ${options.schemaRegistry}`,
        {
          details: { flag: 'schema-registry', value: options.schemaRegistry },
        },
      );
  }
  return Object.freeze(options);
}
