/**
 * Where the machine's cores went during a measured window: CPU time of an engine's main thread,
 * its other threads (worker pool threads plus V8 / libuv helpers), librdkafka's threads, the Kafka
 * broker, and everything else, from /proc. Two snapshots (start and end of the window) give each
 * part in cores (CPU seconds ÷ wall seconds) and in µs of CPU per record.
 *
 * The parsing and the arithmetic are pure and unit-tested with fixture strings
 * (test/unit/benchmarks/cpu-accounting.test.ts); only the read* functions touch /proc.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** USER_HZ: /proc times are in clock ticks of 1/100 s on Linux (`getconf CLK_TCK`). */
export const CLOCK_TICKS_PER_SECOND = 100;

export type ThreadRole = 'main' | 'librdkafka' | 'other';

export interface TaskTimes {
  /** Thread id (or process id for a process's stat line). */
  id: number;
  comm: string;
  /** utime + stime, clock ticks. */
  ticks: number;
}

/**
 * Parses one /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line. Field 2 (comm) is in
 * parentheses and may hold spaces or parentheses itself, so the fields after it are counted from
 * the last ')'. utime and stime are fields 14 and 15 (proc(5)).
 */
export function parseTaskStat(line: string): TaskTimes {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const id = Number(line.slice(0, open).trim());
  // After ") " come field 3 (state) onwards: field n is at index n − 3.
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isInteger(id) || !Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  return { id, comm: line.slice(open + 1, close), ticks: utime + stime };
}

/** librdkafka names its threads `rdk:main`, `rdk:broker1`...; the main thread's tid is the pid. */
export function classifyThread(pid: number, tid: number, comm: string): ThreadRole {
  if (tid === pid) return 'main';
  if (comm.startsWith('rdk:')) return 'librdkafka';
  return 'other';
}

export interface MachineTimes {
  /** user + nice + system + irq + softirq, clock ticks (guest time is already inside user). */
  busy: number;
  /** Time the hypervisor ran something else while this machine wanted the CPU. */
  steal: number;
  /** idle + iowait. */
  idle: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseMachineStat(text: string): MachineTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0),
    steal: steal ?? 0,
    idle: (idle ?? 0) + (iowait ?? 0),
  };
}

/** The inode of the socket listening on `port` in /proc/net/tcp or tcp6 text, or null. */
export function listeningInode(netTcp: string, port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of netTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; st 0A = LISTEN.
    if (f.length > 9 && f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') return Number(f[9]);
  }
  return null;
}

/** One moment's CPU times: per engine thread, the broker's processes, the machine. */
export interface CpuSnapshot {
  atMs: number;
  /** Per engine pid: ticks by thread id, with the thread's role. */
  engines: Map<number, Map<number, { role: ThreadRole; ticks: number }>>;
  /** Per engine pid: the whole process's ticks (/proc/<pid>/stat), which keep exited threads' time. */
  engineTotals: Map<number, number>;
  /** Broker processes (the kafka.sh wrapper and its JVM) in ticks, null when unknown. */
  broker: number | null;
  machine: MachineTimes;
}

/** Cores per part over a window; the same in µs of CPU per record. */
export interface CpuParts {
  main: number;
  /** Worker pool threads plus V8 / libuv helper threads. */
  workers: number;
  librdkafka: number;
  /** Null when the broker's pid was not found. */
  broker: number | null;
  /** Machine busy − the named parts: other processes (load generator, other users, the harness). */
  rest: number;
  /** Engine threads that exited inside the window (their role is unknown by then); absent in older results. */
  exited?: number;
}

export interface CpuBreakdown {
  wallS: number;
  records: number;
  cpuCount: number;
  cores: CpuParts;
  usPerRecord: CpuParts;
  /** Busy cores of the whole machine (sum of the parts). */
  machineBusy: number;
  /** Cores the hypervisor took (steal). */
  steal: number;
  idle: number;
  note?: string;
}

/**
 * Per-role ticks spent between two snapshots, per thread (threads started in between count from
 * 0); `exited` is what the process total gained beyond its live threads (threads that ended).
 */
function engineTicks(start: CpuSnapshot, end: CpuSnapshot): Record<ThreadRole | 'exited', number> {
  const sums: Record<ThreadRole | 'exited', number> = { main: 0, librdkafka: 0, other: 0, exited: 0 };
  for (const [pid, threads] of end.engines) {
    const before = start.engines.get(pid);
    let live = 0;
    for (const [tid, t] of threads) {
      const delta = Math.max(0, t.ticks - (before?.get(tid)?.ticks ?? 0));
      sums[t.role] += delta;
      live += delta;
    }
    const total = (end.engineTotals.get(pid) ?? 0) - (start.engineTotals.get(pid) ?? 0);
    sums.exited += Math.max(0, total - live);
  }
  return sums;
}

/** The breakdown between two snapshots for `records` records (pure). */
export function cpuBreakdown(start: CpuSnapshot, end: CpuSnapshot, records: number, cpuCount: number): CpuBreakdown {
  const wallS = Math.max(1e-3, (end.atMs - start.atMs) / 1000);
  const seconds = (ticks: number) => ticks / CLOCK_TICKS_PER_SECOND;
  const engine = engineTicks(start, end);
  const broker = start.broker === null || end.broker === null ? null : Math.max(0, end.broker - start.broker);
  const busy = end.machine.busy - start.machine.busy;
  const named = engine.main + engine.librdkafka + engine.other + engine.exited + (broker ?? 0);
  const ticks: CpuParts = {
    main: engine.main,
    workers: engine.other,
    librdkafka: engine.librdkafka,
    broker,
    exited: engine.exited,
    // Not clamped: each thread's time is read in whole ticks, so near-idle machines can show a
    // few ticks below zero here, and a large negative value would mean a double count.
    rest: busy - named,
  };
  const map = (f: (t: number) => number): CpuParts => ({
    main: f(ticks.main),
    workers: f(ticks.workers),
    librdkafka: f(ticks.librdkafka),
    broker: ticks.broker === null ? null : f(ticks.broker),
    rest: f(ticks.rest),
    exited: f(ticks.exited ?? 0),
  });
  return {
    wallS,
    records,
    cpuCount,
    cores: map((t) => seconds(t) / wallS),
    usPerRecord: map((t) => (records > 0 ? (seconds(t) * 1e6) / records : 0)),
    machineBusy: seconds(busy) / wallS,
    steal: seconds(end.machine.steal - start.machine.steal) / wallS,
    idle: seconds(end.machine.idle - start.machine.idle) / wallS,
    ...(broker === null ? { note: 'broker pid not found: its CPU is inside rest' } : {}),
  };
}

// ---- /proc readers -------------------------------------------------------------------------------

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Ticks of every live thread of `pid`, with its role (empty when the process is gone). */
export function readThreads(pid: number): Map<number, { role: ThreadRole; ticks: number }> {
  const threads = new Map<number, { role: ThreadRole; ticks: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const line = readOrNull(`/proc/${pid}/task/${tid}/stat`);
    if (line === null) continue; // exited between readdir and read
    const t = parseTaskStat(line);
    threads.set(t.id, { role: classifyThread(pid, t.id, t.comm), ticks: t.ticks });
  }
  return threads;
}

/** utime + stime of a process and its children (not grandchildren), all threads, including exited ones. */
function processTreeTicks(pid: number): number | null {
  const own = readOrNull(`/proc/${pid}/stat`);
  if (own === null) return null;
  let ticks = parseTaskStat(own).ticks;
  const children = (readOrNull(`/proc/${pid}/task/${pid}/children`) ?? '').trim().split(/\s+/).filter(Boolean);
  for (const child of children) {
    const line = readOrNull(`/proc/${child}/stat`);
    if (line !== null) ticks += parseTaskStat(line).ticks;
  }
  return ticks;
}

/**
 * The broker's pid: `<root>/.kafka/kafka.pid` (scripts/kafka.sh writes the pid of its wrapper,
 * whose child is the JVM), else KAFKA_HOME_DIR's, else the process holding the socket that listens
 * on the broker port. Null when none is found.
 */
export function findBrokerPid(root: string, port: number): number | null {
  for (const dir of [join(root, '.kafka'), process.env.KAFKA_HOME_DIR]) {
    if (!dir) continue;
    const pid = Number((readOrNull(join(dir, 'kafka.pid')) ?? '').trim());
    if (pid > 0 && readOrNull(`/proc/${pid}/stat`) !== null) return pid;
  }
  const inode =
    listeningInode(readOrNull('/proc/net/tcp') ?? '', port) ?? listeningInode(readOrNull('/proc/net/tcp6') ?? '', port);
  if (inode === null) return null;
  const target = `socket:[${inode}]`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

/** The port of the first `host:port` in a bootstrap list (9092 when absent). */
export function brokerPort(brokers: string): number {
  const port = Number(brokers.split(',')[0]?.split(':').pop());
  return Number.isInteger(port) && port > 0 ? port : 9092;
}

/** Reads every engine's threads, the broker's processes and /proc/stat now. */
export function readCpuSnapshot(enginePids: readonly number[], brokerPid: number | null): CpuSnapshot {
  return {
    atMs: performance.now(),
    engines: new Map(enginePids.map((pid) => [pid, readThreads(pid)])),
    engineTotals: new Map(
      enginePids.map((pid) => {
        const line = readOrNull(`/proc/${pid}/stat`);
        return [pid, line === null ? 0 : parseTaskStat(line).ticks];
      }),
    ),
    broker: brokerPid === null ? null : processTreeTicks(brokerPid),
    machine: parseMachineStat(readOrNull('/proc/stat') ?? ''),
  };
}
