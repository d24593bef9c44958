/**
 * `turbine run`: validate config (before touching Kafka), then run the engine in this process
 * (run-engine.ts), or with processes > 1 a supervisor of that many engine processes
 * (supervisor/supervisor.ts). Exit codes: 0 clean drain, 1 runtime failure or drain deadline
 * passed, 2 invalid configuration. A second signal ends the process at once, by that signal.
 */

import { isSecretProperty, redactProperties } from '../config/kafka-security.js';
import { loadConfig, unknownEnvOptions } from '../config/load.js';
import { sizeThreadpool } from '../config/threadpool.js';
import { errorMessage, TurbineError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { runSupervisor } from '../supervisor/supervisor.js';
import { parseRunArgs, runHelp } from './run-args.js';
import { runEngine } from './run-engine.js';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (args.help) {
    process.stdout.write(`${runHelp()}\n`);
    return 0;
  }
  const config = loadConfig({ flags: args.flags, env: process.env, file: args.configFile });
  // Before anything uses libuv's pool (the first log line may); a supervisor sets it per process.
  if (config.processes === 1) sizeThreadpool(config.poolSize);
  const logger = createLogger(config.logLevel);
  for (const { name, suggestion } of unknownEnvOptions(process.env)) {
    logger.warn(
      { variable: name, ...(suggestion ? { didYouMean: suggestion } : {}) },
      'ignoring unknown TURBINE_* variable',
    );
  }
  const secretFlags = Object.keys((args.flags.kafka as Record<string, string> | undefined) ?? {}).filter(
    isSecretProperty,
  );
  if (secretFlags.length > 0)
    logger.warn(
      { properties: secretFlags },
      'secret given with --kafka on the command line, where other local users can read it (ps); prefer TURBINE_KAFKA_<NAME> or the --config file',
    );
  if (Object.keys(config.kafka).length > 0)
    logger.info({ kafka: redactProperties(config.kafka) }, 'librdkafka properties passed through (secrets redacted)');
  if (config.processes > 1) return runSupervisor(config, logger);
  return runEngine(config, logger);
}

export function formatCliError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof TurbineError) {
    const exitCode = error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_FILE_UNREADABLE' ? 2 : 1;
    return { message: `turbine: ${error.code}: ${error.message}`, exitCode };
  }
  return { message: `turbine: ${errorMessage(error)}`, exitCode: 1 };
}
