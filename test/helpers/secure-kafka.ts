/**
 * Runs of `turbine run` against the SASL_SSL broker of secure-kafka-broker.ts, with the client
 * properties given as TURBINE_KAFKA_* variables or in a --config file, never on the command line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, waitProduced } from './cli';
import { freshTopics, produceRecords, randomName, verifyTopics } from './kafka';
import type { SecureKafka } from './secure-kafka-broker';

export { type SecureKafka, secureKafka } from './secure-kafka-broker';

type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** The librdkafka properties that log in to the secure broker. */
export function saslProperties(
  kafka: SecureKafka,
  mechanism: Mechanism,
  overrides: { password?: string; caFile?: string } = {},
): Record<string, string> {
  return {
    'security.protocol': 'sasl_ssl',
    'sasl.mechanisms': mechanism,
    'sasl.username': kafka.username,
    'sasl.password': overrides.password ?? kafka.password,
    'ssl.ca.location': overrides.caFile ?? kafka.caFile,
  };
}

/** The same properties as TURBINE_KAFKA_* variables. */
export function saslEnv(
  kafka: SecureKafka,
  mechanism: Mechanism,
  overrides: { password?: string; caFile?: string } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(saslProperties(kafka, mechanism, overrides)))
    env[`TURBINE_KAFKA_${name.toUpperCase().replace(/\./g, '_')}`] = value;
  return env;
}

export interface SecureRun {
  /** Outputs the engine reported acknowledged before it was stopped. */
  produced: number;
  exitCode: number | null;
  /** Everything the CLI wrote to stdout and stderr. */
  log: string;
  metrics: string;
  status: string;
  report: Awaited<ReturnType<typeof verifyTopics>>;
}

/**
 * `turbine run` through the SASL_SSL listener: `count` records are produced (over PLAINTEXT), the
 * engine processes them, /metrics and /status.json are read, SIGTERM stops it, and the output
 * topic is verified against the input. The properties travel as TURBINE_KAFKA_* variables or in
 * a --config file readable only by its owner.
 */
export async function runThroughSasl(
  kafka: SecureKafka,
  mechanism: Mechanism,
  count: number,
  via: 'env' | 'config-file',
): Promise<SecureRun> {
  const { input, output, drop } = await freshTopics('sec', 2, 2, kafka.setupBrokers);
  await produceRecords(input, count, { partitions: 2, brokers: kafka.setupBrokers });
  const configDir = mkdtempSync(join(tmpdir(), 'turbine-sec-config-'));
  const configFile = join(configDir, 'turbine.json');
  writeFileSync(configFile, JSON.stringify({ kafka: saslProperties(kafka, mechanism) }), { mode: 0o600 });
  const cli = startCli(
    {
      input,
      output,
      group: randomName('g'),
      brokers: kafka.brokers,
      env: via === 'env' ? saslEnv(kafka, mechanism) : {},
    },
    via === 'config-file' ? ['--config', configFile] : [],
  );
  const produced = await waitProduced(cli.port, count);
  const metrics = await (await fetch(`http://127.0.0.1:${cli.port}/metrics`)).text();
  const status = await (await fetch(`http://127.0.0.1:${cli.port}/status.json`)).text();
  cli.child.kill('SIGTERM');
  const exitCode = await cli.exited;
  const report = await verifyTopics(input, output, 'partition', 'read_committed', 30_000, kafka.setupBrokers);
  await drop();
  rmSync(configDir, { recursive: true, force: true });
  return { produced, exitCode, log: cli.log(), metrics, status, report };
}

/**
 * `turbine run` with the given client properties, waited for up to `boundMs`: a run that has not
 * exited by then is killed and reported with exitCode null (it hung or kept retrying).
 */
export async function runUntilExit(
  kafka: SecureKafka,
  env: Record<string, string>,
  boundMs: number,
): Promise<{ exitCode: number | null; log: string }> {
  const cli = startCli({
    input: randomName('in'),
    output: randomName('out'),
    group: randomName('g'),
    brokers: kafka.brokers,
    env,
  });
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'bound'>((resolve) => {
    timer = setTimeout(() => resolve('bound'), boundMs);
  });
  const outcome = await Promise.race([cli.exited, bound]);
  clearTimeout(timer);
  if (outcome === 'bound') {
    cli.child.kill('SIGKILL');
    await cli.exited;
    return { exitCode: null, log: cli.log() };
  }
  return { exitCode: outcome, log: cli.log() };
}
