/**
 * Adaptive batch size per lane, so that one worker task takes about `targetMs`. Pure: the engine
 * reports what happened (task results, how batches were cut) and asks for each lane's limit.
 *
 * Two parts:
 * - A cost estimate per lane: the worker time per record, from task results (workerMs ÷ records),
 *   smoothed with an exponentially weighted average. A lane's first sample is taken as it is;
 *   later samples far from the estimate are clipped first, so one task slowed by GC or by a
 *   descheduled thread (a shared machine) moves it little, while a lasting change in cost is
 *   followed within a few dozen tasks.
 *   The per-record cost includes the task's fixed part (unpack, pack), so at the fixed point the
 *   task as a whole takes targetMs. New lanes start from the estimate over all lanes.
 * - A load-following limit per lane, capped at targetMs ÷ cost and at maxRecords. A batch cut
 *   because it reached the limit means records were waiting (backlog): the limit doubles. A batch
 *   cut by the linger deadline means fewer records arrived than the limit allowed (idle): the
 *   limit moves halfway down to what arrived, so the next batch is dispatched when that many are
 *   in instead of waiting out the linger time, and latency stays low at low load.
 */

export interface BatchSizerOptions {
  /** Wanted worker time per task, ms (> 0). */
  targetMs: number;
  /** Upper bound on a batch (batchMaxRecords). */
  maxRecords: number;
  /** Lower bound on the limit; default 1. */
  minRecords?: number;
  /** Limit of a lane before anything is known about it; default min(maxRecords, 32). */
  initialRecords?: number;
  /** Weight of a new cost sample in the running estimate, 0..1; default 0.2. */
  smoothing?: number;
  /** A sample beyond this factor of the estimate (either way) is clipped to it; default 2. */
  clipFactor?: number;
}

interface LaneState {
  /** Current limit, records. */
  limit: number;
  /** Estimated worker ms per record; undefined until a task of this lane reported. */
  costMs: number | undefined;
}

export class BatchSizer {
  private readonly targetMs: number;
  private readonly maxRecords: number;
  private readonly minRecords: number;
  private readonly initialRecords: number;
  private readonly smoothing: number;
  private readonly clipFactor: number;
  private readonly lanes = new Map<string, LaneState>();
  /** Estimate over all lanes: the starting point of a lane that has none. */
  private globalCostMs: number | undefined;

  constructor(options: BatchSizerOptions) {
    if (!(options.targetMs > 0)) throw new RangeError('BatchSizer: targetMs must be > 0');
    this.targetMs = options.targetMs;
    this.maxRecords = Math.max(1, Math.floor(options.maxRecords));
    this.minRecords = Math.min(this.maxRecords, Math.max(1, Math.floor(options.minRecords ?? 1)));
    this.initialRecords = clamp(options.initialRecords ?? 32, this.minRecords, this.maxRecords);
    this.smoothing = options.smoothing ?? 0.2;
    this.clipFactor = options.clipFactor ?? 2;
  }

  /** Records a batch of this lane may hold now. */
  limit(lane: string): number {
    const state = this.lanes.get(lane);
    if (!state) return Math.min(this.initialRecords, this.capFor(undefined));
    return state.limit;
  }

  /**
   * The cost-based cap: targetMs ÷ estimated cost per record, within [minRecords, maxRecords].
   * Before any task reported, initialRecords: growing blind under a startup backlog could hand
   * out tasks of maxRecords records of unknown cost.
   */
  capFor(lane: string | undefined): number {
    const cost = (lane === undefined ? undefined : this.lanes.get(lane)?.costMs) ?? this.globalCostMs;
    if (cost === undefined) return this.initialRecords;
    if (cost <= 0) return this.maxRecords;
    return clamp(Math.floor(this.targetMs / cost), this.minRecords, this.maxRecords);
  }

  /** Estimated worker ms per record of a lane (or over all lanes), undefined before any task. */
  costMs(lane?: string): number | undefined {
    return (lane === undefined ? undefined : this.lanes.get(lane)?.costMs) ?? this.globalCostMs;
  }

  /** A task of this lane ran `records` records in `workerMs` of worker time. */
  observe(lane: string, records: number, workerMs: number): void {
    if (records <= 0 || !(workerMs >= 0) || !Number.isFinite(workerMs)) return;
    const sample = workerMs / records;
    const state = this.state(lane);
    this.globalCostMs = this.blend(this.globalCostMs, sample);
    state.costMs = this.blend(state.costMs, sample);
    state.limit = Math.min(state.limit, this.capFor(lane));
  }

  /** A batch of this lane was cut because it reached limit(lane): records are waiting. */
  filled(lane: string): void {
    const state = this.state(lane);
    state.limit = Math.min(this.capFor(lane), Math.max(state.limit + 1, state.limit * 2));
  }

  /**
   * A batch of this lane was cut by its linger deadline holding `records` records; `poolBusy`:
   * every worker thread was running a task at the time.
   */
  lingered(lane: string, records: number, poolBusy = false): void {
    const state = this.state(lane);
    // Clearly idle only when fewer than half the limit arrived; a burst's tail is not idleness.
    if (poolBusy || records * 2 >= state.limit) return;
    const next = Math.max(Math.ceil(state.limit / 2), records * 2);
    state.limit = clamp(next, this.minRecords, this.capFor(lane));
  }

  /** Forgets lanes (their partition was revoked). */
  dropLanes(match: (lane: string) => boolean): void {
    for (const lane of this.lanes.keys()) if (match(lane)) this.lanes.delete(lane);
  }

  get laneCount(): number {
    return this.lanes.size;
  }

  private state(lane: string): LaneState {
    let state = this.lanes.get(lane);
    if (!state) {
      // Its own cost stays unknown until its first task: capFor() falls back to the global estimate.
      state = { limit: Math.min(this.initialRecords, this.capFor(undefined)), costMs: undefined };
      this.lanes.set(lane, state);
    }
    return state;
  }

  private blend(estimate: number | undefined, sample: number): number {
    if (estimate === undefined || estimate <= 0) return sample;
    const clipped = clamp(sample, estimate / this.clipFactor, estimate * this.clipFactor);
    return estimate + this.smoothing * (clipped - estimate);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, max));
}
