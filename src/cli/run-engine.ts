/**
 * One engine process from start to exit: start the engine (and its HTTP server when metricsPort
 * is set), drain on SIGTERM/SIGINT or when asked to stop, and resolve the exit code: 0 after a
 * clean drain, 1 after a runtime failure or a drain that did not finish. A second signal ends the
 * process at once, by that signal. `turbine run` runs this directly with one process, and each
 * engine process of a supervisor (`--processes N`) runs it too.
 */
import type { TurbineConfig } from '../config/load.js';
import { type CloseResult, Engine } from '../engine.js';
import { errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { startGcGovernor } from './gc-governor.js';

const MiB = 1024 * 1024;

/** After shutdownTimeoutMs, how long the bounded close may overrun before the process exits anyway. */
export const BACKSTOP_GRACE_MS = 10_000;

export interface RunEngineHooks {
  /**
   * Called once the engine exists, before it starts, with a function that starts the drain as a
   * first signal would. Calling it again (or after a signal) does nothing: a supervisor's stop
   * must not count as the second signal of an operator who pressed Ctrl-C once.
   */
  onEngine?(engine: Engine, stop: (reason: string) => void): void;
}

export async function runEngine(config: TurbineConfig, logger: Logger, hooks: RunEngineHooks = {}): Promise<number> {
  const engine = new Engine(config, { logger });
  let exitCode = 0;
  let stopping = false;
  const drain = (fields: Record<string, unknown>, message: string): boolean => {
    if (stopping) return false;
    stopping = true;
    logger.info(fields, message);
    void engine.close();
    // The close is bounded step by step; this only catches a step that is not.
    setTimeout(() => {
      createLogger(config.logLevel, 'turbine', true).error(
        { deadlineMs: config.shutdownTimeoutMs, graceMs: BACKSTOP_GRACE_MS },
        'shutdown did not end after its deadline; exiting without waiting for it',
      );
      process.exit(1);
    }, config.shutdownTimeoutMs + BACKSTOP_GRACE_MS).unref();
    return true;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (drain({ signal }, 'signal received; draining')) return;
    // Written synchronously: the process ends right after, and the asynchronous logger's
    // writes wait for libuv's thread pool, which librdkafka calls may fill.
    createLogger(config.logLevel, 'turbine', true).warn({ signal }, 'second signal: exiting without drain');
    exitBySignal(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  engine.on('error', (error: unknown) => {
    exitCode = 1;
    logger.error({ err: errorMessage(error) }, 'engine error');
  });
  hooks.onEngine?.(engine, (reason) => void drain({ reason }, 'asked to stop; draining'));

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

/**
 * Ends the process at once through the signal's default action. process.exit() cannot promise
 * that: Node joins its libuv threads on exit, and librdkafka may hold one for long (a
 * transactional call, or a consumer close waiting for a revocation that JavaScript no longer
 * serves; seen with gdb: the main thread in uv__threadpool_cleanup, a libuv thread in
 * rd_kafka_consumer_close). A shell reports 128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
 */
export function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
