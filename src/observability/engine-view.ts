/**
 * What observability reads from a running engine: its lifecycle, a snapshot of its figures and
 * its events. The engine implements this interface; nothing under observability/ imports the
 * engine itself, so the HTTP server and the status page can be tested against a small fake.
 */
import type { EventEmitter } from 'node:events';
import type { TurbineConfig } from '../config/load.js';
import type { Metrics } from './metrics.js';

export type EngineState = 'created' | 'starting' | 'running' | 'draining' | 'closed';

export interface EngineStats {
  state: EngineState;
  consumed: number;
  produced: number;
  deadLettered: number;
  /** Records dropped after failing, without a dead-letter copy (onFailure skip). */
  skipped: number;
  /** Key mode: keys held back behind a record whose retries are running. */
  parkedKeys: number;
  /** Fatal producer errors recovered from. */
  producerRecoveries: number;
  committedBatches: number;
  /** Tasks sent to worker threads and the batches they carried (more batches: packing). */
  workerTasks: number;
  workerTaskBatches: number;
  inFlightRecords: number;
  inFlightBytes: number;
  peakInFlightRecords: number;
  peakInFlightBytes: number;
  assignedPartitions: number;
  pausedPartitions: number;
  pauses: number;
  /** Worker thread ids that ran batches, per partition (for tests and the status page). */
  threadsByPartition: Record<string, number[]>;
  /** Keyed state: keys held in memory, and assigned partitions whose state is being restored. */
  stateKeys: number;
  restoringPartitions: number;
  /** Partitions this instance owns, sorted, and whether backpressure has paused them. */
  partitions: Array<{ topic: string; partition: number; paused: boolean }>;
}

/** The engine as the HTTP endpoints and the status tracker see it. */
export interface EngineView extends Pick<EventEmitter, 'on' | 'off'> {
  readonly config: Pick<
    TurbineConfig,
    'input' | 'output' | 'group' | 'worker' | 'poolSize' | 'maxInFlightRecords' | 'stateStore'
  >;
  readonly metrics: Metrics;
  readonly lifecycle: EngineState;
  /** Milliseconds since the consume loop last came back (with or without records). */
  readonly consumeLoopIdleMs: number;
  /** True once the group coordinator answered with an assignment (possibly empty). */
  readonly joinedGroup: boolean;
  snapshot(): EngineStats;
  /** Keyed state with advertisedUrl: the instances of the group that announced their partitions. */
  knownInstances?(): Array<{ id: string; url: string; partitions: number[] }>;
  /**
   * Keyed state: the answer to `GET /state/<store>/<key>` (status code, JSON body, and a redirect's
   * location). `redirected`: the query was already sent on by another instance.
   */
  queryState?(store: string, key: string, redirected?: boolean): StateQueryAnswer;
}

/** The answer to a state query: status code, JSON body, and a redirect's location. */
export interface StateQueryAnswer {
  status: number;
  body: Record<string, unknown>;
  location?: string;
}
