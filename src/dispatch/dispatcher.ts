/**
 * Dispatch: sends each batch to the worker pool with its retry policy, puts results back in
 * order (reorderer), drops results of an older epoch, and hands the rest to delivery. In key
 * mode a record whose retries are running parks its key: later records of that key wait behind
 * it while other keys go on (ordering/key-parking.ts).
 */
import type { BatchSizer } from '../batching/batch-sizer.js';
import type { Batch } from '../batching/batcher.js';
import type { Completion } from '../commit/completion.js';
import type { TurbineConfig } from '../config/load.js';
import type { Emit } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { KeyParking, keyId, type ParkingEntry } from '../ordering/key-parking.js';
import { Reorderer, type Slot } from '../ordering/reorderer.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { Delivery, StateDelta } from '../sink/delivery.js';
import { BatchStateView } from '../state/batch-state-view.js';
import { KeyLocks } from '../state/key-locks.js';
import type { StateStore } from '../state/state-store.js';
import { type ConsumedRecord, type PartitionId, partitionId } from '../types.js';
import { type BatchOutcome, type DeadLetter, type RecordRetry, runBatch } from './batch-runner.js';
import type { EncodedOutput } from './codec.js';
import type { WorkerPool } from './worker-pool.js';

/** A record held behind its parked key, with its result once it has one. */
interface HeldRecord {
  batch: Batch;
  record: ConsumedRecord;
  outputs: EncodedOutput[];
  deadLetter: DeadLetter | null;
}

/** A batch of a stateful engine: its keys (held while it runs) and its state as it runs. */
interface StatefulRun {
  keys: ReadonlySet<string>;
  view: BatchStateView;
}

interface Pending {
  batch: Batch;
  slot: Slot<Batch, BatchOutcome>;
  keys: ReadonlySet<string>;
}

export interface DispatcherOptions {
  config: Pick<TurbineConfig, 'ordering' | 'retryMaxAttempts' | 'retryInitialMs' | 'retryMaxMs'>;
  pool: WorkerPool;
  sizer: BatchSizer | undefined;
  registry: PartitionRegistry;
  completion: Completion;
  delivery: Delivery;
  /** Keyed state (stateStore set): batches sharing a key run one after another. */
  state: StateStore | undefined;
  metrics: Metrics;
  logger: Logger;
  emit: Emit;
  fail: (error: unknown) => void;
}

export class Dispatcher {
  private readonly reorderer: Reorderer<Batch, BatchOutcome>;
  /** Key mode: keys parked behind a record whose retries are running. */
  private readonly parking = new KeyParking<HeldRecord>();
  private readonly threadsByPartition = new Map<PartitionId, Set<number>>();
  private readonly keyLocks = new KeyLocks<Pending>();
  /** Worker milliseconds since the last takeWorkerMs() (pool utilization). */
  private workerMs = 0;

  constructor(private readonly o: DispatcherOptions) {
    this.reorderer = new Reorderer(o.config.ordering !== 'unordered');
  }

  dispatch(batch: Batch): void {
    // The slot is taken on arrival: outputs leave in consumption order, whenever the batch runs.
    const slot = this.reorderer.add(batch.lane, batch);
    this.o.metrics.batchesDispatched.inc({ topic: batch.topic });
    this.o.metrics.batchSize.observe(batch.records.length);
    const state = this.o.state;
    if (!state) {
      this.run(batch, slot, undefined);
      return;
    }
    const pending: Pending = { batch, slot, keys: state.keysOf(batch.records) };
    if (this.keyLocks.acquire(partitionId(batch.topic, batch.partition), pending.keys, pending)) this.start(pending);
    else this.o.metrics.stateBatchesDelayed.inc();
  }

  private start(p: Pending): void {
    const id = partitionId(p.batch.topic, p.batch.partition);
    this.run(p.batch, p.slot, { keys: p.keys, view: new BatchStateView(this.o.state!.entries(id, p.keys)) });
  }

  private run(batch: Batch, slot: Slot<Batch, BatchOutcome>, stateful: StatefulRun | undefined): void {
    const c = this.o.config;
    const pool = this.o.pool;
    const view = stateful?.view;
    runBatch(
      view
        ? async (b, records, packable) => {
            const result = await pool.run(b, records, packable, view.entriesFor(records));
            if (result.ok && result.stateChanges) view.merge(records, result.stateChanges);
            return result;
          }
        : (b, records, packable) => pool.run(b, records, packable),
      batch,
      { maxAttempts: c.retryMaxAttempts, initialMs: c.retryInitialMs, maxMs: c.retryMaxMs },
      // Key mode parks only the failing record's key while its retries run (key-parking.ts).
      { parkFailures: c.ordering === 'key', sequentialSplit: view !== undefined },
    )
      .then((outcome) => this.onBatchDone(slot, outcome, stateful))
      .catch((error) => this.o.fail(error));
  }

  /**
   * Keyed state: the batch's changes go into the store (if its epoch is current) before its
   * keys are freed, so the next batch of those keys reads them; batches waiting on them start.
   */
  private settleState(batch: Batch, stateful: StatefulRun): StateDelta | undefined {
    const id = partitionId(batch.topic, batch.partition);
    let delta: StateDelta | undefined;
    if (this.o.registry.isCurrent(batch.topic, batch.partition, batch.epoch)) {
      delta = { changes: stateful.view.changes(), offsets: stateful.view.offsets };
      this.o.state!.apply(id, delta.changes, delta.offsets);
      this.o.metrics.stateKeys.set(this.o.state!.size);
    }
    for (const next of this.keyLocks.release(id, stateful.keys)) this.start(next);
    return delta;
  }

  /** Keys parked now (key mode). */
  get parkedKeys(): number {
    return this.parking.size;
  }

  /** Worker milliseconds reported since the last call. */
  takeWorkerMs(): number {
    const ms = this.workerMs;
    this.workerMs = 0;
    return ms;
  }

  threads(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [id, set] of this.threadsByPartition) out[id] = [...set].sort((a, b) => a - b);
    return out;
  }

  /**
   * Drops the work of matching partitions: results waiting in order, and parked keys. Their
   * records are released from flow control, never completed. Results still running are
   * dropped by epoch when they return. `forgetSizes`: the partitions are gone (revoked), so
   * their learnt batch sizes go too.
   */
  drop(match: (id: PartitionId) => boolean, forgetSizes = false): void {
    const lane = (name: string) => {
      const hash = name.indexOf('#');
      return match(hash < 0 ? name : name.slice(0, hash));
    };
    this.reorderer.dropLanes(lane, (slot) => this.o.completion.finish(slot.item, false));
    // Batches waiting for a key never ran: nothing else releases them.
    for (const p of this.keyLocks.dropWaiting(match)) this.o.completion.finish(p.batch, false);
    if (forgetSizes) this.o.sizer?.dropLanes(lane);
    for (const e of this.parking.drop(match)) this.o.completion.finish(e.item.batch, false, [e.item.record]);
    this.o.metrics.parkedKeys.set(this.parking.size);
  }

  private onBatchDone(slot: Slot<Batch, BatchOutcome>, outcome: BatchOutcome, stateful?: StatefulRun): void {
    const batch = slot.item;
    if (stateful) outcome.state = this.settleState(batch, stateful);
    const metrics = this.o.metrics;
    metrics.taskDuration.observe(outcome.workerMs / 1000);
    this.workerMs += outcome.workerMs;
    // Only clean single attempts measure the per-record cost (retries and splits add backoff and crashes).
    if (outcome.attempts === 1 && outcome.crashes === 0 && outcome.timeouts === 0) {
      this.o.sizer?.observe(batch.lane, batch.records.length, outcome.workerMs);
    }
    metrics.queueWait.observe(Math.max(0, Date.now() - batch.openedAt - outcome.workerMs) / 1000);
    if (outcome.retriedRecords > 0) metrics.recordsRetried.inc({ topic: batch.topic }, outcome.retriedRecords);
    if (outcome.crashes > 0) metrics.workerCrashes.inc(outcome.crashes);
    if (outcome.timeouts > 0 || outcome.crashes > 0) {
      metrics.taskTimeouts.inc(outcome.timeouts);
      const first = batch.records[0]!.offset;
      const last = batch.records[batch.records.length - 1]!.offset;
      this.o.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          offsets: [first, last],
          timeouts: outcome.timeouts,
          crashes: outcome.crashes,
        },
        'worker thread replaced while running a batch (timeout or crash); batch retried',
      );
    }
    const id = partitionId(batch.topic, batch.partition);
    let threads = this.threadsByPartition.get(id);
    if (!threads) {
      threads = new Set();
      this.threadsByPartition.set(id, threads);
    }
    for (const t of outcome.threadIds) if (t >= 0) threads.add(t);
    const released = this.reorderer.complete(slot, outcome);
    if (slot.dropped) this.o.completion.finish(batch, false);
    for (const s of released) this.release(s.item, s.result!);
  }

  /** A result whose turn came: delivered, unless its partition moved on (older epoch) or is sealed. */
  private release(batch: Batch, outcome: BatchOutcome): void {
    const registry = this.o.registry;
    const id = partitionId(batch.topic, batch.partition);
    if (
      !registry.isCurrent(batch.topic, batch.partition, batch.epoch) ||
      (registry.sealed.size > 0 && registry.sealed.has(id))
    ) {
      // An older assignment epoch (its partition moved), or a revoked partition whose last
      // exactly-once transaction is committing: never produce or commit for it.
      for (const p of outcome.parked) p.retry.catch(() => undefined);
      this.o.completion.finish(batch, false);
      return;
    }
    if (outcome.parked.length === 0 && !this.parking.hasParked(id)) {
      this.o.delivery.deliver(batch, batch.records, outcome.outputs, outcome.deadLetters, outcome.state);
      return;
    }
    this.deliverAroundParked(batch, outcome);
  }

  /**
   * Key mode with parked keys: records being retried park their key, records of parked keys
   * queue behind them, and the rest of the batch is delivered now.
   */
  private deliverAroundParked(batch: Batch, outcome: BatchOutcome): void {
    const id = partitionId(batch.topic, batch.partition);
    const parked = new Map(outcome.parked.map((p) => [p.index, p]));
    const deadByIndex = new Map(outcome.deadLetters.map((d) => [d.index, d]));
    const records: ConsumedRecord[] = [];
    const outputs: EncodedOutput[][] = [];
    const deadLetters: DeadLetter[] = [];
    for (let i = 0; i < batch.records.length; i++) {
      const record = batch.records[i]!;
      const key = keyId(record.key);
      const retrying = parked.get(i);
      const dead = deadByIndex.get(i) ?? null;
      if (retrying) {
        const wasParked = this.parking.isParked(id, key);
        const held: HeldRecord = { batch, record, outputs: [], deadLetter: null };
        const entry = this.parking.enqueue(id, key, record.offset, held, false);
        if (!wasParked) this.onParked(batch, record.offset, retrying.attempts);
        retrying.retry.then(
          (result) => this.onParkedDone(entry, result),
          (error) => this.o.fail(error),
        );
      } else if (this.parking.isParked(id, key)) {
        const held: HeldRecord = { batch, record, outputs: outcome.outputs[i] ?? [], deadLetter: dead };
        this.parking.enqueue(id, key, record.offset, held, true);
      } else {
        if (dead) deadLetters.push({ ...dead, index: records.length });
        records.push(record);
        outputs.push(outcome.outputs[i] ?? []);
      }
    }
    this.o.metrics.parkedKeys.set(this.parking.size);
    if (records.length > 0) this.o.delivery.deliver(batch, records, outputs, deadLetters);
  }

  private onParked(batch: Batch, offset: number, attempts: number): void {
    this.o.logger.warn(
      { topic: batch.topic, partition: batch.partition, offset, attempts },
      'record failed; its key is parked while it is retried (other keys go on)',
    );
    this.o.emit('parked', { topic: batch.topic, partition: batch.partition, offset });
  }

  /** A parked record is done: deliver it and the records of its key released behind it. */
  private onParkedDone(entry: ParkingEntry<HeldRecord>, result: RecordRetry): void {
    const metrics = this.o.metrics;
    this.workerMs += result.workerMs;
    if (result.crashes > 0) metrics.workerCrashes.inc(result.crashes);
    if (result.timeouts > 0) metrics.taskTimeouts.inc(result.timeouts);
    const { batch } = entry.item;
    metrics.recordsRetried.inc({ topic: batch.topic }, 1);
    const released = this.parking.resolve(entry, {
      ...entry.item,
      outputs: result.outputs,
      deadLetter: result.deadLetter,
    });
    metrics.parkedKeys.set(this.parking.size);
    if (released.length === 0) return;
    this.o.logger.info(
      { topic: batch.topic, partition: batch.partition, offset: entry.offset, released: released.length },
      'parked key released',
    );
    this.o.emit('unparked', { topic: batch.topic, partition: batch.partition, offset: entry.offset });
    const records: ConsumedRecord[] = [];
    const outputs: EncodedOutput[][] = [];
    const deadLetters: DeadLetter[] = [];
    for (const e of released) {
      if (e.item.deadLetter) deadLetters.push({ ...e.item.deadLetter, index: records.length });
      records.push(e.item.record);
      outputs.push(e.item.outputs);
    }
    // Entries of one key share the partition and its epoch (a revoke or re-positioning drops them all).
    this.o.delivery.deliver(released[0]!.item.batch, records, outputs, deadLetters);
  }
}
