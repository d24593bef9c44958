/**
 * `turbine verify` options: the flags, their defaults and help text, and the checks that turn
 * flags into frozen VerifyOptions.
 */
import { OPTIONS } from '../config/options.js';
import { TurbineError } from '../errors.js';
import { loadStateType } from '../state/state-codec.js';
import { enumFlag, type FlagSpec, type FlagValues, flagSpec, numberFlag, parseFlags, requiredString } from './args.js';
import type { VerifyOrdering } from './verify-analysis.js';

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
  /**
   * The dead-letter topic: inputs a dead letter names count as dead-lettered, not lost. Absent:
   * the dead-letter topic is not read.
   */
  deadLetter?: string;
  /** Also run the inventory check against a state store's changelog (--state-store); off when absent. */
  state?: VerifyStateOptions;
}

/** The inventory check of `turbine verify --state-store`, for the sample worker workers/inventory.ts. */
export interface VerifyStateOptions {
  /** The store's name, as `turbine run --state-store`. */
  store: string;
  /** The run's consumer group: the changelog topic is <group>-<store>-changelog. */
  group: string;
  /** The level every SKU/warehouse starts at, as the worker's INVENTORY_START. Default 100. */
  startValue: number;
  /** The store's Avro schema file (`turbine run --state-schema`); empty for JSON values. */
  stateSchema: string;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export const VERIFY_DEFAULTS = {
  ordering: 'partition',
  timeoutMs: 30_000,
  quiet: false,
  isolationLevel: 'read_committed',
  /** workers/inventory.ts's INVENTORY_START default. */
  startValue: 100,
} as const;

const ISOLATION_LEVELS: readonly IsolationLevel[] = ['read_committed', 'read_uncommitted'];

const ORDERINGS: readonly VerifyOrdering[] = ['partition', 'key'];

export const VERIFY_HELP = `Usage: turbine verify --brokers B --input IN --output OUT [options]

Checks an output topic against its input using the lineage headers Turbine writes on every output
(turbine.source.topic, turbine.source.partition, turbine.source.offset), for workers that emit
exactly one output per input. Prints one JSON line on stdout:
{"ordering","inputs","outputs","lost","duplicates","orderViolations","unmatched","withoutLineage",
 "lostSamples","violationSamples","input","output","timedOut","elapsedMs"} (and "deadLettered" with --dead-letter)

  lost             input records (below the input's high watermarks at start) with no output
                   (and, with --dead-letter, no dead letter)
  deadLettered     with --dead-letter: input records with no output that a dead letter names as its source
  duplicates       outputs beyond one per source record (replays after a crash; allowed by at-least-once)
  orderViolations  first outputs that came after the output of a later source record of the same
                   source partition (--ordering partition) or source partition and key (--ordering key),
                   within one output partition

Options:
  --brokers B         bootstrap brokers, host:port[,host:port] (required)
  --input IN          input topic (required)
  --output OUT        output topic (required)
  --ordering O        partition | key (default ${VERIFY_DEFAULTS.ordering})
  --dead-letter DLQ   also read the dead-letter topic (turbine run's --dead-letter-topic, by default <input>.dlq):
                      records sent there on purpose count as deadLettered, not lost
  --timeout-ms MS     how long to keep waiting while outputs are missing and none arrive (default ${VERIFY_DEFAULTS.timeoutMs});
                      reading stops early once every input has an output and the output reached its end
  --isolation-level L read_committed | read_uncommitted (default ${VERIFY_DEFAULTS.isolationLevel}); with
                      read_committed, outputs of aborted or open transactions (exactly-once) are not counted,
                      as a downstream read_committed consumer would not see them
  --quiet             no progress or state line on stderr

Keyed state of the inventory sample worker (workers/inventory.ts), with no engine running (after a crash):
  --state-store NAME  also fold every stock movement {sku, warehouse, delta} of the input per SKU/warehouse
                      (start value + sum of deltas) and compare the fold with the last stock-level output and
                      with the level the store holds under the SKU's record key, read from the changelog topic
                      <group>-NAME-changelog (read_committed, to its end, last record per key, tombstone =
                      absent). Adds "state" to the JSON line: {"store","changelog","changelogKeys","levels",
                      "keys","outputMismatches","stateMismatches","skipped","examples"}, and prints
                      "state: N keys, M SKU/warehouse levels: all match" (or the mismatches) on stderr.
                      Needs --isolation-level read_committed
  --group G           the consumer group of the run that kept the store (required with --state-store)
  --start-value V     the level every SKU/warehouse starts at, an integer (default ${VERIFY_DEFAULTS.startValue}, as the
                      worker's INVENTORY_START); write a negative one as --start-value=-5
  --state-schema FILE the store's Avro schema, when the run used --state-schema (values are JSON otherwise)

librdkafka properties (TLS, SASL: docs/security.md) come from TURBINE_KAFKA_<KEY> variables.

Exit status (from the turbine command): 1 when lost > 0 or orderViolations > 0, or with --state-store
when any output or state level differs from the fold; 2 for bad flags or a missing topic.
`;

const FLAGS: FlagSpec = flagSpec(
  [
    'brokers',
    'input',
    'output',
    'dead-letter',
    'ordering',
    'timeout-ms',
    'isolation-level',
    'state-store',
    'state-schema',
    'group',
    'start-value',
  ],
  ['quiet'],
);

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
  const state = stateOptions(values, options.isolationLevel);
  if (state) options.state = Object.freeze(state);
  if (options.input === options.output) {
    throw new TurbineError('CONFIG_INVALID', '--input and --output must be different topics', {
      details: { flag: 'output' },
    });
  }
  if (values['dead-letter'] !== undefined) {
    const deadLetter = typeof values['dead-letter'] === 'string' ? values['dead-letter'].trim() : '';
    if (deadLetter === '') {
      throw new TurbineError('CONFIG_INVALID', '--dead-letter needs a topic name', {
        details: { flag: 'dead-letter' },
      });
    }
    if (deadLetter === options.input || deadLetter === options.output) {
      throw new TurbineError('CONFIG_INVALID', '--dead-letter must be a topic other than --input and --output', {
        details: { flag: 'dead-letter', value: deadLetter },
      });
    }
    options.deadLetter = deadLetter;
  }
  return Object.freeze(options);
}

/** The --state-store flags; undefined without --state-store, whose companions are then refused. */
function stateOptions(values: FlagValues, isolationLevel: IsolationLevel | undefined): VerifyStateOptions | undefined {
  if (values['state-store'] === undefined) {
    for (const flag of ['group', 'start-value', 'state-schema']) {
      if (values[flag] !== undefined) {
        throw new TurbineError('CONFIG_INVALID', `--${flag} is only used with --state-store`, { details: { flag } });
      }
    }
    return undefined;
  }
  const store = requiredString(values, 'state-store');
  // The same names `turbine run --state-store` accepts.
  const name = OPTIONS.stateStore.schema.safeParse(store);
  if (!name.success) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--state-store must be 1-100 letters, digits, dots, underscores or dashes (got ${JSON.stringify(store)})`,
      { details: { flag: 'state-store', value: store } },
    );
  }
  if (typeof values.group !== 'string' || values.group.trim() === '') {
    throw new TurbineError(
      'CONFIG_INVALID',
      '--group is required with --state-store: the changelog topic is <group>-<store>-changelog',
      { details: { flag: 'group' } },
    );
  }
  if (isolationLevel === 'read_uncommitted') {
    // Changelog and outputs count only as far as their transactions committed; an aborted
    // output's level would show as a mismatch that no read_committed reader ever sees.
    throw new TurbineError(
      'CONFIG_INVALID',
      '--state-store compares committed state with committed outputs: it needs --isolation-level read_committed',
      { details: { flag: 'isolation-level', value: isolationLevel } },
    );
  }
  return {
    store,
    group: values.group.trim(),
    startValue: numberFlag(values, 'start-value', VERIFY_DEFAULTS.startValue, {
      min: -1_000_000_000,
      max: 1_000_000_000,
      integer: true,
    }),
    stateSchema: stateSchemaFlag(values['state-schema']),
  };
}

/** A readable Avro schema JSON can carry, checked before any topic is read. */
function stateSchemaFlag(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') return '';
  loadStateType(value.trim());
  return value.trim();
}
