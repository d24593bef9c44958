/**
 * `turbine run` flags, derived from the options table: every option is --kebab-case, --kafka
 * may repeat (key=value), --config names a JSON file. Unknown flags are CONFIG_INVALID errors.
 */
import { parseArgs } from 'node:util';
import type { RawConfig } from '../config/load.js';
import { flagName, OPTIONS, type OptionName } from '../config/options.js';
import { TurbineError } from '../errors.js';

export interface RunArgs {
  flags: RawConfig;
  configFile?: string | undefined;
  help: boolean;
}

const kebab = (name: string) => flagName(name).slice(2);

export function parseRunArgs(argv: string[]): RunArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const name of Object.keys(OPTIONS))
    options[kebab(name)] = { type: 'string', ...(name === 'kafka' ? { multiple: true } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `${(error as Error).message}. Accepted flags: ${Object.keys(options)
        .map((o) => `--${o}`)
        .join(' ')}`,
      { cause: error },
    );
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const flags: RawConfig = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const value = values[kebab(name)];
    if (value === undefined) continue;
    if (name === 'kafka') {
      const kafka: Record<string, string> = {};
      for (const pair of value as string[]) {
        const eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new TurbineError(
            'CONFIG_INVALID',
            `kafka (--kafka): expected key=value (a librdkafka property), got "${pair}"`,
          );
        }
        kafka[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
      }
      flags.kafka = kafka;
    } else flags[name] = value;
  }
  return { flags, configFile: values.config as string | undefined, help: values.help === true };
}

export function runHelp(): string {
  const lines = [
    'Usage: turbine run --brokers HOST:PORT --input TOPIC --output TOPIC --group ID --worker FILE [options]',
    '',
    'Consumes INPUT, runs the worker module over batches in a pool of worker threads, produces the',
    'results to OUTPUT and commits input offsets once their outputs are acknowledged (at-least-once;',
    'with --guarantee exactly-once, outputs and offsets commit together in Kafka transactions).',
    'Every option can also come from TURBINE_<NAME> environment variables or a JSON file (--config);',
    'precedence: flags > environment > file > defaults. SIGTERM/SIGINT drain and exit.',
    '',
    'Options:',
  ];
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const parsed = (spec.schema as { safeParse: (v: undefined) => { success: boolean; data?: unknown } }).safeParse(
      undefined,
    );
    const def =
      'defaultText' in spec
        ? spec.defaultText
        : parsed.success && parsed.data !== undefined
          ? JSON.stringify(parsed.data)
          : undefined;
    const req = 'required' in spec && spec.required ? ' (required)' : '';
    lines.push(`  ${flagName(name).padEnd(30)} ${spec.doc}${req}${def !== undefined ? ` [default: ${def}]` : ''}`);
  }
  lines.push(`  ${'--config FILE'.padEnd(30)} JSON file with any of the options above (camelCase keys).`);
  lines.push(`  ${'--help'.padEnd(30)} Show this help.`);
  return lines.join('\n');
}
