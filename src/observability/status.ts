/**
 * The figures behind the status page (`/status.json`), read on the main thread from the engine's
 * snapshot and its prom-client metrics when a page asks, never computed per record. Notable
 * events (rebalances, dead letters, errors) are kept in a small ring by listening to the
 * engine's own events. Owned and paused partitions come from the snapshot, not from events,
 * because backpressure can flip pauses many times a second.
 */
import { type EventEmitter, errorMonitor } from 'node:events';
import { basename } from 'node:path';
import { histogramQuantile } from '../cli/histogram-quantile.js';
import { errorMessage } from '../errors.js';
import { partitionId } from '../types.js';
import type { EngineState, EngineView } from './engine-view.js';
import { RecentEvents, type StatusEvent, type StatusEventKind } from './recent-events.js';

interface TopicPartition {
  topic: string;
  partition: number;
}

type Listener = Parameters<EventEmitter['on']>[1];

/** What the tracker reads; the Engine satisfies it, and unit tests pass a small fake. */
export type StatusSource = Pick<EngineView, 'on' | 'off' | 'config' | 'metrics' | 'snapshot' | 'knownInstances'>;

/** Keyed state on the status page: the store, its restore progress and the group's instances. */
export interface StateStatus {
  store: string;
  keys: number;
  restoringPartitions: number;
  restoredRecords: number;
  /** Instances that announced their URL and partitions (advertisedUrl); empty without. */
  instances: Array<{ id: string; url: string; partitions: number[] }>;
}

export interface PartitionStatus {
  topic: string;
  partition: number;
  /** High watermark minus committed offset; null until the first watermark query returned. */
  lag: number | null;
  paused: boolean;
  /** Worker thread ids that ran this partition's batches. */
  threads: number[];
  /** With processes > 1: the index of the engine process that owns it. */
  process?: number;
}

export interface Quantiles {
  /** Seconds, over everything observed since start; null before the first observation. */
  p50: number | null;
  p99: number | null;
}

export interface Status {
  /** Server time in epoch milliseconds; the page computes rates from it. */
  time: number;
  state: EngineState;
  input: string;
  output: string;
  group: string;
  worker: string;
  consumed: number;
  produced: number;
  deadLettered: number;
  inFlightRecords: number;
  maxInFlightRecords: number;
  inFlightBytes: number;
  pauses: number;
  pool: {
    threads: number;
    /** Batches waiting for a free thread. */
    queueDepth: number;
    /** Seconds worker threads spent on batches since start; the page turns its rate into a busy share. */
    busySeconds: number;
    /** Piscina's own since-start ratio (the turbine_pool_utilization_ratio gauge). */
    utilization: number;
  };
  latency: { endToEnd: Quantiles; task: Quantiles };
  partitions: PartitionStatus[];
  /** Null without a state store. */
  keyedState: StateStatus | null;
  /** Newest first; with processes > 1, each event names its process (none: the supervisor's). */
  events: Array<StatusEvent & { process?: number }>;
  /** With processes > 1 (the supervisor's /status.json): one entry per engine process. */
  processes?: ProcessStatus[];
}

/** One engine process of a supervisor (`turbine run --processes N`), as the status page lists it. */
export interface ProcessStatus {
  index: number;
  /** Null while it waits for a restart. */
  pid: number | null;
  /** Its engine's state; `down` while waiting for a restart, `unresponsive` when it did not answer in time. */
  state: EngineState | 'down' | 'unresponsive';
  /** Worker threads: its share of poolSize. */
  threads: number;
  partitions: number;
  /** Records consumed by its current run. */
  consumed: number;
  restarts: number;
  /** Epoch ms its current run started; null while down. */
  startedAt: number | null;
  /** How its previous run ended, if it did. */
  lastExit: { code: number | null; signal: string | null; time: number } | null;
}

/** Compact partition list for event lines: "orders [0, 1, 2]". */
export function describePartitions(tps: readonly TopicPartition[]): string {
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) {
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  }
  return [...byTopic]
    .map(([topic, partitions]) => `${topic} [${partitions.sort((a, b) => a - b).join(', ')}]`)
    .join(', ');
}

export class StatusTracker {
  private readonly events: RecentEvents;
  private readonly listeners: Array<[string | symbol, Listener]> = [];

  constructor(
    private readonly source: StatusSource,
    capacity = 20,
  ) {
    this.events = new RecentEvents(capacity);
    this.listen('started', () =>
      this.note('started', `consuming ${source.config.input} as group ${source.config.group}`),
    );
    this.listen('assigned', (tps: TopicPartition[]) => {
      if (tps.length > 0) this.note('assigned', describePartitions(tps));
    });
    this.listen('revoked', (tps: TopicPartition[]) => {
      if (tps.length > 0) this.note('revoked', describePartitions(tps));
    });
    this.listen('deadLettered', (d: TopicPartition & { offset: number; code: string }) =>
      this.note('dead-letter', `${d.topic} [${d.partition}] offset ${d.offset}: ${d.code}`),
    );
    // errorMonitor observes 'error' without counting as a handler, so an engine nobody listens to
    // still fails as loudly as it would without the status page.
    this.listen(errorMonitor, (error: unknown) => {
      const code = (error as { code?: unknown }).code;
      this.note('error', typeof code === 'string' ? `${code}: ${errorMessage(error)}` : errorMessage(error));
    });
  }

  private listen<A extends unknown[]>(event: string | symbol, listener: (...args: A) => void): void {
    const erased = listener as unknown as Listener;
    this.source.on(event, erased);
    this.listeners.push([event, erased]);
  }

  private note(kind: StatusEventKind, message: string): void {
    this.events.push({ time: Date.now(), kind, message });
  }

  /** Stops listening to the engine. */
  dispose(): void {
    for (const [event, listener] of this.listeners) this.source.off(event, listener);
    this.listeners.length = 0;
  }

  async read(): Promise<Status> {
    const { config, metrics } = this.source;
    const stats = this.source.snapshot();
    const [lagValues, utilization, queueDepth, task, restored, e2e50, e2e99, task50, task99] = await Promise.all([
      metrics.consumerLag.get(),
      metrics.poolUtilization.get(),
      metrics.poolQueueDepth.get(),
      metrics.taskDuration.get(),
      metrics.stateRestoredRecords.get(),
      histogramQuantile(metrics.endToEndLatency, 0.5),
      histogramQuantile(metrics.endToEndLatency, 0.99),
      histogramQuantile(metrics.taskDuration, 0.5),
      histogramQuantile(metrics.taskDuration, 0.99),
    ]);
    const lag = new Map<string, number>();
    for (const v of lagValues.values) lag.set(`${v.labels.topic}:${v.labels.partition}`, v.value);
    const partitions = stats.partitions.map((p) => {
      const id = partitionId(p.topic, p.partition);
      return { ...p, lag: lag.get(id) ?? null, threads: stats.threadsByPartition[id] ?? [] };
    });
    return {
      time: Date.now(),
      state: stats.state,
      input: config.input,
      output: config.output,
      group: config.group,
      worker: basename(config.worker),
      consumed: stats.consumed,
      produced: stats.produced,
      deadLettered: stats.deadLettered,
      inFlightRecords: stats.inFlightRecords,
      maxInFlightRecords: config.maxInFlightRecords,
      inFlightBytes: stats.inFlightBytes,
      pauses: stats.pauses,
      pool: {
        threads: config.poolSize,
        queueDepth: queueDepth.values[0]?.value ?? 0,
        busySeconds: task.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0,
        utilization: utilization.values[0]?.value ?? 0,
      },
      latency: { endToEnd: { p50: e2e50, p99: e2e99 }, task: { p50: task50, p99: task99 } },
      partitions,
      keyedState:
        config.stateStore === ''
          ? null
          : {
              store: config.stateStore,
              keys: stats.stateKeys,
              restoringPartitions: stats.restoringPartitions,
              restoredRecords: restored.values[0]?.value ?? 0,
              instances: this.source.knownInstances?.() ?? [],
            },
      events: this.events.newestFirst(),
    };
  }
}
