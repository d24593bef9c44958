/**
 * Config sources merged once, validated once: flags > TURBINE_* environment > JSON file > defaults.
 * The result is frozen; every stage receives it and nothing re-validates.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TurbineError } from '../errors.js';
import { usableCpuCount } from './cpu-quota.js';
import { securityPropertyIssues } from './kafka-security.js';
import { envName, flagName, OPTIONS, type OptionName } from './options.js';
import { defaultPoolSize } from './processes.js';

type Shape = { [K in OptionName]: (typeof OPTIONS)[K]['schema'] };
const shape = Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, v.schema])) as Shape;

const schema = z.strictObject(shape).superRefine((c, ctx) => {
  if (c.inputFormat === 'avro' && !c.inputSchema && c.schemaRegistry === '')
    ctx.addIssue({
      code: 'custom',
      path: ['inputSchema'],
      message: 'is required when inputFormat is avro (an .avsc file), unless schemaRegistry is set',
    });
  for (const issue of registryIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
  if (c.outputFormat === 'avro' && !c.outputSchema)
    ctx.addIssue({
      code: 'custom',
      path: ['outputSchema'],
      message: 'is required when outputFormat is avro (an .avsc file)',
    });
  for (const message of securityPropertyIssues(c.kafka)) ctx.addIssue({ code: 'custom', path: ['kafka'], message });
  if (c.guarantee === 'exactly-once' && c.ordering !== 'partition')
    ctx.addIssue({
      code: 'custom',
      path: ['ordering'],
      message:
        'must be partition with guarantee exactly-once (in key and unordered modes outputs beyond a gap would commit without their input offsets)',
    });
  if (c.stateStore !== '' && c.guarantee !== 'exactly-once')
    ctx.addIssue({
      code: 'custom',
      path: ['stateStore'],
      message:
        'needs guarantee exactly-once (state changes, outputs and input offsets must commit in one transaction, or a crash applies changes twice)',
    });
  if (c.stateSchema !== '' && c.stateStore === '')
    ctx.addIssue({
      code: 'custom',
      path: ['stateSchema'],
      message: 'is only used with a state store (set stateStore, or leave stateSchema empty)',
    });
  if (c.advertisedUrl !== '' && c.stateStore === '')
    ctx.addIssue({
      code: 'custom',
      path: ['advertisedUrl'],
      message: 'is only used with a state store (set stateStore, or leave advertisedUrl empty)',
    });
  if (c.input === c.output)
    ctx.addIssue({
      code: 'custom',
      path: ['output'],
      message: 'must differ from input (the engine would consume its own output)',
    });
});

/** The schema registry options' cross-checks (each names the option it is about). */
function registryIssues(c: {
  schemaRegistry: string;
  schemaRegistryUsername: string;
  schemaRegistryPassword: string;
  schemaRegistryCa: string;
  inputFormat: string;
  outputFormat: string;
  avroWireFormat: string;
}): { path: [OptionName]; message: string }[] {
  const issues: { path: [OptionName]; message: string }[] = [];
  const none = c.schemaRegistry === '';
  for (const name of ['schemaRegistryUsername', 'schemaRegistryPassword', 'schemaRegistryCa'] as const)
    if (none && c[name] !== '')
      issues.push({ path: [name], message: 'is only used with schemaRegistry (set it, or leave this empty)' });
  if (none) return issues;
  if (c.inputFormat !== 'avro' && c.outputFormat !== 'avro')
    issues.push({ path: ['schemaRegistry'], message: 'is only used with inputFormat or outputFormat avro' });
  if (c.avroWireFormat !== 'confluent')
    issues.push({
      path: ['avroWireFormat'],
      message: 'accepted values with schemaRegistry are confluent (records carry the schema id)',
    });
  if (c.schemaRegistryPassword !== '' && c.schemaRegistryUsername === '')
    issues.push({ path: ['schemaRegistryUsername'], message: 'is required when schemaRegistryPassword is set' });
  if (c.schemaRegistryCa !== '') {
    if (!c.schemaRegistry.startsWith('https://'))
      issues.push({ path: ['schemaRegistryCa'], message: 'is only used with an https:// schemaRegistry' });
    try {
      accessSync(c.schemaRegistryCa, constants.R_OK);
    } catch {
      issues.push({ path: ['schemaRegistryCa'], message: `must name a readable PEM file, got ${c.schemaRegistryCa}` });
    }
  }
  return issues;
}

type Parsed = z.infer<typeof schema>;
export type TurbineConfig = Readonly<
  Omit<Parsed, 'deadLetterTopic' | 'poolSize'> & { deadLetterTopic: string; poolSize: number }
>;

/** Raw values before validation, as strings (flags, env) or JSON values (file, API). */
export type RawConfig = Partial<Record<OptionName, unknown>>;

export interface ConfigSources {
  flags?: RawConfig;
  env?: NodeJS.ProcessEnv;
  file?: string;
}

/** Reads TURBINE_* variables; TURBINE_KAFKA_FETCH_MAX_BYTES=1 → kafka['fetch.max.bytes']. */
export function configFromEnv(env: NodeJS.ProcessEnv): RawConfig {
  const out: RawConfig = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    if (name === 'kafka') continue;
    const value = env[envName(name)];
    if (value !== undefined && value !== '') out[name] = value;
  }
  const kafka: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('TURBINE_KAFKA_') && value !== undefined) {
      kafka[key.slice('TURBINE_KAFKA_'.length).toLowerCase().replace(/_/g, '.')] = value;
    }
  }
  if (Object.keys(kafka).length > 0) out.kafka = kafka;
  return out;
}

/**
 * Variables of the project's own tools (tests, benchmarks, container test), and the Kafka client
 * path switch read when the engine's modules load (TURBINE_NATIVE_BATCH, src/kafka/native-batch.ts):
 * not engine options.
 */
const TOOL_ENV_PREFIXES = [
  'TURBINE_TEST_',
  'TURBINE_BENCH_',
  'TURBINE_CT_',
  'TURBINE_CHROMIUM',
  'TURBINE_NATIVE_BATCH',
];

/**
 * TURBINE_* variables that name no option (a typo such as TURBINE_POOLSIZE would otherwise be
 * ignored without a word), each with the closest option variable when one is near.
 */
export function unknownEnvOptions(env: NodeJS.ProcessEnv): { name: string; suggestion?: string }[] {
  const known = (Object.keys(OPTIONS) as OptionName[]).filter((n) => n !== 'kafka').map(envName);
  const out: { name: string; suggestion?: string }[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('TURBINE_') || name.startsWith('TURBINE_KAFKA_') || known.includes(name)) continue;
    if (TOOL_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    let best: string | undefined;
    let bestDistance = 4;
    for (const candidate of known) {
      const d = editDistance(name, candidate);
      if (d < bestDistance) [best, bestDistance] = [candidate, d];
    }
    out.push(best ? { name, suggestion: best } : { name });
  }
  return out;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Only the TURBINE_KAFKA_* librdkafka properties: what `turbine loadgen` and `turbine verify` take. */
export function kafkaPropertiesFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return (configFromEnv(env).kafka as Record<string, string> | undefined) ?? {};
}

export function configFromFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TurbineError('CONFIG_FILE_UNREADABLE', `Cannot read config file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('expected a JSON object');
    return parsed as RawConfig;
  } catch (cause) {
    throw new TurbineError(
      'CONFIG_FILE_UNREADABLE',
      `Config file ${path} is not a JSON object: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0] ?? '');
  const where = name in OPTIONS ? `${name} (${flagName(name)}, ${envName(name)})` : name || 'config';
  if (issue.code === 'unrecognized_keys') {
    return `unknown option(s) ${issue.keys.join(', ')}; accepted options: ${Object.keys(OPTIONS).join(', ')}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `${where}: accepted values are ${issue.values.map((v) => String(v)).join(' | ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('undefined')) {
    return `${where} is required: ${OPTIONS[name as OptionName]?.doc ?? ''}`.trim();
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const spec = OPTIONS[name as OptionName];
    return `${where}: ${issue.message.replace(/^Too (small|big): expected (number|string) to (have )?/, 'must be ')}${spec ? `; ${spec.doc}` : ''}`;
  }
  return `${where}: ${issue.message}`;
}

/** Merge and validate. Throws TurbineError CONFIG_INVALID naming each bad option. */
export function loadConfig(sources: ConfigSources = {}): TurbineConfig {
  const fromFile = sources.file ? configFromFile(resolve(sources.file)) : {};
  const fromEnv = sources.env ? configFromEnv(sources.env) : {};
  const fromFlags = sources.flags ?? {};
  const kafka = {
    ...((fromFile.kafka as Record<string, string> | undefined) ?? {}),
    ...((fromEnv.kafka as Record<string, string> | undefined) ?? {}),
    ...((fromFlags.kafka as Record<string, string> | undefined) ?? {}),
  };
  const merged: RawConfig = { ...fromFile, ...fromEnv, ...fromFlags, kafka };
  const result = schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map(describeIssue);
    throw new TurbineError('CONFIG_INVALID', `Invalid configuration:\n  - ${lines.join('\n  - ')}`, {
      details: { issues: lines },
    });
  }
  const c = result.data;
  return Object.freeze({
    ...c,
    kafka: Object.freeze({ ...c.kafka }),
    deadLetterTopic: c.deadLetterTopic ?? `${c.input}.dlq`,
    poolSize: c.poolSize ?? defaultPoolSize(c.processes, usableCpuCount()),
  }) as TurbineConfig;
}
