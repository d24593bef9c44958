/**
 * Child processes of a benchmark run: Turbine engines (`node bin/turbine.js run`), the load
 * generator (`turbine loadgen`), the bare loop and peers. Each runs on its own so that its CPU,
 * memory and event loop are its own, as in production.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Bucket } from '../../src/cli/histogram-quantile.js';
import type { EngineStats } from '../../src/engine.js';
import { type CpuBreakdown, type CpuSnapshot, cpuBreakdown, readCpuSnapshot } from './cpu-accounting.js';

export const ROOT = join(__dirname, '..', '..', '..');
const TURBINE_BIN = join(ROOT, 'bin', 'turbine.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every child still running, so an interrupted run can end them (see killChildren). */
const liveChildren = new Set<ChildProcess>();

function track(child: ChildProcess, detached: boolean): ChildProcess {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (detached) detachedChildren.add(child);
  return child;
}
const detachedChildren = new WeakSet<ChildProcess>();

/** SIGKILLs every child this process started and has not seen exit (whole groups for peers). */
export function killChildren(): void {
  for (const child of liveChildren) {
    if (child.pid === undefined) continue;
    try {
      if (detachedChildren.has(child)) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A free TCP port on 127.0.0.1 (closed again before use; good enough on one machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A field of /proc/<pid>/status in MiB (VmHWM = peak RSS, VmRSS = current), or null. */
export function procStatusMb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Keeps the last lines a child wrote, for error messages. */
function tail(child: ChildProcess, stream: 'stdout' | 'stderr', keep = 20): () => string[] {
  const lines: string[] = [];
  let partial = '';
  child[stream]?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > keep) lines.shift();
    }
  });
  return () => (partial ? [...lines, partial] : [...lines]);
}

/** Waits for the child to exit; after `timeoutMs` kills it (its whole process group when detached). */
function waitExit(child: ChildProcess, timeoutMs: number, group = false): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (group && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      } else child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Sums each named sample over its label sets in a Prometheus text exposition. */
export function metricValues(text: string, names: readonly string[]): Map<string, number> {
  const wanted = new Set(names);
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const end = line.search(/[{ ]/);
    const name = end < 0 ? line : line.slice(0, end);
    if (!wanted.has(name)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) values.set(name, (values.get(name) ?? 0) + value);
  }
  return values;
}

/** The cumulative buckets of histogram `name` (one label set) in a Prometheus text exposition. */
export function histogramBuckets(text: string, name: string): Bucket[] {
  const prefix = `${name}_bucket{`;
  const buckets: Bucket[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) continue;
    buckets.push({
      le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
      count: Number(line.slice(line.lastIndexOf(' ') + 1)),
    });
  }
  return buckets;
}

/** Observations between two scrapes of one histogram: `later` minus `earlier`, bucket by bucket. */
export function bucketsBetween(earlier: readonly Bucket[], later: readonly Bucket[]): Bucket[] {
  const before = new Map(earlier.map((b) => [b.le, b.count]));
  return later.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
}

export interface EngineProcessOptions {
  brokers: string;
  input: string;
  output: string;
  group: string;
  /** Compiled worker module path. */
  worker: string;
  poolSize: number;
  ordering: 'partition' | 'key';
  /** Extra `turbine run` flags. */
  args?: string[];
  /** Extra environment for the engine and its workers (SPIN_US...). */
  env?: Record<string, string>;
}

/** One `node bin/turbine.js run` process with its metrics server on a private port. */
export class EngineProcess {
  private readonly lastErrors: () => string[];

  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
  ) {
    this.lastErrors = tail(child, 'stderr');
    child.stdout?.resume();
  }

  static async start(o: EngineProcessOptions): Promise<EngineProcess> {
    const port = await freePort();
    const args = [
      TURBINE_BIN,
      'run',
      '--brokers',
      o.brokers,
      '--input',
      o.input,
      '--output',
      o.output,
      '--group',
      o.group,
      '--worker',
      o.worker,
      '--pool-size',
      String(o.poolSize),
      '--ordering',
      o.ordering,
      '--metrics-port',
      String(port),
      '--metrics-host',
      '127.0.0.1',
      '--log-level',
      'warn',
      ...(o.args ?? []),
    ];
    const child = track(
      spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...o.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      false,
    );
    const engine = new EngineProcess(child, port);
    await engine.waitFor(async () => (await engine.stats()) !== null, 30_000, 'metrics server');
    return engine;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The engine's snapshot from /stats, or null when it does not answer. */
  async stats(): Promise<EngineStats | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/stats`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? ((await res.json()) as EngineStats) : null;
    } catch {
      return null;
    }
  }

  /** Sample values of `names` from the engine's /metrics (summed over label sets), or null when it does not answer. */
  async metrics(names: readonly string[]): Promise<Map<string, number> | null> {
    const text = await this.metricsText();
    return text === null ? null : metricValues(text, names);
  }

  /** The engine's /metrics exposition, or null when it does not answer. */
  private async metricsText(): Promise<string | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/metrics`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? await res.text() : null;
    } catch {
      return null;
    }
  }

  /** Each named histogram's cumulative buckets from /metrics, or null when the engine does not answer. */
  async histograms(names: readonly string[]): Promise<Map<string, Bucket[]> | null> {
    const text = await this.metricsText();
    return text === null ? null : new Map(names.map((n) => [n, histogramBuckets(text, n)]));
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  async waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (this.exited) throw new Error(`engine exited (${this.child.exitCode}) waiting for ${what}: ${this.errors()}`);
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${this.errors()}`);
      await sleep(20);
    }
  }

  errors(): string {
    return this.lastErrors().slice(-3).join(' | ').slice(0, 400);
  }

  peakRssMb(): number | null {
    return procStatusMb(this.child.pid, 'VmHWM');
  }

  rssMb(): number | null {
    return procStatusMb(this.child.pid, 'VmRSS');
  }

  /** SIGTERM (the engine drains and commits), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    await waitExit(this.child, timeoutMs);
  }
}

export interface DrainResult {
  ms: number;
  perSec: number;
  /** Largest VmHWM among the engines, MiB. */
  peakRssMb: number | null;
  /** Where the machine's cores went over the same window (engine threads, broker, rest). */
  cpu: CpuBreakdown;
}

/**
 * Times engines draining `records` records already in their input topic: from the first poll that
 * sees a consumed record to the first poll where all are consumed and none is in flight. CPU
 * snapshots of the engines' threads, the broker (`brokerPid`, null when unknown) and the machine
 * are taken at both ends of that window.
 */
export async function timeDrain(
  engines: EngineProcess[],
  records: number,
  timeoutMs: number,
  brokerPid: number | null,
): Promise<DrainResult> {
  const deadline = Date.now() + timeoutMs;
  const pids = engines.map((e) => e.pid).filter((pid): pid is number => pid !== undefined);
  let started = 0;
  let cpuStart: CpuSnapshot | undefined;
  for (;;) {
    const now = performance.now();
    const snapshots = await Promise.all(engines.map((e) => e.stats()));
    let consumed = 0;
    let inFlight = 0;
    for (const s of snapshots) {
      consumed += s?.consumed ?? 0;
      inFlight += s?.inFlightRecords ?? 0;
    }
    if (started === 0 && consumed > 0) {
      started = now;
      cpuStart = readCpuSnapshot(pids, brokerPid);
    }
    if (consumed >= records && inFlight === 0 && snapshots.every((s) => s !== null)) {
      const ms = Math.max(1, performance.now() - started);
      const cpuEnd = readCpuSnapshot(pids, brokerPid);
      const peaks = engines.map((e) => e.peakRssMb()).filter((v): v is number => v !== null);
      // What was consumed, not `records`: on a topic holding more, the drain runs past it.
      return {
        ms,
        perSec: (consumed / ms) * 1000,
        peakRssMb: peaks.length > 0 ? Math.max(...peaks) : null,
        cpu: cpuBreakdown(cpuStart ?? cpuEnd, cpuEnd, records, cpus().length),
      };
    }
    for (const e of engines) if (e.exited) throw new Error(`engine exited during the drain: ${e.errors()}`);
    if (Date.now() > deadline)
      throw new Error(
        `drain timed out after ${timeoutMs} ms (consumed ${consumed} of ${records}, in flight ${inFlight})`,
      );
    await sleep(20);
  }
}

export interface LoadgenResult {
  acked: number;
  errors: number;
  durationMs: number;
  ratePerSec: number;
  maxLagMs: number;
}

/** Runs `turbine loadgen` with the given flags in its own process and returns its JSON summary. */
export async function runLoadgenProcess(args: string[], timeoutMs = 600_000): Promise<LoadgenResult> {
  const child = track(
    spawn(process.execPath, [TURBINE_BIN, 'loadgen', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
    false,
  );
  const out = tail(child, 'stdout');
  const err = tail(child, 'stderr');
  const code = await waitExit(child, timeoutMs);
  const summary = out()
    .reverse()
    .find((l) => l.startsWith('{'));
  if (code !== 0 || !summary) throw new Error(`loadgen failed (exit ${code}): ${err().slice(-3).join(' | ')}`);
  return JSON.parse(summary) as LoadgenResult;
}

export interface JsonLineResult {
  ok: boolean;
  /** The last JSON object the process printed on stdout. */
  json?: Record<string, unknown>;
  /** Why it failed: exit code and the last stderr line. */
  reason?: string;
}

/** Runs a command that prints one JSON line on success (peers, the bare loop). */
export async function runJsonCommand(
  command: string,
  args: string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<JsonLineResult> {
  // Detached: its own process group, so a timeout also ends what a peer's script started (a JVM...).
  const child = track(
    spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    true,
  );
  const out = tail(child, 'stdout');
  const err = tail(child, 'stderr');
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  const started = Date.now();
  const code = await waitExit(child, timeoutMs, true);
  if (spawnError) return { ok: false, reason: spawnError.message };
  const line = out()
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (code === 0 && line) {
    try {
      return { ok: true, json: JSON.parse(line) as Record<string, unknown> };
    } catch {
      return { ok: false, reason: `unparseable output: ${line.slice(0, 120)}` };
    }
  }
  const timedOut = Date.now() - started >= timeoutMs;
  const last = [...err(), ...out()].filter((l) => l.trim() !== '').pop() ?? '';
  return {
    ok: false,
    reason: `${timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `exit ${code}`}${last ? `: ${last.trim().slice(0, 160)}` : ''}`,
  };
}
