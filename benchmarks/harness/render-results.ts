/**
 * Renders benchmarks/RESULTS.md from a run's report (pure: the caller writes the file and the
 * charts named in CHART_FILES next to it).
 */

import { containerBlock } from './container-section.js';
import type { CpuBreakdown } from './cpu-accounting.js';
import { num, pct, runsCell, table } from './markdown.js';
import type { BenchReport, LatencyRow, Order, Quantiles, Section } from './report.js';
import { CHART_FILES } from './results-charts.js';
import { SECTION_END, SECTION_START } from './scaling-doc.js';
import { LATENCY_WARMUP_S } from './scenarios.js';
import { renderStateSection, STATE_COMMAND, STATE_HEADING } from './state-section.js';
import { cpuEfficiency } from './statistics.js';
import { evaluateTargets, turbineRow } from './targets.js';
import { workloadsBlock } from './workload-section.js';

const ms = (n: number | null | undefined) => (n === null || n === undefined ? '–' : String(n));

const cores = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toFixed(2));
const us = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toFixed(1));

const CPU_HEADER = [
  'main thread',
  'worker + helper threads',
  'librdkafka',
  'engine threads that exited',
  'broker',
  'rest',
  'machine busy',
  'steal',
  'idle',
  'main thread µs/record',
];

/** The cells of a "where the cores went" row, in cores (CPU seconds ÷ wall seconds). */
function cpuCells(cpu: CpuBreakdown | undefined): string[] {
  if (!cpu) return [...CPU_HEADER.map(() => '–').slice(0, -1), 'not measured'];
  const c = cpu.cores;
  return [
    cores(c.main),
    cores(c.workers),
    cores(c.librdkafka),
    // Absent in results.json files written before it was measured.
    cores(c.exited ?? 0),
    cores(c.broker),
    cores(c.rest),
    cores(cpu.machineBusy),
    cores(cpu.steal),
    cores(cpu.idle),
    us(cpu.usPerRecord.main),
  ];
}

const CPU_NOTE =
  "Where the cores went over the same window, from /proc (utime + stime of each thread of the engine process, the broker's JVM, and the machine's /proc/stat), in cores = CPU seconds ÷ wall seconds. Worker + helper threads = the pool's worker threads plus V8 / libuv helper threads (all named `node`); librdkafka = threads named `rdk:*`; engine threads that exited = what the process total (/proc/<pid>/stat) gained beyond its live threads; rest = machine busy − the named parts (other processes: the load generator in latency runs, other users of this machine, the harness); steal = time the hypervisor gave to other guests. Threads are read in whole 10 ms ticks, so the parts add up to machine busy within a few hundredths of a core.";

function notRunSection(report: BenchReport, section: Section): string[] | null {
  return report.settings.sections.includes(section)
    ? null
    : ['', `_Not run in this invocation (sections run: ${report.settings.sections.join(', ')})._`];
}

function environmentLines(report: BenchReport): string[] {
  const e = report.env;
  const lines = [
    `- date: ${e.date}`,
    `- git: ${e.git}`,
    `- node: ${e.node}`,
    `- cpu: ${e.cpu} × ${e.cpuCount}; memory ${e.memoryGiB} GiB; load average at start ${e.loadAverage.toFixed(2)} per core`,
    `- kafka: ${e.kafka}`,
    `- librdkafka: ${e.librdkafka}`,
    `- command: \`${report.settings.command}\`${report.settings.quick ? ' (**--quick**: small counts, one run; not for comparison)' : ''}`,
    `- run time: ${(report.durationMs / 60_000).toFixed(1)} min`,
  ];
  for (const l of report.loadgen) {
    lines.push(
      `- load generator ceiling (\`turbine loadgen\`, own process, ${num(l.records)} records of ${l.valueSize} B, 12 partitions): ${l.perSec === null ? `not run: ${l.notRun ?? '?'}` : `${num(l.perSec)} records/s`}`,
    );
  }
  return lines;
}

function latencyTable(rows: LatencyRow[]): string[] {
  return table(
    [
      'scenario',
      'offered rate (records/s)',
      'delivered (records/s)',
      'duration (s)',
      'records measured',
      'p50 (ms)',
      'p99 (ms)',
      'p99.9 (ms)',
      'max (ms)',
      'engine: age when consumed p50 / p99 (ms)',
      'engine: age when acknowledged p50 / p99 (ms)',
    ],
    rows.map((r) => {
      const delivered = typeof r.deliveredPerSec === 'number' ? num(r.deliveredPerSec) : '–';
      const pair = (q: Quantiles | undefined) => (q ? `${ms(q.p50)} / ${ms(q.p99)}` : '–');
      return r.notRun
        ? [r.label, num(r.ratePerSec), '–', String(r.durationS), `not run: ${r.notRun}`, '–', '–', '–', '–', '–', '–']
        : [
            r.label,
            num(r.ratePerSec),
            delivered,
            String(r.durationS),
            num(r.count),
            ms(r.p50),
            ms(r.p99),
            ms(r.p999),
            ms(r.max),
            pair(r.engine?.consumed),
            pair(r.engine?.acknowledged),
          ];
    }),
  );
}

function costSection(report: BenchReport): string[] {
  const s = report.settings;
  const out = [
    '',
    '## 1. CPU cost curve (spin worker)',
    '',
    `Turbine as its own process (\`node bin/turbine.js run\`, pool ${s.poolSize}) drains a pre-filled topic of ${s.partitions} partitions with ${s.valueSize} B JSON values; records/s from the first consumed record to the last one finished (engine /stats polled every 20 ms), median of ${s.runs} run(s), each with a fresh group. Efficiency = records/s ÷ (pool × 10⁶/W). Peak RSS = the engine process's VmHWM (largest over the runs).`,
  ];
  const skipped = notRunSection(report, 'cost');
  if (skipped) return [...out, ...skipped];
  out.push(
    '',
    ...table(
      ['W (µs)', 'order', 'records', 'runs (records/s)', 'median records/s', 'efficiency', 'peak RSS (MiB)'],
      report.cost.map((r) => [
        String(r.w),
        r.order ?? '–',
        num(r.records),
        runsCell(r),
        num(r.perSec),
        pct(r.perSec === null ? null : cpuEfficiency(r.perSec, r.threads * r.instances, r.w)),
        num(r.peakRssMb),
      ]),
    ),
    '',
    `Where the ${report.env.cpuCount} cores went during the median run of each row above:`,
    '',
    ...table(
      ['W (µs)', 'order', 'median records/s', ...CPU_HEADER],
      report.cost.map((r) => [String(r.w), r.order ?? '–', num(r.perSec), ...cpuCells(r.cpu)]),
    ),
    '',
    CPU_NOTE,
    '',
    "Latency: the engine runs (partition order) while `turbine loadgen`, in its own process, offers 50% of the median peak above on a fixed open-loop schedule. Each output record is matched to its input through the lineage headers (`turbine.source.partition` / `turbine.source.offset`); latency = output LogAppendTime (the output topic is created with `message.timestamp.type=LogAppendTime`) − input CreateTime (set by the load generator when it hands the record to librdkafka), so it includes the load generator's own batching, both broker writes and the engine. The load runs " +
      LATENCY_WARMUP_S +
      ' s longer than the duration shown, and records produced in those first ' +
      LATENCY_WARMUP_S +
      " s are left out (warm-up: a freshly started engine compiles its hot paths and adapts its batch sizes). Millisecond resolution. The engine columns come from its own histograms (`turbine_consume_delay_seconds`, `turbine_end_to_end_latency_seconds`, scraped at the warm-up's end and after the load), interpolated inside their buckets: the age when consumed is the time before Turbine (the load generator's linger, the broker's write, the fetch); the age when acknowledged adds the engine and its producer, without the output's own append.",
    '',
    ...latencyTable(report.costLatency),
  );
  if (report.costLatency.some((r) => r.cpu)) {
    out.push(
      '',
      "Where the cores went during each latency run (from the load start to the engine's last record; the load generator is inside rest):",
      '',
      ...table(
        ['scenario', 'offered rate (records/s)', ...CPU_HEADER],
        report.costLatency.map((r) => [r.label, num(r.ratePerSec), ...cpuCells(r.cpu)]),
      ),
    );
  }
  return out;
}

function overheadSection(report: BenchReport): string[] {
  const out = [
    '',
    '## 2. Overhead at W = 0',
    '',
    "Same topic as the cost curve at W = 0. The bare loop (benchmarks/peers/bare-loop.ts, its own process) consumes, copies and produces in one thread with Turbine's client settings, delivery reports, lineage headers and commits: the client ceiling. kcat pipes `kcat -C | kcat -P` through run-peer.sh.",
  ];
  const skipped = notRunSection(report, 'overhead');
  if (skipped) return [...out, ...skipped];
  const turbine = turbineRow(report, 0, 'partition');
  const rows = [...(turbine ? [turbine] : []), ...report.overhead];
  const bare = report.overhead.find((r) => r.system === 'bare node-rdkafka loop' && r.perSec !== null);
  out.push(
    '',
    ...table(
      ['system', 'threads', 'runs (records/s)', 'median records/s', 'vs bare loop', 'peak RSS (MiB)'],
      rows.map((r) => [
        r.system,
        String(r.threads),
        runsCell(r),
        num(r.perSec),
        bare && r.perSec !== null ? `${(r.perSec / bare.perSec!).toFixed(2)}×` : '–',
        num(r.peakRssMb),
      ]),
    ),
    '',
    'Where the cores went (median run; the bare loop samples its own process from its first record to its last acknowledgement; kcat is not sampled):',
    '',
    ...table(
      ['system', ...CPU_HEADER],
      rows.map((r) => [r.system, ...cpuCells(r.cpu)]),
    ),
  );
  return out;
}

function peersSection(report: BenchReport): string[] {
  const out = [
    '',
    '## 3. Peers on the same work',
    '',
    'Each peer (benchmarks/peers/, called as `bash benchmarks/peers/run-peer.sh <peer> ...`) drains the same topic as Turbine at that W, with the same thread count, ordering mode and spin cost, one run each; records/s as the peer reports it.',
  ];
  const skipped = notRunSection(report, 'peers');
  if (skipped) return [...out, ...skipped];
  const orders: Order[] = ['partition', 'key'];
  const rows: string[][] = [];
  for (const peer of report.peers) {
    const turbine = peer.order ? turbineRow(report, peer.w, peer.order) : undefined;
    rows.push([
      String(peer.w),
      peer.order ?? '–',
      peer.system,
      String(peer.threads),
      peer.notRun ? `not run: ${peer.notRun}` : num(peer.perSec),
      num(turbine?.perSec),
      turbine && peer.perSec !== null ? `${(turbine.perSec! / peer.perSec).toFixed(2)}×` : '–',
    ]);
  }
  rows.sort((a, b) => Number(a[0]) - Number(b[0]) || orders.indexOf(a[1] as Order) - orders.indexOf(b[1] as Order));
  out.push(
    '',
    ...table(['W (µs)', 'order', 'peer', 'threads', 'peer records/s', 'Turbine records/s', 'Turbine ÷ peer'], rows),
  );
  return out;
}

function inventorySection(report: BenchReport): string[] {
  const out = [
    '',
    '## 4. Inventory worker (Avro in, JSON out)',
    '',
    'workers/inventory.ts with `--input-format avro --input-schema workers/schemas/stock-movement.avsc` (Confluent framing), values from `turbine loadgen --format avro --keys 500`; pool = cores, partition order. Latency at 50% of the measured peak, as in section 1 (the worker emits one level record per movement plus low-stock alerts).',
  ];
  const skipped = notRunSection(report, 'inventory');
  if (skipped) return [...out, ...skipped];
  const t = report.inventory.throughput;
  if (t) {
    out.push(
      '',
      ...table(
        ['records', 'runs (records/s)', 'median records/s', 'peak RSS (MiB)'],
        [[num(t.records), runsCell(t), num(t.perSec), num(t.peakRssMb)]],
      ),
    );
  }
  if (report.inventory.latency) out.push('', ...latencyTable([report.inventory.latency]));
  return out;
}

function scalingSection(report: BenchReport): string[] {
  const out = [
    '',
    '## 5. Scaling',
    '',
    'Pool size and engine instances (separate processes in one group, started together; the time includes the cooperative rebalance that splits the partitions) on the same pre-filled topic. The model and where these points sit on it: [docs/scaling.md](../docs/scaling.md).',
  ];
  const skipped = notRunSection(report, 'scaling');
  if (skipped) return [...out, ...skipped];
  out.push(
    '',
    ...table(
      [
        'W (µs)',
        'instances',
        'pool per instance',
        'runs (records/s)',
        'median records/s',
        'efficiency',
        'peak RSS per instance (MiB)',
      ],
      report.scaling.map((r) => [
        String(r.w),
        String(r.instances),
        String(r.threads),
        runsCell(r),
        num(r.perSec),
        pct(r.perSec === null ? null : cpuEfficiency(r.perSec, r.threads * r.instances, r.w)),
        num(r.peakRssMb),
      ]),
    ),
  );
  return out;
}

function adaptiveSection(report: BenchReport): string[] {
  const out = ['', '## 6. Adaptive batching vs fixed batch sizes'];
  const skipped = notRunSection(report, 'adaptive');
  if (skipped) return [...out, ...skipped];
  const a = report.adaptive;
  if (!a.available) return [...out, '', `Not run: ${a.note}`];
  out.push(
    '',
    a.note,
    '',
    ...table(
      ['W (µs)', 'load', 'offered records/s', 'batching', 'delivered records/s', 'p50 (ms)', 'p99 (ms)'],
      a.rows.map((r) =>
        r.notRun
          ? [String(r.w), r.load, num(r.ratePerSec), r.config, `not run: ${r.notRun}`, '–', '–']
          : [String(r.w), r.load, num(r.ratePerSec), r.config, num(r.perSec), ms(r.p50), ms(r.p99)],
      ),
    ),
  );
  return out;
}

function soakSection(report: BenchReport): string[] {
  const out = [
    '',
    '## 7. Soak',
    '',
    'A separate run, `npm run bench:soak` (not part of `npm run bench`): see [SOAK.md](SOAK.md).',
  ];
  const s = report.soak;
  if (s) {
    out.push(
      '',
      `Last soak (${s.date}, git ${s.git}): W = ${s.w} µs at ${num(s.ratePerSec)} records/s for ${s.durationS} s; RSS ${s.rssAfterWarmupMb} MiB after the ${s.warmupS} s warm-up, peak afterwards ${s.rssPeakAfterWarmupMb} MiB, at the end ${s.rssEndMb} MiB: growth ${(s.growth * 100).toFixed(1)}%.`,
    );
  }
  return out;
}

/**
 * The keyed-state section between markers, so that a run of that section alone can replace it
 * (state-section.ts): this run's figures, or the last ones saved in benchmarks/state.json.
 */
function stateSection(report: BenchReport): string[] {
  const body = report.state
    ? renderStateSection(report.state)
    : `${STATE_HEADING}\n\n_Not measured yet: \`${STATE_COMMAND}\`._`;
  return ['', SECTION_START, body, SECTION_END];
}

function closingNote(report: BenchReport): string[] {
  const quote: string[] = [];
  const w0 = turbineRow(report, 0, 'partition');
  const bare = report.overhead.find((r) => r.system === 'bare node-rdkafka loop' && r.perSec !== null);
  if (w0 && bare)
    quote.push(
      `W = 0: Turbine ${num(w0.perSec)}/s vs bare loop ${num(bare.perSec)}/s (${(w0.perSec! / bare.perSec!).toFixed(2)}×).`,
    );
  for (const w of [100, 1000]) {
    const r = turbineRow(report, w, 'partition');
    if (r) quote.push(`W = ${w} µs: ${num(r.perSec)}/s, efficiency ${pct(cpuEfficiency(r.perSec!, r.threads, w))}.`);
  }
  const lat = report.costLatency.find((r) => r.w === 100 && r.p99 !== null);
  if (lat) quote.push(`p99 at W = 100 µs, ${num(lat.ratePerSec)}/s offered: ${lat.p99} ms.`);
  return quote.length === 0 ? [] : ['', '## Closing note', '', ...quote.map((q) => `- ${q}`)];
}

export function renderResults(report: BenchReport): string {
  const verdicts = evaluateTargets(report);
  const lines = [
    '<!-- Generated by `npm run bench` (benchmarks/run.ts) from benchmarks/results.json: do not edit by hand. -->',
    '',
    '# Benchmark results',
    '',
    '**Generated file, do not edit**: rerun `npm run bench` (see benchmarks/run.ts for options).',
    '',
    '## Environment',
    '',
    ...environmentLines(report),
    '',
    '## Targets (issues 3 and 15)',
    '',
    ...table(
      ['target', 'status', 'measured', 'cause'],
      verdicts.map((v) => [
        v.target,
        v.status === 'met' ? 'met' : v.status === 'missed' ? '**missed**' : v.status,
        v.measured,
        v.cause,
      ]),
    ),
    '',
    '## Charts',
    '',
    `![Throughput vs W](${CHART_FILES.throughput})`,
    '',
    `![Latency percentiles](${CHART_FILES.latency})`,
    ...costSection(report),
    ...overheadSection(report),
    ...peersSection(report),
    ...inventorySection(report),
    ...scalingSection(report),
    ...adaptiveSection(report),
    ...soakSection(report),
    ...stateSection(report),
    // The real-workloads section between its own markers (workload-section.ts), like the keyed-state one.
    '',
    workloadsBlock(report.workloads),
    '',
    containerBlock(report.container),
    ...closingNote(report),
    '',
  ];
  return lines.join('\n');
}
