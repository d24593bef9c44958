/**
 * The charts of RESULTS.md, built from a report: throughput against W for every system (log x),
 * and the end-to-end latency percentiles of the cost curve.
 */
import type { BenchReport, ThroughputRow } from './report.js';
import { barChart, type LineSeries, lineChart } from './svg-chart.js';

export const CHART_FILES = {
  throughput: 'throughput-vs-w.svg',
  latency: 'latency-percentiles.svg',
} as const;

function seriesName(row: ThroughputRow): string {
  return row.order ? `${row.system} (${row.order})` : row.system;
}

/** One line per system and order over every W it ran at: a colour per system, key order dashed. */
export function throughputChart(report: BenchReport): string {
  const rows = [...report.cost, ...report.overhead, ...report.peers].filter(
    (r) => r.perSec !== null && r.instances === 1,
  );
  const byName = new Map<string, LineSeries>();
  for (const row of rows) {
    const name = seriesName(row);
    const series = byName.get(name) ?? { name, points: [], colorKey: row.system, dashed: row.order === 'key' };
    byName.set(name, { ...series, points: [...series.points, { x: row.w, y: row.perSec! }] });
  }
  return lineChart([...byName.values()], {
    title: `Throughput vs CPU per record (${report.settings.partitions} partitions, ${report.settings.valueSize} B values)`,
    xLabel: 'W: µs of CPU per record (log scale; 0 at the left)',
    yLabel: 'records/s (log scale)',
    xScale: 'log',
    yScale: 'log',
  });
}

/** p50 / p99 / p99.9 at 50% of the peak rate, one group per W (and inventory). */
export function latencyChart(report: BenchReport): string {
  const rows = [...report.costLatency, ...(report.inventory.latency ? [report.inventory.latency] : [])].filter(
    (r) => r.p50 !== null,
  );
  return barChart(
    [
      { name: 'p50', values: rows.map((r) => r.p50) },
      { name: 'p99', values: rows.map((r) => r.p99) },
      { name: 'p99.9', values: rows.map((r) => r.p999) },
    ],
    {
      title: 'End-to-end latency at 50% of peak rate',
      yLabel: 'ms (log scale)',
      categories: rows.map((r) => r.label),
      yScale: 'log',
    },
  );
}
