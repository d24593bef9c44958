/**
 * The issue's targets (issue 3), judged against a run's report: met, missed with the measured
 * gap, or not measured (with why).
 */
import type { BenchReport, Order, ThroughputRow } from './report.js';

export type TargetStatus = 'met' | 'missed' | 'not measured';

export interface TargetVerdict {
  target: string;
  status: TargetStatus;
  measured: string;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(0)}%`;

export function turbineRow(report: BenchReport, w: number, order: Order): ThroughputRow | undefined {
  return report.cost.find((r) => r.system === 'turbine' && r.w === w && r.order === order && r.perSec !== null);
}

function loadgenTarget(report: BenchReport): TargetVerdict {
  const target = 'Load generator ≥ 200,000 records/s of 100 B';
  const row = report.loadgen.find((l) => l.valueSize === 100);
  if (!row || row.perSec === null) return { target, status: 'not measured', measured: row?.notRun ?? 'not run' };
  return {
    target,
    status: row.perSec >= 200_000 ? 'met' : 'missed',
    measured: `${fmt(row.perSec)}/s${row.perSec >= 200_000 ? '' : ` (gap ${fmt(200_000 - row.perSec)}/s)`}`,
  };
}

function overheadTarget(report: BenchReport): TargetVerdict {
  const target = 'W = 0: Turbine ≥ 0.9 × bare node-rdkafka loop';
  const turbine = turbineRow(report, 0, 'partition');
  const bare = report.overhead.find((r) => r.system === 'bare node-rdkafka loop' && r.perSec !== null);
  if (!turbine || !bare) return { target, status: 'not measured', measured: 'Turbine or bare loop not run at W = 0' };
  const ratio = turbine.perSec! / bare.perSec!;
  return {
    target,
    status: ratio >= 0.9 ? 'met' : 'missed',
    measured: `${ratio.toFixed(2)}× (${fmt(turbine.perSec!)} vs ${fmt(bare.perSec!)}/s)${ratio >= 0.9 ? '' : `, gap ${(0.9 - ratio).toFixed(2)}×`}`,
  };
}

function efficiencyTarget(report: BenchReport, w: number, goal: number): TargetVerdict {
  const target = `W = ${w} µs: CPU efficiency ≥ ${pct(goal)}`;
  const row = turbineRow(report, w, 'partition');
  if (!row) return { target, status: 'not measured', measured: `W = ${w} not run` };
  const efficiency = row.perSec! / (row.threads * row.instances * (1e6 / w));
  return {
    target,
    status: efficiency >= goal ? 'met' : 'missed',
    measured: `${pct(efficiency)}${efficiency >= goal ? '' : ` (gap ${((goal - efficiency) * 100).toFixed(0)} points)`}`,
  };
}

function peersTarget(report: BenchReport, order: Order): TargetVerdict {
  const target = `Turbine ahead of every peer at every W (${order} order)`;
  const rows = report.peers.filter((p) => p.order === order);
  if (rows.length === 0) return { target, status: 'not measured', measured: 'peers not run' };
  const behind: string[] = [];
  const missing: string[] = [];
  let compared = 0;
  for (const peer of rows) {
    const turbine = turbineRow(report, peer.w, order);
    if (peer.perSec === null || !turbine) {
      missing.push(`${peer.system}@${peer.w}`);
      continue;
    }
    compared++;
    if (turbine.perSec! <= peer.perSec) {
      behind.push(`${peer.system} at W=${peer.w}: ${fmt(peer.perSec)} vs Turbine ${fmt(turbine.perSec!)}/s`);
    }
  }
  if (compared === 0)
    return { target, status: 'not measured', measured: `no peer ran (${missing.length} rows not run)` };
  const tail = missing.length > 0 ? `; ${missing.length} of ${rows.length} peer rows not run` : '';
  if (behind.length > 0) return { target, status: 'missed', measured: `behind ${behind.join('; ')}${tail}` };
  return { target, status: 'met', measured: `ahead in ${compared} comparisons${tail}` };
}

function latencyTarget(report: BenchReport): TargetVerdict {
  const target = 'p99 end-to-end ≤ 50 ms at 50% of peak, W ≤ 100 µs';
  const rows = report.costLatency.filter((r) => r.w <= 100 && r.p99 !== null);
  if (rows.length === 0) return { target, status: 'not measured', measured: 'no latency run at W ≤ 100' };
  const over = rows.filter((r) => r.p99! > 50);
  const all = rows.map((r) => `W=${r.w}: ${r.p99} ms`).join(', ');
  return over.length === 0
    ? { target, status: 'met', measured: all }
    : { target, status: 'missed', measured: `${all} (worst gap ${Math.max(...over.map((r) => r.p99! - 50))} ms)` };
}

function soakTarget(report: BenchReport): TargetVerdict {
  const target = 'RSS growth < 10% after warm-up, 10-minute soak at 70% of peak';
  const soak = report.soak;
  if (!soak) return { target, status: 'not measured', measured: 'no soak result (run `npm run bench:soak`)' };
  return {
    target,
    status: soak.growth < 0.1 ? 'met' : 'missed',
    measured: `${(soak.growth * 100).toFixed(1)}% (${soak.rssAfterWarmupMb} → peak ${soak.rssPeakAfterWarmupMb} MiB, ${soak.durationS} s, ${soak.date.slice(0, 10)})`,
  };
}

export function evaluateTargets(report: BenchReport): TargetVerdict[] {
  return [
    loadgenTarget(report),
    overheadTarget(report),
    efficiencyTarget(report, 100, 0.8),
    efficiencyTarget(report, 1000, 0.9),
    peersTarget(report, 'partition'),
    peersTarget(report, 'key'),
    latencyTarget(report),
    soakTarget(report),
  ];
}
