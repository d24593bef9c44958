/**
 * One /metrics for several engine processes (`turbine run --processes N`): each process sends
 * its registry as prom-client JSON (`getMetricsAsJSON()`), and prom-client's
 * `AggregatorRegistry.aggregate()` (the cluster module's aggregation, which needs no cluster)
 * adds series with the same labels. Before that, the series of metrics marked `per-process` in
 * the definitions table (and Node's default process metrics) get a `process` label, so they stay
 * apart instead of being summed into a figure that means nothing (a sum of utilization ratios).
 *
 * Counters must not go down when a process restarts from zero: Prometheus would take the drop
 * for a reset and count the new process's whole value as an increase. So the counters and
 * histograms a process last reported before it exited are carried and added to its successor's.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import { METRIC_DEFINITIONS, type MetricAggregation } from './metrics.js';

/** One series of a metric, as prom-client's getMetricsAsJSON() gives it. */
export interface MetricValueJson {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** One metric, as prom-client's getMetricsAsJSON() gives it. */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: MetricValueJson[];
}

/** Prefix of Node's default process metrics (collectDefaultMetrics), which are per process. */
export const PROCESS_METRICS_PREFIX = 'turbine_process_';

const AGGREGATION = new Map<string, MetricAggregation>(
  Object.values(METRIC_DEFINITIONS).map((d) => [d.name, d.aggregate]),
);

/** Whether a metric keeps one series per process: from its definition, or a default process metric. */
export function isPerProcess(name: string, table: ReadonlyMap<string, MetricAggregation> = AGGREGATION): boolean {
  const declared = table.get(name);
  return declared === undefined ? name.startsWith(PROCESS_METRICS_PREFIX) : declared === 'per-process';
}

/** A process's metrics with a `process` label on its per-process series. */
export function labelProcess(
  metrics: readonly MetricJson[],
  process: string,
  perProcess: (name: string) => boolean = isPerProcess,
): MetricJson[] {
  return metrics.map((m) =>
    perProcess(m.name)
      ? {
          ...m,
          // Distinct labels keep the series apart; 'sum' then only adds a process's carried
          // counters to its current ones (prom-client's defaults would omit or average some).
          aggregator: 'sum',
          values: m.values.map((v) => ({ ...v, labels: { ...v.labels, process } })),
        }
      : m,
  );
}

const sameLabels = (a: MetricValueJson['labels'], b: MetricValueJson['labels']): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && String(a[k]) === String(b[k]));
};

/**
 * What a process that exited leaves to its successors: `carried` plus the counters and histograms
 * of its last report (gauges describe a process that is gone, and are dropped).
 */
export function carryCounters(carried: readonly MetricJson[], last: readonly MetricJson[]): MetricJson[] {
  const byName = new Map<string, MetricJson>(
    carried.map((m) => [m.name, { ...m, values: m.values.map((v) => ({ ...v })) }]),
  );
  for (const m of last) {
    if (m.type !== 'counter' && m.type !== 'histogram') continue;
    const into = byName.get(m.name);
    if (!into) {
      byName.set(m.name, { ...m, values: m.values.map((v) => ({ ...v })) });
      continue;
    }
    for (const v of m.values) {
      const same = into.values.find((w) => w.metricName === v.metricName && sameLabels(w.labels, v.labels));
      if (same) same.value += v.value;
      else into.values.push({ ...v });
    }
  }
  return [...byName.values()];
}

/** One engine process's figures for the aggregate. */
export interface ProcessMetrics {
  /** The `process` label value: the process index. */
  process: string;
  /** Its latest report; undefined while it has none (starting, or waiting for a restart). */
  current: readonly MetricJson[] | undefined;
  /** Counters and histograms of its earlier runs (carryCounters). */
  carried: readonly MetricJson[];
}

/**
 * The container's registry: every process's metrics (per-process series labelled, the rest
 * summed), plus `own`, the supervisor's metrics (its process metrics labelled `supervisor`).
 */
export function aggregateProcesses(
  processes: readonly ProcessMetrics[],
  own: readonly MetricJson[] = [],
  perProcess: (name: string) => boolean = isPerProcess,
): Registry {
  const inputs: MetricJson[][] = [];
  for (const p of processes) {
    if (p.current) inputs.push(labelProcess(p.current, p.process, perProcess));
    if (p.carried.length > 0) inputs.push(labelProcess(p.carried, p.process, perProcess));
  }
  inputs.push(labelProcess(own, 'supervisor', perProcess));
  return AggregatorRegistry.aggregate(inputs);
}
