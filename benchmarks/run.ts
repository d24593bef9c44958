/**
 * `npm run bench`: the benchmark suite of issue 3 against the local broker. Prints each figure as
 * it goes and writes RESULTS.md, results.json and the SVG charts (benchmarks/ for a full run,
 * benchmarks/out/ for --quick or --only unless --out-dir says otherwise).
 *
 *   node dist/benchmarks/run.js [--quick] [--only env,cost,overhead,peers,inventory,scaling,adaptive,state,workloads]
 *     [--runs N] [--w 0,20,100,1000] [--peers kafkajs-main,...] [--out-dir DIR] [--brokers B]
 *
 * `--only state --out-dir benchmarks` measures the keyed-state section alone and replaces it
 * between its markers in benchmarks/RESULTS.md (and benchmarks/state.json), leaving the rest;
 * `--only workloads --out-dir benchmarks` does the same for the real-workloads section
 * (benchmarks/workloads.json).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_BROKERS, ensureBenchBroker } from './harness/bench-broker.js';
import { type ContainerReport, measureContainer, replaceContainerSection } from './harness/container-section.js';
import type { CpuBreakdown } from './harness/cpu-accounting.js';
import { environment } from './harness/environment.js';
import { ROOT } from './harness/processes.js';
import { createProgressLog } from './harness/progress-log.js';
import { renderResults } from './harness/render-results.js';
import {
  type BenchReport,
  type LatencyRow,
  type Order,
  SECTIONS,
  type Section,
  type SectionRun,
  type SoakSummary,
  type StateDrainRow,
  type StateReport,
  type ThroughputRow,
  type WorkloadName,
  type WorkloadResult,
  type WorkloadSystem,
  type WorkloadsReport,
} from './harness/report.js';
import { CHART_FILES, latencyChart, throughputChart } from './harness/results-charts.js';
import { renderScalingSection, updateGeneratedSection } from './harness/scaling-doc.js';
import {
  AVRO_SCHEMA,
  cleanUpOnInterrupt,
  type DrainRun,
  drainWithBareLoop,
  drainWithPeer,
  drainWithTurbine,
  dropTopics,
  fillTopic,
  INVENTORY_LOAD,
  INVENTORY_WORKER,
  latencyRun,
  loadgenCeiling,
  PARTITIONS,
  randomTopic,
  SPIN_LOAD,
  SPIN_WORKER,
  type TurbineSetup,
  VALUE_SIZE,
} from './harness/scenarios.js';
import { drainInventory, measureRestore, STATE_STORE, stateDrainRow, stateFlags } from './harness/state-scenarios.js';
import { renderStateSection, replaceStateSection } from './harness/state-section.js';
import { median } from './harness/statistics.js';
import { drainWorkload, fillWorkload, relativeToRoot, WORKLOAD_SPECS } from './harness/workload-scenarios.js';
import { replaceWorkloadsSection } from './harness/workload-section.js';

const USAGE = `Usage: npm run bench -- [options]   (node dist/benchmarks/run.js after npm run build)

  --quick              small topics, one run each, latency 4 s: for development (writes benchmarks/out/)
  --only S1,S2         sections: env, cost, overhead, peers, inventory, scaling, adaptive, state,
                       workloads (default all); --only state --out-dir benchmarks replaces only the
                       keyed-state section of benchmarks/RESULTS.md, --only workloads only the
                       real-workloads one, --only container the high-throughput container one
                       (issue 15: main-thread µs/record, kcat ratio, processes 1 vs 2); any mix
                       of these three replaces just those
  --runs N             drains per Turbine row, median reported (default 3, --quick 1)
  --w 0,20,100,1000    spin costs in µs per record
  --peers P1,P2        peers called through benchmarks/peers/run-peer.sh (default kafkajs-main,
                       kafkajs-piscina, parallel-consumer, arroyo; kcat runs in the overhead section)
  --out-dir DIR        where RESULTS.md, results.json and the charts go (default benchmarks/ for a
                       full run, benchmarks/out/ for --quick, --only or --w)
  --brokers B          default 127.0.0.1:9092 (or TURBINE_BENCH_BROKERS), started with scripts/kafka.sh
                       when not running and stopped at the end; another address must be reachable
  --render FILE        measure nothing: render RESULTS.md and the charts again from a results.json
                       (picking up the latest benchmarks/soak.json) into --out-dir (default benchmarks/)
`;
const DEFAULT_PEERS = ['kafkajs-main', 'kafkajs-piscina', 'parallel-consumer', 'arroyo'];
/** Records per input topic by W: about 4 s of Turbine work on 2 cores (full run). */
const FULL_COUNTS: Record<number, number> = { 0: 120_000, 20: 80_000, 100: 60_000, 1000: 8_000 };
const INVENTORY_COUNT = 100_000;
const SCALING_W = 100;
/** Keyed state: records per input topic, the overlap comparison's key counts, and the restored changelog's keys. */
const STATE_COUNT = 100_000;
const STATE_FEW_KEYS = 20;
const STATE_MANY_KEYS = 50_000;
const STATE_MOST_KEYS = 1_000_000;
const RESTORE_KEYS = 1_000_000;
/** The last keyed-state section measured into benchmarks/ (a run without it renders this one). */
const STATE_FILE = 'state.json';
/**
 * Real workloads (issue 14): records per topic, full and --quick. 2,000 images (about 214 MB) take
 * Turbine about 10 s on 2 cores and the bare loop about twice that; 100,000 reviews about 6 s.
 */
const WORKLOAD_COUNTS: Record<WorkloadName, { full: number; quick: number }> = {
  image: { full: 2_000, quick: 200 },
  text: { full: 100_000, quick: 10_000 },
};
/** loadgen's seed for both workloads: every run drains the same images and reviews. */
const WORKLOAD_SEED = 1;
/**
 * No corrupt values: a corrupt record costs Turbine retries of its whole batch before it is
 * dead-lettered, which the peer and the bare loop have no equivalent of, so it would measure
 * failure handling rather than the work. The dead-letter path has its own integration tests.
 */
const WORKLOAD_CORRUPT_RATE = 0;
const WORKLOAD_SYSTEMS: readonly WorkloadSystem[] = ['turbine', 'kafkajs-piscina', 'bare-loop'];
/** The last real-workloads section measured into benchmarks/ (a run without it renders this one). */
const WORKLOADS_FILE = 'workloads.json';
/** Sections that can be measured alone into benchmarks/, replacing only their part of RESULTS.md. */
const ALONE_SECTIONS: readonly Section[] = ['state', 'workloads', 'container'];
/** The last high-throughput container section measured into benchmarks/. */
const CONTAINER_FILE = 'container.json';

interface Options {
  /** A results.json to render instead of measuring. */
  render?: string;
  brokers: string;
  quick: boolean;
  runs: number;
  sections: Section[];
  ws: number[];
  peers: string[];
  outDir: string;
  poolSize: number;
  latencySeconds: number;
  command: string;
}

const started = Date.now();
const log = createProgressLog(started);
const fmt = (n: number | null) => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 200);

function countFor(o: Options, w: number): number {
  const full = FULL_COUNTS[w] ?? Math.max(4000, Math.round((o.poolSize * 1e6 * 4) / Math.max(1, w)));
  return o.quick ? Math.max(2000, Math.round(full / 6)) : full;
}

/**
 * Peers read the first part of the same topic: some run at a few hundred records/s here (Parallel
 * Consumer in partition order, Arroyo), and draining all of it would take most of the time budget.
 */
function peerCount(records: number): number {
  return Math.min(records, Math.max(2000, Math.round(records / 4)));
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      w: { type: 'string' },
      peers: { type: 'string' },
      'out-dir': { type: 'string' },
      brokers: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const sections = (values.only?.split(',') ?? [...SECTIONS]).map((s) => s.trim()) as Section[];
  for (const s of sections) {
    if (!SECTIONS.includes(s)) {
      process.stderr.write(`--only: unknown section "${s}"; accepted: ${SECTIONS.join(', ')}\n`);
      process.exit(2);
    }
  }
  const quick = values.quick === true;
  const partial = (quick || values.only !== undefined || values.w !== undefined) && values.render === undefined;
  const runs = Number(values.runs ?? (quick ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('--runs: a positive integer\n');
    process.exit(2);
  }
  return {
    ...(values.render === undefined ? {} : { render: values.render }),
    brokers: values.brokers ?? process.env.TURBINE_BENCH_BROKERS ?? DEFAULT_BENCH_BROKERS,
    quick,
    runs,
    sections,
    ws: (values.w ?? '0,20,100,1000').split(',').map(Number),
    peers: values.peers === undefined ? DEFAULT_PEERS : values.peers.split(',').filter((p) => p !== ''),
    // Absolute, so that `--out-dir benchmarks` is recognized as benchmarks/ (writeOutputs compares paths).
    outDir: resolve(values['out-dir'] ?? join(ROOT, 'benchmarks', partial ? 'out' : '')),
    poolSize: cpus().length,
    latencySeconds: quick ? 4 : 10,
    command: `npm run bench --${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  };
}

function newRow(system: string, order: Order | null, w: number, threads: number, instances: number, records: number) {
  const row: ThroughputRow = { system, order, w, threads, instances, records, runs: [], perSec: null, peakRssMb: null };
  return row;
}

/** Each row's CPU breakdowns by run, kept across calls (repeatDrain's onlyRun). */
const cpuByRow = new WeakMap<ThroughputRow, Array<CpuBreakdown | null>>();

/**
 * Repeats a drain `runs` times into `row`; the first failure marks the row not run. With
 * `onlyRun`, drains once, as run `onlyRun` of `runs` (rows drained a run at a time, in turn).
 */
async function repeatDrain(
  o: Options,
  row: ThroughputRow,
  label: string,
  drain: () => Promise<DrainRun>,
  onlyRun?: number,
): Promise<ThroughputRow> {
  const cpuByRun = cpuByRow.get(row) ?? [];
  cpuByRow.set(row, cpuByRun);
  for (let i = onlyRun ?? 1; i <= (onlyRun ?? o.runs); i++) {
    try {
      const r = await drain();
      row.runs.push(Math.round(r.perSec));
      cpuByRun.push(r.cpu);
      if (r.peakRssMb !== null) row.peakRssMb = Math.max(row.peakRssMb ?? 0, r.peakRssMb);
      log(`${label} run ${i}/${o.runs}: ${fmt(r.perSec)} records/s, peak RSS ${r.peakRssMb ?? '?'} MiB`);
    } catch (error) {
      row.notRun = errorText(error);
      log(`${label} run ${i}/${o.runs} failed: ${row.notRun}`);
      break;
    }
  }
  row.perSec = row.notRun && row.runs.length === 0 ? null : median(row.runs);
  if (row.perSec !== null) {
    row.perSec = Math.round(row.perSec);
    // The breakdown of the run nearest the median (the median run itself for an odd count).
    const median = row.perSec;
    const nearest = row.runs.reduce(
      (best, v, i) => (Math.abs(v - median) < Math.abs(row.runs[best]! - median) ? i : best),
      0,
    );
    const cpu = cpuByRun[nearest];
    if (cpu) row.cpu = cpu;
    delete row.notRun;
    log(`${label}: median ${fmt(row.perSec)} records/s`);
  }
  return row;
}

/**
 * A safety net, not a measurement: 2 minutes plus 4× the pool's pure work time plus 3 ms per
 * record, so a busy machine (records/s in the hundreds) still finishes its drain.
 */
function drainTimeout(records: number, w: number, threads: number): number {
  return 120_000 + records * ((w / 1000 / Math.max(1, threads)) * 4 + 3);
}

function spinSetup(o: Options, w: number, ordering: Order, poolSize = o.poolSize, instances = 1): TurbineSetup {
  return { worker: SPIN_WORKER, poolSize, ordering, instances, env: { SPIN_US: String(w) } };
}

async function latencyAt(
  o: Options,
  label: string,
  w: number,
  rate: number,
  setup: TurbineSetup,
  load = SPIN_LOAD,
  durationS = o.latencySeconds,
) {
  log(`${label}: latency at ${fmt(rate)} records/s offered for ${durationS} s...`);
  try {
    const r = await latencyRun(o.brokers, { label, w, ratePerSec: rate, durationS, setup, load });
    log(`${label}: p50 ${r.row.p50} ms, p99 ${r.row.p99} ms, p99.9 ${r.row.p999} ms (${fmt(r.row.count)} records)`);
    return r;
  } catch (error) {
    const row: LatencyRow = {
      label,
      w,
      ratePerSec: Math.round(rate),
      durationS,
      count: 0,
      p50: null,
      p99: null,
      p999: null,
      max: null,
      notRun: errorText(error),
    };
    log(`${label}: latency run failed: ${row.notRun}`);
    return { row, deliveredPerSec: null };
  }
}

/** Sections 1–3 share one pre-filled topic per W: Turbine (both orders), the bare loop, kcat, peers. */
async function spinCurve(o: Options, report: BenchReport, checkpoint: () => void): Promise<void> {
  const want = (s: Section) => o.sections.includes(s);
  // A peer that failed twice is not called again: a broken setup must not eat the time budget.
  const peerFailures = new Map<string, { count: number; reason: string }>();
  for (const w of o.ws) {
    if (!want('cost') && !want('peers') && !(want('overhead') && w === 0)) continue;
    const records = countFor(o, w);
    const input = randomTopic(`spin-${w}`);
    log(`W = ${w} µs: filling ${input} with ${fmt(records)} records of ${VALUE_SIZE} B...`);
    try {
      await fillTopic(o.brokers, input, records, SPIN_LOAD);
      const timeout = drainTimeout(records, w, o.poolSize);
      if (want('cost') || want('peers') || want('overhead')) {
        for (const order of ['partition', 'key'] as const) {
          if (order === 'key' && !want('cost') && !want('peers')) continue;
          const row = newRow('turbine', order, w, o.poolSize, 1, records);
          await repeatDrain(o, row, `turbine W=${w} ${order}`, () =>
            drainWithTurbine(o.brokers, input, records, spinSetup(o, w, order), timeout),
          );
          report.cost.push(row);
        }
      }
      if (want('overhead') && w === 0) {
        const bare = newRow('bare node-rdkafka loop', null, 0, 1, 1, records);
        await repeatDrain(o, bare, 'bare loop W=0', () => drainWithBareLoop(o.brokers, input, records, 0, timeout));
        report.overhead.push(bare);
        const kcat = newRow('kcat pipe', null, 0, 1, 1, records);
        const r = await drainWithPeer(o.brokers, 'kcat', input, records, {
          w: 0,
          threads: 1,
          order: 'partition',
          timeoutMs: timeout,
        });
        if (r.perSec !== null) kcat.runs.push(Math.round(r.perSec));
        kcat.perSec = r.perSec === null ? null : Math.round(r.perSec);
        if (r.notRun) kcat.notRun = r.notRun;
        log(`kcat pipe W=0: ${r.perSec === null ? `not run: ${r.notRun}` : `${fmt(r.perSec)} records/s`}`);
        report.overhead.push(kcat);
      }
      if (want('peers')) {
        for (const peer of o.peers) {
          for (const order of ['partition', 'key'] as const) {
            const row = newRow(peer, order, w, o.poolSize, 1, peerCount(records));
            const failures = peerFailures.get(peer);
            const r =
              failures && failures.count >= 2
                ? { perSec: null, notRun: `skipped after two failures (${failures.reason})` }
                : await drainWithPeer(o.brokers, peer, input, peerCount(records), {
                    w,
                    threads: o.poolSize,
                    order,
                    timeoutMs: timeout + 120_000,
                  });
            if (r.perSec !== null) row.runs.push(Math.round(r.perSec));
            row.perSec = r.perSec === null ? null : Math.round(r.perSec);
            if ('threads' in r && r.threads !== undefined) row.threads = r.threads;
            if (r.notRun) {
              row.notRun = r.notRun;
              if (!failures || failures.count < 2)
                peerFailures.set(peer, { count: (failures?.count ?? 0) + 1, reason: r.notRun.slice(0, 80) });
            }
            const claimed =
              'claimedPerSec' in r && r.claimedPerSec !== undefined ? ` (its own figure: ${fmt(r.claimedPerSec)})` : '';
            log(
              `${peer} W=${w} ${order}: ${r.perSec === null ? `not run: ${r.notRun}` : `${fmt(r.perSec)} records/s${claimed}`}`,
            );
            report.peers.push(row);
          }
        }
      }
    } catch (error) {
      log(`W = ${w}: ${errorText(error)}`);
    } finally {
      await dropTopics(o.brokers, [input, `${input}.dlq`]);
    }
    if (want('cost')) {
      const peak = report.cost.find((r) => r.w === w && r.order === 'partition')?.perSec ?? null;
      if (peak !== null) {
        const r = await latencyAt(o, `spin W=${w} µs`, w, peak / 2, spinSetup(o, w, 'partition'));
        report.costLatency.push({ ...r.row, deliveredPerSec: r.deliveredPerSec });
      }
    }
    checkpoint();
  }
}

async function inventory(o: Options, report: BenchReport): Promise<void> {
  const records = o.quick ? 15_000 : INVENTORY_COUNT;
  const input = randomTopic('inventory');
  const setup: TurbineSetup = {
    worker: INVENTORY_WORKER,
    poolSize: o.poolSize,
    ordering: 'partition',
    instances: 1,
    args: ['--input-format', 'avro', '--input-schema', AVRO_SCHEMA, '--output-format', 'json'],
  };
  const row = newRow('turbine inventory', 'partition', 0, o.poolSize, 1, records);
  log(`inventory: filling ${input} with ${fmt(records)} Avro stock movements...`);
  try {
    await fillTopic(o.brokers, input, records, INVENTORY_LOAD);
    await repeatDrain(o, row, 'inventory', () =>
      drainWithTurbine(o.brokers, input, records, setup, drainTimeout(records, 0, o.poolSize)),
    );
  } catch (error) {
    row.notRun = errorText(error);
    log(`inventory: ${row.notRun}`);
  } finally {
    await dropTopics(o.brokers, [input, `${input}.dlq`]);
  }
  report.inventory.throughput = row;
  if (row.perSec !== null) {
    report.inventory.latency = (await latencyAt(o, 'inventory (Avro)', 0, row.perSec / 2, setup, INVENTORY_LOAD)).row;
  }
}

async function scaling(o: Options, report: BenchReport): Promise<void> {
  const w = SCALING_W;
  const records = countFor(o, w);
  const input = randomTopic('scaling');
  log(`scaling W = ${w} µs: filling ${input} with ${fmt(records)} records...`);
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, o.poolSize],
    [2, 1],
    [2, o.poolSize],
  ];
  try {
    await fillTopic(o.brokers, input, records, SPIN_LOAD);
    for (const [instances, pool] of shapes) {
      const reuse = report.cost.find(
        (r) => r.w === w && r.order === 'partition' && r.threads === pool && instances === 1 && r.perSec !== null,
      );
      if (reuse) {
        report.scaling.push({ ...reuse, system: 'turbine' });
        continue;
      }
      const row = newRow('turbine', 'partition', w, pool, instances, records);
      await repeatDrain(o, row, `scaling ${instances} instance(s) × pool ${pool}`, () =>
        drainWithTurbine(
          o.brokers,
          input,
          records,
          spinSetup(o, w, 'partition', pool, instances),
          drainTimeout(records, w, pool),
        ),
      );
      report.scaling.push(row);
    }
  } catch (error) {
    log(`scaling: ${errorText(error)}`);
  } finally {
    await dropTopics(o.brokers, [input, `${input}.dlq`]);
  }
}

function adaptiveAvailable(): boolean {
  try {
    const help = execFileSync(process.execPath, [join(ROOT, 'bin', 'turbine.js'), 'run', '--help'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    return help.includes('--batch-target-ms');
  } catch {
    return false;
  }
}

async function adaptive(o: Options, report: BenchReport): Promise<void> {
  if (!adaptiveAvailable()) {
    report.adaptive = {
      available: false,
      note: '`turbine run --help` does not list --batch-target-ms (adaptive batching is not in this build).',
      rows: [],
    };
    log('adaptive batching: not run (no --batch-target-ms in this build)');
    return;
  }
  const configs: Array<{ name: string; args: string[] }> = [
    { name: 'adaptive (default target)', args: [] },
    { name: 'fixed 500 records', args: ['--batch-target-ms', '0', '--batch-max-records', '500'] },
    { name: 'fixed 50 records', args: ['--batch-target-ms', '0', '--batch-max-records', '50'] },
  ];
  // Shorter than the cost-curve latency runs: twelve of them have to fit the time budget.
  const adaptiveS = Math.min(o.latencySeconds, 6);
  report.adaptive = {
    available: true,
    note: `Latency runs as in section 1 (${adaptiveS} s each, partition order, pool ${o.poolSize}) at 20% and 80% of the peak at that W (the cost-curve median, or pool × 10⁶/W when W was not measured). Fixed = \`--batch-target-ms 0\` with \`--batch-max-records\`.`,
    rows: [],
  };
  for (const w of o.quick ? [100] : [100, 1000]) {
    const peak =
      report.cost.find((r) => r.w === w && r.order === 'partition')?.perSec ?? (o.poolSize * 1e6) / Math.max(w, 1);
    for (const [load, share] of [
      ['low (20%)', 0.2],
      ['high (80%)', 0.8],
    ] as const) {
      for (const c of configs) {
        const setup: TurbineSetup = { ...spinSetup(o, w, 'partition'), args: c.args };
        const r = await latencyAt(o, `adaptive W=${w} ${load} ${c.name}`, w, peak * share, setup, SPIN_LOAD, adaptiveS);
        report.adaptive.rows.push({
          w,
          load,
          ratePerSec: Math.round(peak * share),
          config: c.name,
          perSec: r.deliveredPerSec,
          p50: r.row.p50,
          p99: r.row.p99,
          ...(r.row.notRun ? { notRun: r.row.notRun } : {}),
        });
      }
    }
  }
}

/** The run a section measured alone records: environment, command, counts. */
function sectionRun(o: Options): SectionRun {
  return {
    env: environment(),
    command: o.command,
    quick: o.quick,
    runs: o.runs,
    partitions: PARTITIONS,
    poolSize: o.poolSize,
  };
}

/**
 * Keyed state (issue 13): the inventory worker stateless at-least-once, stateless exactly-once
 * and stateful on one topic, the stateful one on topics of few and of very many keys as well
 * (key-overlap waits), and the restore of a large changelog.
 */
async function keyedState(o: Options): Promise<StateReport> {
  const begun = Date.now();
  const records = o.quick ? 15_000 : STATE_COUNT;
  const report: StateReport = {
    ...sectionRun(o),
    valueSize: VALUE_SIZE,
    records,
    fewKeys: STATE_FEW_KEYS,
    manyKeys: STATE_MANY_KEYS,
    mostKeys: STATE_MOST_KEYS,
    store: STATE_STORE,
    rows: [],
    restore: { fill: null, runs: [], baseline: null, storeHeap: null },
    durationMs: 0,
  };
  const row = (label: string, guarantee: StateDrainRow['guarantee'], stateful: boolean, keys: number) =>
    stateDrainRow(
      label,
      guarantee,
      stateful,
      keys,
      newRow(`turbine inventory, ${label}`, 'partition', 0, o.poolSize, 1, records),
    );
  report.rows = [
    row('stateless, at-least-once', 'at-least-once', false, STATE_MANY_KEYS),
    row('stateless, exactly-once', 'exactly-once', false, STATE_MANY_KEYS),
    row('stateful, exactly-once', 'exactly-once', true, STATE_MANY_KEYS),
    row('stateful, exactly-once', 'exactly-once', true, STATE_FEW_KEYS),
    row('stateful, exactly-once', 'exactly-once', true, STATE_MOST_KEYS),
  ];
  await drainStateRows(o, records, report.rows);
  report.restore = await measureRestore(o.brokers, o.quick ? 100_000 : RESTORE_KEYS, o.runs, o.poolSize, log);
  report.durationMs = Date.now() - begun;
  return report;
}

/**
 * Fills one topic per key count, then drains them with each row's configuration a run at a
 * time, every row in turn: on a shared machine, load that comes and goes then falls on all rows
 * of a round alike, and the ratios within a round hold up better than the medians.
 */
async function drainStateRows(o: Options, records: number, rows: StateDrainRow[]): Promise<void> {
  const inputs = new Map<number, string>();
  try {
    for (const keys of new Set(rows.map((r) => r.keys))) {
      const input = randomTopic(`state-${keys}`);
      inputs.set(keys, input);
      log(`state: filling ${input} with ${fmt(records)} JSON stock movements over ${fmt(keys)} keys...`);
      await fillTopic(o.brokers, input, records, { format: 'json', keys });
    }
    for (let run = 1; run <= o.runs; run++) {
      for (const row of rows) {
        const flags = stateFlags(row.guarantee, row.stateful);
        const input = inputs.get(row.keys)!;
        await repeatDrain(
          o,
          row.throughput,
          `state ${row.label}, ${fmt(row.keys)} keys`,
          async () => {
            const timeout = drainTimeout(records, 0, o.poolSize);
            const r = await drainInventory(o.brokers, input, records, o.poolSize, flags, timeout);
            if (r.batchesDispatched !== null) row.batchesDispatched.push(r.batchesDispatched);
            if (r.batchesDelayed !== null) row.batchesDelayed.push(r.batchesDelayed);
            if (r.changelogRecords !== null) row.changelogRecords.push(r.changelogRecords);
            return r;
          },
          run,
        );
      }
    }
  } catch (error) {
    for (const row of rows) row.throughput.notRun ??= errorText(error);
    log(`state: ${errorText(error)}`);
  } finally {
    const topics = [...inputs.values()];
    await dropTopics(o.brokers, [...topics, ...topics.map((t) => `${t}.dlq`)]);
  }
}

/**
 * Real workloads (issue 14): for images, then reviews, one topic filled by loadgen, drained by
 * Turbine, the KafkaJS + Piscina peer and the bare loop a run at a time, all three in turn.
 */
async function realWorkloads(o: Options): Promise<WorkloadsReport> {
  const begun = Date.now();
  const report: WorkloadsReport = {
    ...sectionRun(o),
    results: [],
    durationMs: 0,
  };
  for (const workload of ['image', 'text'] as const) report.results.push(await drainWorkloadRounds(o, workload));
  report.durationMs = Date.now() - begun;
  return report;
}

async function drainWorkloadRounds(o: Options, workload: WorkloadName): Promise<WorkloadResult> {
  const records = o.quick ? WORKLOAD_COUNTS[workload].quick : WORKLOAD_COUNTS[workload].full;
  const spec = WORKLOAD_SPECS[workload];
  const result: WorkloadResult = {
    workload,
    worker: relativeToRoot(spec.worker),
    valueFormat: spec.valueFormat,
    records,
    seed: WORKLOAD_SEED,
    corruptRate: WORKLOAD_CORRUPT_RATE,
    corrupt: 0,
    inputBytes: 0,
    fillPerSec: null,
    rows: WORKLOAD_SYSTEMS.map((system) => ({ system, threads: system === 'bare-loop' ? 1 : o.poolSize, runs: [] })),
  };
  const input = randomTopic(`workload-${workload}`);
  // A safety net, not a measurement: a busy machine may get 30 images/s out of the bare loop.
  const timeoutMs = 120_000 + records * (workload === 'image' ? 40 : 1);
  try {
    log(`workloads: filling ${input} with ${fmt(records)} ${workload} values (seed ${WORKLOAD_SEED})...`);
    const fill = await fillWorkload(o.brokers, input, workload, records, WORKLOAD_SEED, WORKLOAD_CORRUPT_RATE);
    result.inputBytes = fill.valueBytes;
    result.corrupt = fill.corrupt;
    result.fillPerSec = Math.round(fill.ratePerSec);
    log(`workloads: ${(fill.valueBytes / 1e6).toFixed(1)} MB at ${fmt(fill.ratePerSec)} records/s`);
    for (let run = 1; run <= o.runs; run++) {
      for (const row of result.rows) {
        // The first failure ends a row: its runs stay the first rounds (roundRatio pairs them by index).
        if (row.notRun) continue;
        const label = `workloads ${workload} ${row.system} run ${run}/${o.runs}`;
        try {
          const r = await drainWorkload(row.system, {
            brokers: o.brokers,
            input,
            records,
            inputBytes: fill.valueBytes,
            workload,
            threads: row.threads,
            timeoutMs,
          });
          row.runs.push(r);
          log(
            `${label}: ${fmt(r.perSec)} records/s, ${r.mbPerSec.toFixed(1)} MB/s, ${fmt(r.check.sources)} outputs checked${r.cpu ? `, process ${(r.cpu.cores.main + r.cpu.cores.workers + r.cpu.cores.librdkafka).toFixed(2)} cores (main ${r.cpu.cores.main.toFixed(2)})` : ''}`,
          );
        } catch (error) {
          row.notRun = errorText(error);
          log(`${label} failed: ${row.notRun}`);
        }
      }
    }
  } catch (error) {
    result.notRun = errorText(error);
    log(`workloads ${workload}: ${result.notRun}`);
  } finally {
    await dropTopics(o.brokers, [input, `${input}.dlq`]);
  }
  return result;
}

/** The newer of two saved sections (by their run's date), or null. */
function newer<T extends { env: { date: string } }>(a: T | null | undefined, b: T | null | undefined): T | null {
  if (!a || !b) return a ?? b ?? null;
  return a.env.date >= b.env.date ? a : b;
}

/** A section saved in benchmarks/ by its last run, or null. */
function readSaved<T>(name: string): T | null {
  const file = join(ROOT, 'benchmarks', name);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function readState(): StateReport | null {
  return readSaved<StateReport>(STATE_FILE);
}

function readWorkloads(): WorkloadsReport | null {
  return readSaved<WorkloadsReport>(WORKLOADS_FILE);
}

function readContainer(): ContainerReport | null {
  return readSaved<ContainerReport>(CONTAINER_FILE);
}

function readSoak(): SoakSummary | null {
  return readSaved<SoakSummary>('soak.json');
}

function writeOutputs(o: Options, report: BenchReport): void {
  mkdirSync(o.outDir, { recursive: true });
  if (report.state && o.sections.includes('state'))
    writeFileSync(join(o.outDir, STATE_FILE), `${JSON.stringify(report.state, null, 2)}\n`);
  if (report.workloads && o.sections.includes('workloads'))
    writeFileSync(join(o.outDir, WORKLOADS_FILE), `${JSON.stringify(report.workloads, null, 2)}\n`);
  if (report.container && o.sections.includes('container'))
    writeFileSync(join(o.outDir, CONTAINER_FILE), `${JSON.stringify(report.container, null, 2)}\n`);
  if (o.outDir === join(ROOT, 'benchmarks') && o.sections.every((s) => ALONE_SECTIONS.includes(s))) {
    // Sections measured alone: the rest of RESULTS.md stays as the last full run left it.
    const file = join(o.outDir, 'RESULTS.md');
    let doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (report.state && o.sections.includes('state')) doc = replaceStateSection(doc, renderStateSection(report.state));
    if (report.workloads && o.sections.includes('workloads')) doc = replaceWorkloadsSection(doc, report.workloads);
    if (report.container && o.sections.includes('container')) doc = replaceContainerSection(doc, report.container);
    writeFileSync(file, doc);
    log(`wrote the ${o.sections.join(' and ')} section(s) of ${file}`);
    return;
  }
  writeFileSync(join(o.outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(o.outDir, CHART_FILES.throughput), throughputChart(report));
  writeFileSync(join(o.outDir, CHART_FILES.latency), latencyChart(report));
  writeFileSync(join(o.outDir, 'RESULTS.md'), renderResults(report));
  if (o.sections.includes('scaling') && report.scaling.length > 0) {
    const section = renderScalingSection(report);
    const doc = join(ROOT, 'docs', 'scaling.md');
    if (o.outDir === join(ROOT, 'benchmarks') && existsSync(doc)) {
      writeFileSync(doc, updateGeneratedSection(readFileSync(doc, 'utf8'), section));
    } else {
      writeFileSync(join(o.outDir, 'scaling-section.md'), section);
    }
  }
  log(`wrote ${join(o.outDir, 'RESULTS.md')}`);
}

async function main(): Promise<void> {
  const o = parseOptions();
  if (o.render !== undefined) {
    const saved = JSON.parse(readFileSync(o.render, 'utf8')) as BenchReport;
    const report = {
      ...saved,
      soak: readSoak() ?? saved.soak,
      state: newer(saved.state, readState()),
      workloads: newer(saved.workloads, readWorkloads()),
      container: newer(saved.container, readContainer()),
    };
    writeOutputs({ ...o, sections: report.settings.sections }, report);
    return;
  }
  if (!existsSync(SPIN_WORKER)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  const stopBroker = await ensureBenchBroker(o.brokers, log);
  cleanUpOnInterrupt(o.brokers, log);
  try {
    await measure(o);
  } finally {
    await stopBroker();
  }
}

async function measure(o: Options): Promise<void> {
  const report: BenchReport = {
    env: environment(),
    settings: {
      quick: o.quick,
      runs: o.runs,
      partitions: PARTITIONS,
      valueSize: VALUE_SIZE,
      poolSize: o.poolSize,
      sections: o.sections,
      command: o.command,
    },
    loadgen: [],
    cost: [],
    costLatency: [],
    overhead: [],
    peers: [],
    inventory: { throughput: null, latency: null },
    scaling: [],
    adaptive: { available: false, note: 'not run', rows: [] },
    soak: readSoak(),
    // A run without the section shows the last one measured into benchmarks/.
    state: o.sections.includes('state') ? null : readState(),
    workloads: o.sections.includes('workloads') ? null : readWorkloads(),
    container: o.sections.includes('container') ? null : readContainer(),
    durationMs: 0,
  };
  for (const [k, v] of Object.entries(report.env)) log(`${k}: ${v}`);
  if (o.sections.includes('env')) {
    for (const [valueSize, full] of [
      [100, 1_000_000],
      [1024, 300_000],
    ] as const) {
      const records = o.quick ? full / 5 : full;
      try {
        const perSec = await loadgenCeiling(o.brokers, records, valueSize);
        report.loadgen.push({ valueSize, records, perSec: Math.round(perSec) });
        log(`load generator ceiling at ${valueSize} B: ${fmt(perSec)} records/s`);
      } catch (error) {
        report.loadgen.push({ valueSize, records, perSec: null, notRun: errorText(error) });
        log(`load generator ceiling at ${valueSize} B failed: ${errorText(error)}`);
      }
    }
  }
  // Results are written after each part too, so an interrupted run still leaves what it measured.
  const checkpoint = () => {
    report.durationMs = Date.now() - started;
    writeOutputs(o, report);
  };
  await spinCurve(o, report, checkpoint);
  if (o.sections.includes('inventory')) {
    await inventory(o, report);
    checkpoint();
  }
  if (o.sections.includes('scaling')) {
    await scaling(o, report);
    checkpoint();
  }
  if (o.sections.includes('adaptive')) {
    await adaptive(o, report);
    checkpoint();
  }
  if (o.sections.includes('state')) {
    report.state = await keyedState(o);
    checkpoint();
  }
  if (o.sections.includes('workloads')) {
    report.workloads = await realWorkloads(o);
    checkpoint();
  }
  if (o.sections.includes('container')) {
    const { brokers, quick, runs, poolSize, command } = o;
    report.container = await measureContainer({ brokers, quick, runs, poolSize, command, env: report.env, log });
  }
  checkpoint();
  log(`done in ${(report.durationMs / 60_000).toFixed(1)} min`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
