/**
 * Main-thread CPU per record, for A/B comparisons of engine builds on a shared machine where
 * wall-clock throughput is noisy. Fills one input topic once, then drains it with each system in
 * turn (a fresh group and output topic per run) and reports, per run, the main thread's CPU time
 * per record (utime + stime of the process's main thread, from /proc/self/task/<pid>/stat), the
 * whole process's CPU per record (process.cpuUsage: main + workers + librdkafka threads), and
 * records/s.
 *   node dist/benchmarks/main-thread-cpu.js [--records 100000] [--w 0] [--runs 3]
 *        [--systems bare,turbine,turbine-stock] [--dist /work/main/dist] [--flag name=value ...]
 *        [--input topic]
 * `--dist` names another build's dist/ directory whose engine is measured as `turbine@<dist>`;
 * `turbine-stock` is this build with TURBINE_NATIVE_BATCH=0 (node-rdkafka's stock per-message
 * calls), run in a child process since the path is chosen when the engine's modules load;
 * `--flag` passes engine options (batchTargetMs=0, lineageHeaders=false...).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { deleteTopics, ensureTopics } from '../src/admin/topics.js';
import { runLoadgen } from '../src/cli/loadgen.js';
import { runBareLoop } from './peers/bare-loop.js';

const ROOT = join(__dirname, '..', '..');
const BROKERS = process.env.TURBINE_BENCH_BROKERS ?? '127.0.0.1:9092';
/** USER_HZ: /proc reports CPU times in clock ticks of 10 ms on Linux. */
const TICK_MS = 10;

interface Sample {
  mainMs: number;
  processMs: number;
  at: number;
}

function sample(): Sample {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const usage = process.cpuUsage();
  return { mainMs: ticks * TICK_MS, processMs: (usage.user + usage.system) / 1000, at: performance.now() };
}

interface HistogramLike {
  get(): Promise<{ values: Array<{ metricName?: string; value: number }> }>;
}

interface EngineLike {
  metrics: { batchSize: HistogramLike; taskDuration: HistogramLike };
  start(): Promise<void>;
  close(): Promise<unknown>;
  snapshot(): {
    consumed: number;
    inFlightRecords: number;
    produced: number;
    workerTasks: number;
    workerTaskBatches: number;
  };
}

const quiet = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runTurbine(
  dist: string,
  input: string,
  records: number,
  w: number,
  flags: Record<string, string>,
): Promise<{
  before: Sample;
  after: Sample;
  batches: number;
  meanBatch: number;
  meanTaskMs: number;
  batchesPerTask: number;
}> {
  const id = `cpu-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const { loadConfig } = require(join(dist, 'src', 'config', 'load.js')) as typeof import('../src/config/load.js');
  const { Engine } = require(join(dist, 'src', 'engine.js')) as { Engine: new (...args: unknown[]) => EngineLike };
  const { createLogger } = require(join(dist, 'src', 'observability', 'logger.js')) as {
    createLogger: (level: string) => unknown;
  };
  const output = `${id}-out`;
  const config = loadConfig({
    flags: {
      brokers: BROKERS,
      input,
      output,
      group: id,
      worker: join(dist, 'workers', 'spin.js'),
      poolSize: 2,
      metricsPort: 0,
      logLevel: 'warn',
      deadLetterTopic: `${id}-dlq`,
      ...flags,
    },
  });
  const engine = new Engine(config, { logger: createLogger('warn'), workerEnv: { SPIN_US: String(w) } });
  await engine.start();
  while (engine.snapshot().consumed === 0) await sleep(1);
  const before = sample();
  while (engine.snapshot().consumed < records || engine.snapshot().inFlightRecords > 0) await sleep(5);
  const after = sample();
  const sumCount = async (h: HistogramLike) => {
    const v = (await h.get()).values;
    const sum = v.find((x) => x.metricName?.endsWith('_sum'))?.value ?? 0;
    const count = v.find((x) => x.metricName?.endsWith('_count'))?.value ?? 0;
    return { sum, count };
  };
  const size = await sumCount(engine.metrics.batchSize);
  const task = await sumCount(engine.metrics.taskDuration);
  const { workerTasks, workerTaskBatches } = engine.snapshot();
  await engine.close();
  await deleteTopics(BROKERS, [output, `${id}-dlq`]).catch(() => undefined);
  return {
    before,
    after,
    batches: size.count,
    meanBatch: Math.round(size.sum / Math.max(1, size.count)),
    meanTaskMs: Number(((task.sum * 1000) / Math.max(1, task.count)).toFixed(2)),
    batchesPerTask: Number((workerTaskBatches / Math.max(1, workerTasks)).toFixed(2)),
  };
}

async function runBare(input: string, records: number, w: number): Promise<{ before: Sample; after: Sample }> {
  const id = `cpu-bare-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const output = `${id}-out`;
  await ensureTopics(BROKERS, [{ name: output, partitions: 6 }]);
  let before: Sample | undefined;
  await runBareLoop({
    brokers: BROKERS,
    input,
    output,
    group: id,
    records,
    spinUs: w,
    onFirstRecord: () => {
      before = sample();
    },
  });
  const after = sample();
  await deleteTopics(BROKERS, [output]).catch(() => undefined);
  return { before: before!, after };
}

/** One Turbine run of this build in a child process with the native batch path off; its JSON line. */
function runStockChild(
  input: string,
  records: number,
  w: number,
  flags: Record<string, string>,
): Record<string, unknown> {
  const args = [__filename, '--input', input, '--records', String(records), '--w', String(w), '--runs', '1'];
  for (const [k, v] of Object.entries(flags)) args.push('--flag', `${k}=${v}`);
  const out = execFileSync(process.execPath, [...args, '--systems', 'turbine'], {
    env: { ...process.env, TURBINE_NATIVE_BATCH: '0' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      w: { type: 'string' },
      runs: { type: 'string' },
      systems: { type: 'string' },
      dist: { type: 'string', multiple: true },
      flag: { type: 'string', multiple: true },
      input: { type: 'string' },
    },
  });
  const records = Number(values.records ?? 100_000);
  const w = Number(values.w ?? 0);
  const runs = Number(values.runs ?? 3);
  const systems = (values.systems ?? 'bare,turbine').split(',');
  const dists = values.dist ?? [];
  const flags: Record<string, string> = {};
  for (const f of values.flag ?? []) {
    const [k, ...v] = f.split('=');
    flags[k!] = v.join('=');
  }
  // --input: a topic filled beforehand (kept), so a --cpu-prof of this process shows no load generator.
  const input = values.input ?? `cpu-bench-${Date.now()}-in`;
  if (!values.input) {
    await runLoadgen(
      { brokers: BROKERS, topic: input, count: records, partitions: 6, valueSize: 100 },
      { stdout: quiet(), stderr: quiet() },
    );
  }
  const plan: Array<{ name: string; run: () => Promise<{ before: Sample; after: Sample } & Record<string, unknown>> }> =
    [];
  const children: Array<{ name: string; run: () => Record<string, unknown> }> = [];
  for (const s of systems) {
    if (s === 'turbine-stock')
      children.push({ name: 'turbine-stock', run: () => runStockChild(input, records, w, flags) });
    else if (s === 'bare') plan.push({ name: 'bare', run: () => runBare(input, records, w) });
    else if (s === 'turbine') {
      plan.push({ name: 'turbine', run: () => runTurbine(join(ROOT, 'dist'), input, records, w, flags) });
      for (const d of dists) plan.push({ name: `turbine@${d}`, run: () => runTurbine(d, input, records, w, flags) });
    }
  }
  try {
    // Interleaved (A B A B...), so drift in the machine's load hits every system alike.
    for (let i = 0; i < runs; i++) {
      for (const p of plan) {
        const { before, after, ...extra } = await p.run();
        const wallMs = after.at - before.at;
        process.stdout.write(
          `${JSON.stringify({
            system: p.name,
            w,
            records,
            flags,
            mainUsPerRecord: Number((((after.mainMs - before.mainMs) * 1000) / records).toFixed(2)),
            processUsPerRecord: Number((((after.processMs - before.processMs) * 1000) / records).toFixed(2)),
            perSec: Math.round((records / wallMs) * 1000),
            ...extra,
          })}\n`,
        );
      }
      for (const c of children) process.stdout.write(`${JSON.stringify({ ...c.run(), system: c.name })}\n`);
    }
  } finally {
    if (!values.input) await deleteTopics(BROKERS, [input]).catch(() => undefined);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
