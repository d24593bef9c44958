/**
 * Runs `turbine run` as a child process (the way users deploy it) and reads its /stats.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BROKERS, ROOT, SPIN_WORKER } from './kafka';

export interface CliEngine {
  child: ChildProcess;
  port: number;
  log(): string;
  exited: Promise<number | null>;
}

/** Runs a `turbine` command to its end against the test broker (`--brokers` added after the command). */
export function runTurbine(
  command: string,
  args: readonly string[],
  timeoutMs = 60_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'turbine.js'), command, '--brokers', BROKERS, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

export function startCli(
  options: {
    input: string;
    output: string;
    group: string;
    port?: number;
    env?: Record<string, string>;
    brokers?: string;
  },
  extra: string[] = [],
): CliEngine {
  const port = options.port ?? randomPort();
  let log = '';
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'turbine.js'),
      'run',
      '--brokers',
      options.brokers ?? BROKERS,
      '--input',
      options.input,
      '--output',
      options.output,
      '--group',
      options.group,
      '--worker',
      SPIN_WORKER,
      '--pool-size',
      '2',
      '--metrics-port',
      String(port),
      '--metrics-host',
      '127.0.0.1',
      ...extra,
    ],
    { env: { ...process.env, TURBINE_LOG_LEVEL: 'info', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, log: () => log, exited };
}

export async function cliStats(port: number): Promise<{ consumed: number; produced: number } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/stats`);
    return (await res.json()) as { consumed: number; produced: number };
  } catch {
    return null;
  }
}

/** Waits until the engine behind `port` reports at least `produced` outputs acknowledged. */
export async function waitProduced(port: number, produced: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (seen < produced && Date.now() < deadline) {
    seen = (await cliStats(port))?.produced ?? 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}
