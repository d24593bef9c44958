/**
 * `turbine verify` options: the flags, their defaults and help text, and the checks that turn
 * flags into frozen VerifyOptions.
 */
import { TurbineError } from '../errors.js';
import { enumFlag, type FlagSpec, numberFlag, parseFlags, requiredString } from './args.js';
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
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

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
