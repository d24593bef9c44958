/**
 * Flag parsing shared by the CLI sub-commands: node:util parseArgs with every failure turned
 * into a CONFIG_INVALID TurbineError that names the flag and what it accepts.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { errorMessage, TurbineError } from '../errors.js';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** A sub-command's flags: most take a value, a few are switches. */
export function flagSpec(valued: readonly string[], switches: readonly string[] = []): FlagSpec {
  const spec: FlagSpec = {};
  for (const name of valued) spec[name] = { type: 'string' };
  for (const name of switches) spec[name] = { type: 'boolean' };
  return spec;
}

/** Parses `argv` strictly (no positionals, no unknown flags). */
export function parseFlags(command: string, argv: string[], flags: FlagSpec): FlagValues {
  try {
    const { values } = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false });
    return values as FlagValues;
  } catch (error) {
    const accepted = Object.keys(flags)
      .map((name) => `--${name}`)
      .join(', ');
    throw new TurbineError(
      'CONFIG_INVALID',
      `turbine ${command}: ${errorMessage(error)}. Accepted flags: ${accepted}`,
      {
        cause: error,
      },
    );
  }
}

export function requiredString(values: FlagValues, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TurbineError('CONFIG_INVALID', `--${flag} is required`, { details: { flag } });
  }
  return value.trim();
}

/** Parses a number flag; `integer` rejects fractions. Absent flags give `fallback`. */
export function numberFlag(
  values: FlagValues,
  flag: string,
  fallback: number,
  bounds: { min: number; max: number; integer: boolean },
): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  return checkNumber(
    flag,
    typeof raw === 'string' ? Number(raw.trim() === '' ? Number.NaN : raw) : Number.NaN,
    bounds,
    raw,
  );
}

export function checkNumber(
  flag: string,
  value: number,
  bounds: { min: number; max: number; integer: boolean },
  shown: unknown = value,
): number {
  const kind = bounds.integer ? 'an integer' : 'a number';
  if (
    !Number.isFinite(value) ||
    (bounds.integer && !Number.isInteger(value)) ||
    value < bounds.min ||
    value > bounds.max
  ) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--${flag} must be ${kind} from ${bounds.min} to ${bounds.max} (got ${JSON.stringify(shown)})`,
      { details: { flag, value: shown } },
    );
  }
  return value;
}

export function enumFlag<T extends string>(values: FlagValues, flag: string, accepted: readonly T[], fallback: T): T {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  return checkEnum(flag, raw, accepted);
}

export function checkEnum<T extends string>(flag: string, value: unknown, accepted: readonly T[]): T {
  if (typeof value === 'string' && (accepted as readonly string[]).includes(value)) return value as T;
  throw new TurbineError(
    'CONFIG_INVALID',
    `--${flag} must be one of ${accepted.join(', ')} (got ${JSON.stringify(value)})`,
    { details: { flag, value, accepted } },
  );
}
