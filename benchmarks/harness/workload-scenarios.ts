/**
 * The real workloads (issue 14): a topic filled once by `turbine loadgen --format image|text`,
 * drained by Turbine, by the KafkaJS + Piscina peer and by the bare node-rdkafka loop, all three
 * running the same compiled worker function (dist/workers/thumbnail.js or text.js); after each
 * drain the output topic is read back and checked (workload-outputs.ts).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureTopics } from '../../src/admin/topics.js';
import { brokerPort, type CpuBreakdown, findBrokerPid } from './cpu-accounting.js';
import { deliveredPerSec, type PeerWindow, peerWindow } from './peer-outputs.js';
import { EngineProcess, ROOT, runJsonCommand, runLoadgenProcess, timeDrain } from './processes.js';
import type { OutputCheck, WorkloadName, WorkloadRun, WorkloadSystem } from './report.js';
import { dropTopics, PARTITIONS, randomName, randomTopic } from './scenarios.js';
import { outputProblem, readOutputs } from './workload-outputs.js';

export interface WorkloadSpec {
  worker: string;
  /** Both the input and the output format: raw bytes for images, JSON for reviews. */
  valueFormat: 'raw' | 'json';
}

export const WORKLOAD_SPECS: Record<WorkloadName, WorkloadSpec> = {
  image: { worker: join(ROOT, 'dist', 'workers', 'thumbnail.js'), valueFormat: 'raw' },
  text: { worker: join(ROOT, 'dist', 'workers', 'text.js'), valueFormat: 'json' },
};

const PEER_SCRIPT = process.env.TURBINE_BENCH_PEER_SCRIPT ?? join(ROOT, 'benchmarks', 'peers', 'run-peer.sh');
const BARE_LOOP = join(ROOT, 'dist', 'benchmarks', 'harness', 'bare-loop-process.js');

export const relativeToRoot = (path: string) => relative(ROOT, path);

export interface WorkloadFill {
  acked: number;
  valueBytes: number;
  corrupt: number;
  ratePerSec: number;
}

/** Creates and fills `topic` with `count` generated images or reviews (same seed, same values). */
export async function fillWorkload(
  brokers: string,
  topic: string,
  workload: WorkloadName,
  count: number,
  seed: number,
  corruptRate: number,
): Promise<WorkloadFill> {
  const summary = (await runLoadgenProcess([
    ...['--brokers', brokers, '--topic', topic, '--partitions', String(PARTITIONS), '--format', workload],
    ...['--count', String(count), '--seed', String(seed), '--corrupt-rate', String(corruptRate)],
  ])) as Awaited<ReturnType<typeof runLoadgenProcess>> & { valueBytes?: number; corrupt?: number };
  if (summary.acked !== count) throw new Error(`filling ${topic}: ${summary.acked} of ${count} acknowledged`);
  return {
    acked: summary.acked,
    valueBytes: summary.valueBytes ?? 0,
    corrupt: summary.corrupt ?? 0,
    ratePerSec: summary.ratePerSec,
  };
}

/** What one drain measured before its outputs were checked. */
interface Drained {
  ms: number;
  cpu: CpuBreakdown | null;
  peakRssMb: number | null;
  deadLettered: number;
  /** The peer's timed window: its rate counts the outputs the broker appended inside it. */
  window?: PeerWindow;
}

export interface WorkloadDrainOptions {
  brokers: string;
  input: string;
  records: number;
  inputBytes: number;
  workload: WorkloadName;
  /** Worker threads for Turbine's pool and the peer's. */
  threads: number;
  timeoutMs: number;
}

/** Drains `o.input` with one system, reads its output topic back and checks it; throws when the outputs do not count. */
export async function drainWorkload(system: WorkloadSystem, o: WorkloadDrainOptions): Promise<WorkloadRun> {
  const output = randomTopic('out');
  // LogAppendTime: the peer's rate is counted from its outputs' append times (peer-outputs.ts).
  await ensureTopics(o.brokers, [
    { name: output, partitions: PARTITIONS, config: { 'message.timestamp.type': 'LogAppendTime' } },
  ]);
  try {
    const drained =
      system === 'turbine'
        ? await turbineDrain(o, output)
        : system === 'kafkajs-piscina'
          ? await peerDrain(o, output)
          : await bareLoopDrain(o, output);
    const read = await readOutputs(o.brokers, output, o.workload, drained.window?.lastAckedAtMs);
    const check: OutputCheck = { ...read, deadLettered: drained.deadLettered };
    const problem = outputProblem(check, o.records);
    if (problem !== null) throw new Error(`outputs do not count: ${problem}`);
    let perSec = (o.records * 1000) / drained.ms;
    if (drained.window) {
      // As in the peers section: from the output topic, not from the peer's own count.
      const rate = deliveredPerSec(check, drained.window, o.records);
      if ('notRun' in rate) throw new Error(rate.notRun);
      perSec = rate.perSec;
    }
    return {
      perSec,
      mbPerSec: (perSec * (o.inputBytes / o.records)) / 1e6,
      ms: drained.ms,
      cpu: drained.cpu,
      peakRssMb: drained.peakRssMb,
      check,
    };
  } finally {
    await dropTopics(o.brokers, [output]);
  }
}

/** `turbine run` with the sample worker, pool = threads, partition order, a dead-letter topic of its own. */
async function turbineDrain(o: WorkloadDrainOptions, output: string): Promise<Drained> {
  const spec = WORKLOAD_SPECS[o.workload];
  const deadLetters = randomTopic('dlq');
  let engine: EngineProcess | undefined;
  try {
    engine = await EngineProcess.start({
      brokers: o.brokers,
      input: o.input,
      output,
      group: randomName('workload'),
      worker: spec.worker,
      poolSize: o.threads,
      ordering: 'partition',
      args: [
        ...['--input-format', spec.valueFormat, '--output-format', spec.valueFormat],
        ...['--dead-letter-topic', deadLetters],
      ],
    });
    const result = await timeDrain([engine], o.records, o.timeoutMs, findBrokerPid(ROOT, brokerPort(o.brokers)));
    const stats = await engine.stats();
    return {
      ms: result.ms,
      cpu: result.cpu,
      peakRssMb: result.peakRssMb,
      deadLettered: stats?.deadLettered ?? 0,
    };
  } finally {
    // SIGTERM: the engine drains and flushes, so every output is on the topic before it is read.
    await engine?.stop();
    await dropTopics(o.brokers, [deadLetters]);
  }
}

/** The kafkajs-piscina peer with --worker: the same module in a Piscina pool of `threads`. */
async function peerDrain(o: WorkloadDrainOptions, output: string): Promise<Drained> {
  if (!existsSync(PEER_SCRIPT)) throw new Error(`${relativeToRoot(PEER_SCRIPT)} is missing`);
  const spec = WORKLOAD_SPECS[o.workload];
  const args = [PEER_SCRIPT, 'kafkajs-piscina', '--brokers', o.brokers, '--input', o.input, '--output', output]
    .concat(['--group', randomName('peer-workload'), '--spin-us', '0', '--threads', String(o.threads)])
    .concat([
      '--order',
      'partition',
      '--count',
      String(o.records),
      '--timeout-s',
      String(Math.ceil(o.timeoutMs / 1000)),
    ])
    .concat(['--worker', spec.worker, '--value-format', spec.valueFormat]);
  const result = await runJsonCommand('bash', args, o.timeoutMs + 60_000);
  if (!result.ok) throw new Error(`kafkajs-piscina: ${result.reason ?? 'failed'}`);
  const window = peerWindow(result.json);
  if (typeof window === 'string') throw new Error(`kafkajs-piscina: ${window}`);
  return {
    ms: window.lastAckedAtMs - window.firstConsumedAtMs,
    cpu: (result.json?.cpu as CpuBreakdown | undefined) ?? null,
    peakRssMb: null,
    deadLettered: 0,
    window,
  };
}

/** The bare node-rdkafka loop with --worker: the same module inline, on its one JavaScript thread. */
async function bareLoopDrain(o: WorkloadDrainOptions, output: string): Promise<Drained> {
  const spec = WORKLOAD_SPECS[o.workload];
  const result = await runJsonCommand(
    process.execPath,
    [BARE_LOOP, '--brokers', o.brokers, '--input', o.input, '--output', output, '--group', randomName('bare')].concat([
      '--count',
      String(o.records),
      '--worker',
      spec.worker,
      '--value-format',
      spec.valueFormat,
    ]),
    o.timeoutMs,
  );
  if (!result.ok || typeof result.json?.ms !== 'number') throw new Error(`bare loop: ${result.reason}`);
  return {
    ms: result.json.ms,
    cpu: (result.json.cpu as CpuBreakdown | undefined) ?? null,
    peakRssMb: (result.json.peakRssMb as number | undefined) ?? null,
    deadLettered: 0,
  };
}
