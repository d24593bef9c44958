/**
 * `turbine run`: validate config (before touching Kafka), start the engine and its HTTP server,
 * drain on SIGTERM/SIGINT. Exit codes: 0 clean drain, 1 runtime failure or drain deadline
 * passed, 2 invalid configuration. A second signal ends the process at once, by that signal.
 */

import { isSecretProperty, redactProperties } from '../config/kafka-security.js';
import { loadConfig, unknownEnvOptions } from '../config/load.js';
import { type CloseResult, Engine } from '../engine.js';
import { errorMessage, TurbineError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { startGcGovernor } from './gc-governor.js';
import { parseRunArgs, runHelp } from './run-args.js';

const MiB = 1024 * 1024;

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (args.help) {
    process.stdout.write(`${runHelp()}\n`);
    return 0;
  }
  const config = loadConfig({ flags: args.flags, env: process.env, file: args.configFile });
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
  const engine = new Engine(config, { logger });
  let exitCode = 0;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Written synchronously: the process ends right after, and the asynchronous logger's
      // writes wait for libuv's thread pool, which librdkafka calls may fill.
      createLogger(config.logLevel, 'turbine', true).warn({ signal }, 'second signal: exiting without drain');
      exitBySignal(signal);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'signal received; draining');
    void engine.close();
    // The close is bounded step by step; this only catches a step that is not.
    setTimeout(() => {
      createLogger(config.logLevel, 'turbine', true).error(
        { deadlineMs: config.shutdownTimeoutMs, graceMs: BACKSTOP_GRACE_MS },
        'shutdown did not end after its deadline; exiting without waiting for it',
      );
      process.exit(1);
    }, config.shutdownTimeoutMs + BACKSTOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  engine.on('error', (error: unknown) => {
    exitCode = 1;
    logger.error({ err: errorMessage(error) }, 'engine error');
  });

  const governor = startGcGovernor(config.gcHighWaterMb, (reading) => {
    engine.metrics.forcedGcs.inc();
    logger.debug(
      { heapUsedMb: Math.round(reading.heapUsed / MiB), externalMb: Math.round(reading.external / MiB) },
      'forced a full garbage collection (gcHighWaterMb)',
    );
  });
  engine.once('closed', () => governor.stop());
  try {
    await engine.start();
  } catch (error) {
    governor.stop();
    if (stopping) return 0;
    throw error;
  }
  if (stopping) void engine.close();
  const result = await new Promise<CloseResult>((resolve) => engine.once('closed', resolve));
  return result.drained && result.unfinished.length === 0 ? exitCode : 1;
}

/** After shutdownTimeoutMs, how long the bounded close may overrun before the process exits anyway. */
const BACKSTOP_GRACE_MS = 10_000;

/**
 * Ends the process at once through the signal's default action. process.exit() cannot promise
 * that: Node joins its libuv threads on exit, and librdkafka may hold one for long (a
 * transactional call, or a consumer close waiting for a revocation that JavaScript no longer
 * serves; seen with gdb: the main thread in uv__threadpool_cleanup, a libuv thread in
 * rd_kafka_consumer_close). A shell reports 128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
 */
function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

export function formatCliError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof TurbineError) {
    const exitCode = error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_FILE_UNREADABLE' ? 2 : 1;
    return { message: `turbine: ${error.code}: ${error.message}`, exitCode };
  }
  return { message: `turbine: ${errorMessage(error)}`, exitCode: 1 };
}
