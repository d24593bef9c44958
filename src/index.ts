/**
 * Turbine's public API.
 *
 *   import { createEngine } from 'turbine';
 *   const engine = createEngine({ brokers, input, output, group, worker: './my-worker.js' });
 *   await engine.start();
 *   process.on('SIGTERM', () => engine.close());
 */
export { loadConfig, type RawConfig, type TurbineConfig } from './config/load.js';
export { envName, flagName, OPTIONS } from './config/options.js';
export {
  type CloseResult,
  createEngine,
  Engine,
  type EngineOptions,
  type EngineState,
  type EngineStats,
} from './engine.js';
export { ERROR_CODES, type ErrorCode, InvariantViolation, TurbineError } from './errors.js';
export { METRIC_DEFINITIONS } from './observability/metrics.js';
export { DEAD_LETTER_HEADERS, LINEAGE_HEADERS } from './sink/output-messages.js';
export type {
  InputHeaders,
  InputRecord,
  KeyedState,
  Ordering,
  OutputHeaders,
  OutputRecord,
  RecordFormat,
  StateKey,
  WorkerContext,
  WorkerFunction,
  WorkerOutput,
} from './types.js';
