/**
 * Spin-worker throughput by pool size, side by side in one run (the machine is shared, so the
 * ratios matter more than the absolute figures). For each W (µs of CPU per record) and pool
 * size, a fresh 6-partition topic is filled with the load generator, then one engine drains it.
 *   node dist/benchmarks/spin-pool.js [--records 100000] [--w 0,100] [--pools 1,2]
 * In-process engines (no separate processes, unlike benchmarks/run.ts): a quick A/B tool, and the
 * drain that benchmarks/guarantees.ts reuses. Prints a JSON line per run and writes
 * benchmarks/out/spin-pool.md (npm run bench owns benchmarks/RESULTS.md).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { deleteTopics } from '../src/admin/topics.js';
import { runLoadgen } from '../src/cli/loadgen.js';
import { loadConfig, type RawConfig } from '../src/config/load.js';
import { Engine } from '../src/engine.js';
import { createLogger } from '../src/observability/logger.js';
import { runBareLoop } from './peers/bare-loop.js';

const ROOT = join(__dirname, '..', '..');
const BROKERS = process.env.TURBINE_BENCH_BROKERS ?? '127.0.0.1:9092';

export interface Row {
  system: string;
  w: number;
  pool: number;
  records: number;
  ms: number;
  perSec: number;
  efficiency: number | null;
  peakRssMb: number;
}

const quiet = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

/** Fills a fresh topic and times one engine draining it; `flags` override the engine's options. */
export async function runOnce(w: number, pool: number, records: number, flags: RawConfig = {}): Promise<Row> {
  const id = `bench-spin-${w}-${pool}-${Date.now()}`;
  const input = `${id}-in`;
  const output = `${id}-out`;
  await runLoadgen(
    { brokers: BROKERS, topic: input, count: records, partitions: 6, valueSize: 100 },
    { stdout: quiet(), stderr: quiet() },
  );
  const config = loadConfig({
    flags: {
      brokers: BROKERS,
      input,
      output,
      group: id,
      worker: join(ROOT, 'dist', 'workers', 'spin.js'),
      poolSize: pool,
      metricsPort: 0,
      logLevel: 'warn',
      ...flags,
    },
  });
  const engine = new Engine(config, { logger: createLogger('warn'), workerEnv: { SPIN_US: String(w) } });
  await engine.start();
  let peakRss = 0;
  const rss = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  while (engine.snapshot().consumed === 0) await new Promise((r) => setTimeout(r, 2));
  const started = Date.now();
  while (engine.snapshot().consumed < records || engine.snapshot().inFlightRecords > 0) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = Date.now() - started;
  clearInterval(rss);
  await engine.close();
  await deleteTopics(BROKERS, [input, output, `${input}.dlq`]).catch(() => undefined);
  const perSec = Math.round((records / ms) * 1000);
  return {
    system: 'turbine',
    w,
    pool,
    records,
    ms,
    perSec,
    efficiency: w > 0 ? Number((perSec / (pool * (1e6 / w))).toFixed(3)) : null,
    peakRssMb: Math.round(peakRss / 2 ** 20),
  };
}

async function runBare(w: number, records: number): Promise<Row> {
  const id = `bench-bare-${w}-${Date.now()}`;
  const input = `${id}-in`;
  const output = `${id}-out`;
  await runLoadgen(
    { brokers: BROKERS, topic: input, count: records, partitions: 6, valueSize: 100 },
    { stdout: quiet(), stderr: quiet() },
  );
  const { ensureTopics } = await import('../src/admin/topics.js');
  await ensureTopics(BROKERS, [{ name: output, partitions: 6 }]);
  const ms = await runBareLoop({ brokers: BROKERS, input, output, group: id, records, spinUs: w });
  await deleteTopics(BROKERS, [input, output]).catch(() => undefined);
  const perSec = Math.round((records / ms) * 1000);
  return {
    system: 'bare node-rdkafka loop (1 thread)',
    w,
    pool: 1,
    records,
    ms: Math.round(ms),
    perSec,
    efficiency: w > 0 ? Number((perSec / (1e6 / w)).toFixed(3)) : null,
    peakRssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

export function environment(): Record<string, string> {
  const sha = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    } catch {
      return 'unknown';
    }
  })();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kafka: `Apache Kafka ${/<kafka.version>(.*)<\/kafka.version>/.exec(readFileSync(join(ROOT, 'scripts', 'kafka', 'pom.xml'), 'utf8'))?.[1] ?? '?'} (single-node KRaft, 127.0.0.1)`,
    librdkafka: `${require('node-rdkafka').librdkafkaVersion as string} (node-rdkafka)`,
    git: sha,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { records: { type: 'string' }, w: { type: 'string' }, pools: { type: 'string' }, out: { type: 'string' } },
  });
  const records = Number(values.records ?? 100_000);
  const ws = (values.w ?? '0,100').split(',').map(Number);
  const pools = (values.pools ?? '1,2').split(',').map(Number);
  const env = environment();
  process.stderr.write(`${JSON.stringify(env)}\n`);
  const rows: Row[] = [];
  for (const w of ws) {
    // Side by side in one run: the bare loop first, then Turbine at each pool size.
    const bare = await runBare(w, records);
    rows.push(bare);
    process.stdout.write(`${JSON.stringify(bare)}\n`);
    for (const pool of pools) {
      const row = await runOnce(w, pool, records);
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  }
  const lines = [
    '# Benchmark results',
    '',
    'Generated by `node dist/benchmarks/spin-pool.js`; do not edit by hand.',
    '',
    ...Object.entries(env).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Spin worker: throughput by pool size',
    '',
    `Each row drains a fresh 6-partition topic of ${records.toLocaleString('en-US')} JSON records of 100 bytes (default batch and flow settings). Efficiency = records/s ÷ (pool × 10⁶/W).`,
    '',
    'The bare loop consumes, spins W µs per record in its one thread, and produces with the same client settings, delivery reports and lineage headers; at W = 0 it is the client ceiling.',
    '',
    '| W (µs/record) | system | threads | records/s | efficiency | peak RSS (MiB) | vs bare loop |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const base = rows.find((b) => b.w === r.w && b.system !== 'turbine');
      const ratio = base ? (r.perSec / base.perSec).toFixed(2) : '–';
      return `| ${r.w} | ${r.system} | ${r.pool} | ${r.perSec.toLocaleString('en-US')} | ${r.efficiency === null ? '–' : `${(r.efficiency * 100).toFixed(0)}%`} | ${r.peakRssMb} | ${ratio}× |`;
    }),
    '',
  ];
  const out = values.out ?? join(ROOT, 'benchmarks', 'out', 'spin-pool.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, lines.join('\n'));
  process.exit(0);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
