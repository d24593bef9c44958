/**
 * How many engine processes `turbine run --processes` starts and how the worker threads are
 * shared among them. One process's main thread does all Kafka I/O for its records (about 7–9 µs
 * of CPU per 1 KB record on the native batch path, 16–19 on node-rdkafka's stock calls;
 * benchmarks/RESULTS.md section 10), so past about one main thread per 8 CPUs a bigger pool no
 * longer helps and more processes do.
 */

/** Most processes one supervisor starts. */
export const MAX_PROCESSES = 256;

/**
 * CPUs per process that `--processes auto` aims for: one main thread and about seven worker
 * threads. M / (M + W) = 1/8 at W ≈ 60 µs for M ≈ 8.5 µs of main-thread CPU per record.
 */
export const CPUS_PER_PROCESS = 8;

/** `--processes auto`: one process per 8 usable CPUs (rounded), at least 1. */
export function autoProcessCount(cpus: number): number {
  return Math.min(MAX_PROCESSES, Math.max(1, Math.round(cpus / CPUS_PER_PROCESS)));
}

/**
 * The default total pool when `poolSize` is not set: the usable CPUs for one process (as
 * before), and with several processes the CPUs minus one per process, so that each main thread
 * keeps a core of its own; never fewer threads than processes.
 */
export function defaultPoolSize(processes: number, cpus: number): number {
  if (processes <= 1) return Math.max(1, cpus);
  return Math.max(processes, cpus - processes);
}

/**
 * `poolSize` is the container's total worker threads: split as evenly as possible over the
 * processes (the first ones get the remainder), each at least 1, so the total is
 * max(poolSize, processes).
 */
export function poolShares(poolSize: number, processes: number): number[] {
  const base = Math.floor(poolSize / processes);
  const extra = poolSize % processes;
  return Array.from({ length: processes }, (_, i) => Math.max(1, base + (i < extra ? 1 : 0)));
}

/** Parses `auto` or an integer 1..MAX_PROCESSES; undefined for anything else. */
export function parseProcesses(value: unknown, cpus: () => number): number | undefined {
  const text = String(value).trim();
  if (text === 'auto') return autoProcessCount(cpus());
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_PROCESSES ? n : undefined;
}
