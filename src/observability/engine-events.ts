/**
 * The events an engine emits (Node's EventEmitter). Stages report through an `Emit` function
 * rather than holding the engine, so none of them imports it.
 */
export type EngineEvent =
  | 'started'
  | 'assigned'
  | 'revoked'
  | 'paused'
  | 'resumed'
  | 'committed'
  | 'parked'
  | 'unparked'
  | 'deadLettered'
  | 'skipped'
  | 'producerRecovered'
  | 'error'
  | 'closed';

export type Emit = (event: EngineEvent, payload?: unknown) => void;

/** Running totals behind the engine's snapshot (the metrics carry the same figures with labels). */
export interface EngineCounters {
  consumed: number;
  produced: number;
  deadLettered: number;
  skipped: number;
  producerRecoveries: number;
  committedBatches: number;
  pauses: number;
}

export function newCounters(): EngineCounters {
  return {
    consumed: 0,
    produced: 0,
    deadLettered: 0,
    skipped: 0,
    producerRecoveries: 0,
    committedBatches: 0,
    pauses: 0,
  };
}

/** The counters and the event channel, as stages receive them. */
export interface StageFigures {
  counters: EngineCounters;
  emit: Emit;
}
