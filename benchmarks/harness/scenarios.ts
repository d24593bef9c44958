/**
 * The measurements a benchmark run is made of: fill a topic, drain it with Turbine processes, a
 * peer or the bare loop, and time an open-loop load end to end. Each leaves no topic behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { deleteTopics, ensureTopics } from '../../src/admin/topics.js';
import { type Bucket, bucketQuantile } from '../../src/cli/histogram-quantile.js';
import { brokerPort, type CpuBreakdown, cpuBreakdown, findBrokerPid, readCpuSnapshot } from './cpu-accounting.js';
import { measureLatencies } from './latency-reader.js';
import { countPeerOutputs, type DeliveredCount, deliveredPerSec, peerWindow } from './peer-outputs.js';
import {
  bucketsBetween,
  EngineProcess,
  killChildren,
  ROOT,
  runJsonCommand,
  runLoadgenProcess,
  timeDrain,
} from './processes.js';
import type { EngineLatencySplit, LatencyRow, Order } from './report.js';
import { summarizeLatencies } from './statistics.js';

export const PARTITIONS = 12;
export const VALUE_SIZE = 1024;
export const SPIN_WORKER = join(ROOT, 'dist', 'workers', 'spin.js');
export const INVENTORY_WORKER = join(ROOT, 'dist', 'workers', 'inventory.js');
export const AVRO_SCHEMA = join(ROOT, 'workers', 'schemas', 'stock-movement.avsc');
/** The peers' entry point; TURBINE_BENCH_PEER_SCRIPT points elsewhere (a stub while developing). */
const PEER_SCRIPT = process.env.TURBINE_BENCH_PEER_SCRIPT ?? join(ROOT, 'benchmarks', 'peers', 'run-peer.sh');
const BARE_LOOP = join(ROOT, 'dist', 'benchmarks', 'harness', 'bare-loop-process.js');

export function randomName(prefix: string): string {
  return `bench-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Topics made by this run and not dropped yet (an interrupted run deletes them). */
const liveTopics = new Set<string>();

/** A fresh topic name, remembered until dropTopics deletes it. */
export function randomTopic(prefix: string): string {
  const name = randomName(prefix);
  liveTopics.add(name);
  liveTopics.add(`${name}.dlq`);
  return name;
}

/** Deletes topics, ignoring errors (they may never have been created). */
export async function dropTopics(brokers: string, names: string[]): Promise<void> {
  await deleteTopics(brokers, names).catch(() => undefined);
  for (const name of names) liveTopics.delete(name);
}

/**
 * On SIGINT / SIGTERM: kill every child process (engines, load generators, peers) and delete every
 * topic this run made, then exit 130, so an interrupted run leaves nothing behind.
 */
export function cleanUpOnInterrupt(brokers: string, log: (message: string) => void): void {
  const handler = (signal: string) => {
    log(`${signal}: stopping child processes and deleting ${liveTopics.size} topic(s)...`);
    killChildren();
    void dropTopics(brokers, [...liveTopics]).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => handler('SIGINT'));
  process.once('SIGTERM', () => handler('SIGTERM'));
}

/** What the load generator writes: JSON stock movements of VALUE_SIZE bytes, or Avro ones. */
export interface LoadShape {
  format: 'json' | 'avro' | 'raw';
  keys: number;
}

export const SPIN_LOAD: LoadShape = { format: 'json', keys: 1000 };
export const INVENTORY_LOAD: LoadShape = { format: 'avro', keys: 500 };

function loadArgs(brokers: string, topic: string, shape: LoadShape, valueSize = VALUE_SIZE): string[] {
  return [
    '--brokers',
    brokers,
    '--topic',
    topic,
    '--partitions',
    String(PARTITIONS),
    '--format',
    shape.format,
    '--keys',
    String(shape.keys),
    // Avro values have the schema's size; json and raw ones are padded to valueSize.
    ...(shape.format === 'avro' ? [] : ['--value-size', String(valueSize)]),
  ];
}

/** Creates and fills an input topic as fast as the load generator goes. */
export async function fillTopic(brokers: string, topic: string, count: number, shape: LoadShape): Promise<void> {
  const summary = await runLoadgenProcess([...loadArgs(brokers, topic, shape), '--count', String(count)]);
  if (summary.acked !== count) throw new Error(`filling ${topic}: ${summary.acked} of ${count} acknowledged`);
}

/** The load generator's ceiling: records/s as fast as it goes, into a topic deleted afterwards. */
export async function loadgenCeiling(brokers: string, count: number, valueSize: number): Promise<number> {
  const topic = randomTopic('loadgen');
  try {
    const raw: LoadShape = { format: 'raw', keys: 1000 };
    const summary = await runLoadgenProcess([...loadArgs(brokers, topic, raw, valueSize), '--count', String(count)]);
    return summary.ratePerSec;
  } finally {
    await dropTopics(brokers, [topic]);
  }
}

export interface TurbineSetup {
  worker: string;
  poolSize: number;
  ordering: Order;
  instances: number;
  args?: string[];
  env?: Record<string, string>;
}

/** One drain's figures: records/s, peak RSS and where the cores went (null when not sampled). */
export interface DrainRun {
  perSec: number;
  peakRssMb: number | null;
  cpu: CpuBreakdown | null;
}

/** One drain of `input` (holding `records`) by fresh Turbine processes in a fresh group. */
export async function drainWithTurbine(
  brokers: string,
  input: string,
  records: number,
  setup: TurbineSetup,
  timeoutMs: number,
): Promise<DrainRun> {
  const output = randomTopic('out');
  const group = randomName('group');
  const engines: EngineProcess[] = [];
  try {
    const options = {
      brokers,
      input,
      output,
      group,
      worker: setup.worker,
      poolSize: setup.poolSize,
      ordering: setup.ordering,
      args: setup.args ?? [],
      env: setup.env ?? {},
    };
    // Started together, so a second instance joins while the first begins (cooperative rebalance).
    engines.push(...(await Promise.all(Array.from({ length: setup.instances }, () => EngineProcess.start(options)))));
    const result = await timeDrain(engines, records, timeoutMs, findBrokerPid(ROOT, brokerPort(brokers)));
    return { perSec: result.perSec, peakRssMb: result.peakRssMb, cpu: result.cpu };
  } finally {
    await Promise.all(engines.map((e) => e.stop()));
    await dropTopics(brokers, [output]);
  }
}

/** One drain by the bare node-rdkafka loop in its own process. */
export async function drainWithBareLoop(
  brokers: string,
  input: string,
  records: number,
  w: number,
  timeoutMs: number,
): Promise<DrainRun> {
  const output = randomTopic('out');
  try {
    await ensureTopics(brokers, [{ name: output, partitions: PARTITIONS }]);
    const result = await runJsonCommand(
      process.execPath,
      [BARE_LOOP, '--brokers', brokers, '--input', input, '--output', output, '--group', randomName('bare')].concat([
        '--spin-us',
        String(w),
        '--count',
        String(records),
      ]),
      timeoutMs,
    );
    if (!result.ok || typeof result.json?.perSec !== 'number') throw new Error(`bare loop: ${result.reason}`);
    return {
      perSec: result.json.perSec,
      peakRssMb: (result.json.peakRssMb as number | undefined) ?? null,
      cpu: (result.json.cpu as CpuBreakdown | undefined) ?? null,
    };
  } finally {
    await dropTopics(brokers, [output]);
  }
}

export interface PeerRun {
  /** Source records with an output appended inside the peer's timed window, per second of it. */
  perSec: number | null;
  /** The peer's own records/s, for comparison (the harness does not use it). */
  claimedPerSec?: number;
  /** What its output topic held, counted against the peer's window. */
  delivered?: DeliveredCount;
  /** Threads (or processes) the peer says it used, when it says. */
  threads?: number;
  notRun?: string;
}

/**
 * One drain by a peer through the run-peer.sh contract; failures become a "not run" reason.
 * records/s comes from the output topic (benchmarks/harness/peer-outputs.ts): the source records
 * whose output the broker appended between the peer's first consumed record and its C-th
 * acknowledgement, the same thing for every peer, whatever the peer counts itself.
 */
export async function drainWithPeer(
  brokers: string,
  peer: string,
  input: string,
  records: number,
  o: { w: number; threads: number; order: Order; timeoutMs: number },
): Promise<PeerRun> {
  if (!existsSync(PEER_SCRIPT)) return { perSec: null, notRun: `${PEER_SCRIPT.replace(`${ROOT}/`, '')} is missing` };
  const output = randomTopic('out');
  try {
    // LogAppendTime: each output's timestamp is when the broker appended it, on this host's clock.
    await ensureTopics(brokers, [
      { name: output, partitions: PARTITIONS, config: { 'message.timestamp.type': 'LogAppendTime' } },
    ]);
    const args = [PEER_SCRIPT, peer, '--brokers', brokers, '--input', input, '--output', output]
      .concat(['--group', randomName(`peer-${peer}`), '--spin-us', String(o.w), '--threads', String(o.threads)])
      .concat(['--order', o.order, '--count', String(records)]);
    const result = await runJsonCommand('bash', args, o.timeoutMs);
    if (!result.ok) return { perSec: null, notRun: result.reason ?? 'failed' };
    const claimed = result.json?.perSec;
    if (typeof claimed !== 'number' || !(claimed > 0)) return { perSec: null, notRun: 'no perSec in its JSON line' };
    const done = result.json?.records;
    if (typeof done === 'number' && done < records)
      return { perSec: null, notRun: `processed ${done} of ${records} records` };
    const window = peerWindow(result.json);
    if (typeof window === 'string') return { perSec: null, notRun: window };
    const counted = await countPeerOutputs(brokers, output, window.lastAckedAtMs);
    const delivered = deliveredPerSec(counted, window, records);
    if ('notRun' in delivered) return { perSec: null, notRun: delivered.notRun, delivered: counted };
    const threads = result.json?.threads;
    return {
      perSec: delivered.perSec,
      claimedPerSec: claimed,
      delivered: counted,
      ...(typeof threads === 'number' ? { threads } : {}),
    };
  } finally {
    await dropTopics(brokers, [output]);
  }
}

export interface LatencyRunOptions {
  label: string;
  w: number;
  ratePerSec: number;
  durationS: number;
  setup: TurbineSetup;
  load: LoadShape;
}

export interface LatencyRunResult {
  row: LatencyRow;
  /** Outputs per second, first to last output timestamp. */
  deliveredPerSec: number | null;
}

/**
 * Load offered before the measured window and left out of it: a freshly started engine compiles
 * its hot paths and its batch sizes adapt in the first seconds, which is not the steady state the
 * latency figures describe.
 */
export const LATENCY_WARMUP_S = 3;
/** The engine's own latency histograms, read at the warm-up's end and after the load. */
const SPLIT_HISTOGRAMS = ['turbine_consume_delay_seconds', 'turbine_end_to_end_latency_seconds'] as const;

/** p50/p99 (ms) of the observations the engine made between two scrapes, per histogram. */
function engineSplit(
  atStart: Map<string, Bucket[]> | null,
  atEnd: Map<string, Bucket[]> | null,
): EngineLatencySplit | undefined {
  if (!atStart || !atEnd) return undefined;
  const quantiles = (name: string) => {
    const buckets = bucketsBetween(atStart.get(name) ?? [], atEnd.get(name) ?? []);
    const ms = (q: number) => {
      const v = bucketQuantile(buckets, q);
      return v === null ? null : Math.round(v * 1000);
    };
    return { p50: ms(0.5), p99: ms(0.99) };
  };
  return {
    consumed: quantiles('turbine_consume_delay_seconds'),
    acknowledged: quantiles('turbine_end_to_end_latency_seconds'),
  };
}

/**
 * One engine process on fresh topics; the load generator offers `ratePerSec` for `durationS` on an
 * open-loop schedule; then both topics are read back and each output paired with its input.
 */
export async function latencyRun(brokers: string, o: LatencyRunOptions): Promise<LatencyRunResult> {
  const input = randomTopic('lat-in');
  const output = randomTopic('lat-out');
  let engine: EngineProcess | undefined;
  try {
    await ensureTopics(brokers, [
      { name: input, partitions: PARTITIONS },
      { name: output, partitions: PARTITIONS, config: { 'message.timestamp.type': 'LogAppendTime' } },
    ]);
    engine = await EngineProcess.start({
      brokers,
      input,
      output,
      group: randomName('lat'),
      worker: o.setup.worker,
      poolSize: o.setup.poolSize,
      ordering: o.setup.ordering,
      args: o.setup.args ?? [],
      env: o.setup.env ?? {},
    });
    const e = engine;
    await e.waitFor(() => e.ready(), 60_000, 'group assignment');
    // CPU from the load's start to the engine's last record; the load generator is inside "rest".
    const brokerPid = findBrokerPid(ROOT, brokerPort(brokers));
    const pids = e.pid === undefined ? [] : [e.pid];
    const cpuStart = readCpuSnapshot(pids, brokerPid);
    const loadStart = Date.now();
    let atWarmupEnd: ReturnType<EngineProcess['histograms']> = Promise.resolve(null);
    const warmupTimer = setTimeout(() => {
      atWarmupEnd = e.histograms(SPLIT_HISTOGRAMS);
    }, LATENCY_WARMUP_S * 1000);
    const summary = await runLoadgenProcess([
      ...loadArgs(brokers, input, o.load),
      '--rate',
      String(Math.max(1, Math.round(o.ratePerSec))),
      '--duration',
      String(o.durationS + LATENCY_WARMUP_S),
    ]).finally(() => clearTimeout(warmupTimer));
    await e.waitFor(
      async () => {
        const s = await e.stats();
        return s !== null && s.consumed >= summary.acked && s.inFlightRecords === 0;
      },
      120_000,
      'the engine to finish the load',
    );
    const cpu = cpuBreakdown(cpuStart, readCpuSnapshot(pids, brokerPid), summary.acked, cpus().length);
    const split = engineSplit(await atWarmupEnd, await e.histograms(SPLIT_HISTOGRAMS));
    await engine.stop();
    const samples = await measureLatencies(brokers, input, output, loadStart + LATENCY_WARMUP_S * 1000);
    const stats = summarizeLatencies(samples.latencies);
    const span = samples.lastOutputMs - samples.firstOutputMs;
    return {
      row: {
        label: o.label,
        w: o.w,
        ratePerSec: Math.round(o.ratePerSec),
        durationS: o.durationS,
        count: stats.count,
        p50: stats.p50,
        p99: stats.p99,
        p999: stats.p999,
        max: stats.max,
        cpu,
        ...(split ? { engine: split } : {}),
        ...(samples.unmatched > 0 ? { notRun: `${samples.unmatched} outputs without lineage headers` } : {}),
      },
      deliveredPerSec: span > 0 ? Math.round((samples.outputs / span) * 1000) : null,
    };
  } finally {
    await engine?.stop();
    await dropTopics(brokers, [input, output, `${input}.dlq`]);
  }
}
