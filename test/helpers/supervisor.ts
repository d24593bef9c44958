/**
 * Reading a `turbine run --processes N` supervisor from its HTTP port: its combined /stats (with
 * each engine process's own), one series of its aggregated /metrics, and waits on both.
 */
import { waitFor } from './kafka';

export interface ProcessStats {
  index: number;
  pid: number | null;
  stats: { consumed: number; produced: number; assignedPartitions: number; state: string } | null;
}

export interface SupervisorStats {
  consumed: number;
  produced: number;
  state: string;
  partitions: Array<{ topic: string; partition: number; process: number }>;
  processes: ProcessStats[];
}

export async function supervisorStats(port: number): Promise<SupervisorStats | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as SupervisorStats;
  } catch {
    return null;
  }
}

/** The value of one series of /metrics (`name{labels}` exactly as exposed), or undefined. */
export async function metricValue(port: number, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits until every engine process is running with `each` partitions. */
export async function waitBalanced(port: number, processes: number, each: number, timeoutMs = 60_000): Promise<void> {
  let last = null as SupervisorStats | null;
  const poll = setInterval(() => {
    supervisorStats(port).then((s) => {
      last = s;
    });
  }, 200);
  try {
    await waitFor(
      `${processes} processes with ${each} partitions each (last /stats: ${JSON.stringify(last?.processes ?? null)})`,
      () =>
        last !== null &&
        last.processes.length === processes &&
        last.processes.every((p) => p.stats?.state === 'running' && p.stats.assignedPartitions === each),
      timeoutMs,
    );
  } finally {
    clearInterval(poll);
  }
}
