/**
 * The supervisor's `/status.json` and `/stats` (`turbine run --processes N`): the engine
 * processes' own answers combined into the one container they run in. Totals are summed,
 * partitions listed with the process that owns them, events merged newest first, latency
 * quantiles computed from the summed histogram buckets (quantiles themselves do not add up), and
 * a `processes` list says how each process is doing. Pure: the supervisor gathers the answers.
 */
import { type Bucket, bucketQuantile } from '../cli/histogram-quantile.js';
import type { EngineState, EngineStats } from './engine-view.js';
import type { MetricValueJson } from './metrics-aggregation.js';
import type { StatusEvent } from './recent-events.js';
import type { PartitionStatus, ProcessStatus, StateStatus, Status } from './status.js';

/** What one engine process answers for the status page. */
export interface ProcessReport {
  status: Status;
  /** The series of its end-to-end latency and worker task duration histograms. */
  latency: { endToEnd: MetricValueJson[]; task: MetricValueJson[] };
}

/** Totals of a process's earlier runs, so the container's do not fall back when it restarts. */
export interface CarriedTotals {
  consumed: number;
  produced: number;
  deadLettered: number;
  busySeconds: number;
}

export const NO_TOTALS: CarriedTotals = { consumed: 0, produced: 0, deadLettered: 0, busySeconds: 0 };

/** The supervisor's view of one process, with its report when it answered. */
export interface ProcessEntry {
  index: number;
  pid: number | null;
  /** Running (forked and not exited); false while waiting for a restart or after its stop. */
  alive: boolean;
  threads: number;
  restarts: number;
  startedAt: number | null;
  lastExit: ProcessStatus['lastExit'];
  carried: CarriedTotals;
  report: ProcessReport | undefined;
}

export interface ContainerInfo {
  time: number;
  input: string;
  output: string;
  group: string;
  worker: string;
  /** Each process's in-flight bound (maxInFlightRecords). */
  maxInFlightRecords: number;
  /** The supervisor is stopping its processes. */
  stopping: boolean;
  /** The supervisor's own events (exits, restarts). */
  events: readonly StatusEvent[];
}

const EVENTS_KEPT = 20;

/** One state for the container: running when all are, draining while stopping, else starting. */
export function combinedState(states: readonly string[], stopping: boolean): EngineState {
  if (states.length > 0 && states.every((s) => s === 'closed')) return 'closed';
  if (stopping) return 'draining';
  if (states.length > 0 && states.every((s) => s === 'running')) return 'running';
  return 'starting';
}

function processState(p: ProcessEntry): ProcessStatus['state'] {
  if (!p.alive) return p.lastExit ? 'down' : 'starting';
  return p.report ? p.report.status.state : 'unresponsive';
}

/** Summed cumulative buckets of several processes' histogram series. */
export function summedBuckets(seriesList: readonly MetricValueJson[][]): Bucket[] {
  const byLe = new Map<string, number>();
  for (const series of seriesList)
    for (const v of series) {
      if (!v.metricName?.endsWith('_bucket')) continue;
      const le = String(v.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + v.value);
    }
  return [...byLe].map(([le, count]) => ({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count }));
}

function combinedKeyedState(reports: readonly Status[]): StateStatus | null {
  const stores = reports.map((s) => s.keyedState).filter((k): k is StateStatus => k !== null);
  if (stores.length === 0) return null;
  const instances = new Map<string, StateStatus['instances'][number]>();
  for (const k of stores) for (const i of k.instances) instances.set(i.id, i);
  return {
    store: stores[0]!.store,
    keys: stores.reduce((n, k) => n + k.keys, 0),
    restoringPartitions: stores.reduce((n, k) => n + k.restoringPartitions, 0),
    restoredRecords: stores.reduce((n, k) => n + k.restoredRecords, 0),
    instances: [...instances.values()],
  };
}

export function combineStatus(entries: readonly ProcessEntry[], c: ContainerInfo): Status {
  const reported = entries.filter((p) => p.report !== undefined);
  const reports = reported.map((p) => p.report!.status);
  const sum = (f: (s: Status) => number) => reports.reduce((n, s) => n + f(s), 0);
  const carried = (f: (t: CarriedTotals) => number) => entries.reduce((n, p) => n + f(p.carried), 0);
  const threads = entries.reduce((n, p) => n + p.threads, 0);
  const partitions: PartitionStatus[] = reported
    .flatMap((p) => p.report!.status.partitions.map((part) => ({ ...part, process: p.index })))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const events = [
    ...c.events,
    ...reported.flatMap((p) => p.report!.status.events.map((e) => ({ ...e, process: p.index }))),
  ]
    .sort((a, b) => b.time - a.time)
    .slice(0, EVENTS_KEPT);
  const quantiles = (pick: (r: ProcessReport) => MetricValueJson[]) => {
    const buckets = summedBuckets(reported.map((p) => pick(p.report!)));
    return { p50: bucketQuantile(buckets, 0.5), p99: bucketQuantile(buckets, 0.99) };
  };
  const weightedUtilization =
    threads === 0 ? 0 : reported.reduce((n, p) => n + p.report!.status.pool.utilization * p.threads, 0) / threads;
  return {
    time: c.time,
    state: combinedState(
      entries.map((p) => processState(p)),
      c.stopping,
    ),
    input: c.input,
    output: c.output,
    group: c.group,
    worker: c.worker,
    consumed: sum((s) => s.consumed) + carried((t) => t.consumed),
    produced: sum((s) => s.produced) + carried((t) => t.produced),
    deadLettered: sum((s) => s.deadLettered) + carried((t) => t.deadLettered),
    inFlightRecords: sum((s) => s.inFlightRecords),
    maxInFlightRecords: c.maxInFlightRecords * entries.length,
    inFlightBytes: sum((s) => s.inFlightBytes),
    pauses: sum((s) => s.pauses),
    pool: {
      threads,
      queueDepth: sum((s) => s.pool.queueDepth),
      busySeconds: sum((s) => s.pool.busySeconds) + carried((t) => t.busySeconds),
      utilization: weightedUtilization,
    },
    latency: { endToEnd: quantiles((r) => r.latency.endToEnd), task: quantiles((r) => r.latency.task) },
    partitions,
    keyedState: combinedKeyedState(reports),
    events,
    processes: entries.map((p) => ({
      index: p.index,
      pid: p.alive ? p.pid : null,
      state: processState(p),
      threads: p.threads,
      partitions: p.report?.status.partitions.length ?? 0,
      consumed: p.report?.status.consumed ?? 0,
      restarts: p.restarts,
      startedAt: p.alive ? p.startedAt : null,
      lastExit: p.lastExit,
    })),
  };
}

/** The totals a process's last report adds to what its earlier runs left (on its exit). */
export function carryTotals(carried: CarriedTotals, last: Status | undefined): CarriedTotals {
  if (!last) return carried;
  return {
    consumed: carried.consumed + last.consumed,
    produced: carried.produced + last.produced,
    deadLettered: carried.deadLettered + last.deadLettered,
    busySeconds: carried.busySeconds + last.pool.busySeconds,
  };
}

/** `/stats` of the container: numeric figures summed, partitions with their process, and each process's own. */
export function combineStats(
  entries: ReadonlyArray<{ index: number; pid: number | null; stats: EngineStats | undefined }>,
  stopping: boolean,
): EngineStats & { processes: Array<{ index: number; pid: number | null; stats: EngineStats | null }> } {
  const reported = entries.filter((e) => e.stats !== undefined).map((e) => ({ index: e.index, stats: e.stats! }));
  // Every numeric figure adds up across processes (peakInFlightRecords: the sum of the peaks).
  const total: Record<string, number> = {};
  for (const { stats } of reported)
    for (const [key, value] of Object.entries(stats))
      if (typeof value === 'number') total[key] = (total[key] ?? 0) + value;
  const threadsByPartition: Record<string, number[]> = {};
  for (const { stats } of reported)
    for (const [id, threads] of Object.entries(stats.threadsByPartition))
      threadsByPartition[id] = [...(threadsByPartition[id] ?? []), ...threads];
  return {
    ...(total as unknown as EngineStats),
    state: combinedState(
      entries.map((e) => e.stats?.state ?? 'starting'),
      stopping,
    ),
    threadsByPartition,
    partitions: reported.flatMap(({ index, stats }) => stats.partitions.map((p) => ({ ...p, process: index }))),
    processes: entries.map((e) => ({ index: e.index, pid: e.pid, stats: e.stats ?? null })),
  };
}
