/**
 * How many CPUs this process may really use: the host's count, capped by a cgroup CPU quota when
 * one is set (a container with `--cpus 2` or a Kubernetes `limits.cpu: 2` on a 64-core node).
 * Without the cap the default pool would start one thread per host core and the quota would
 * throttle them all.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** CPUs allowed by the cgroup quota (v2 `cpu.max`, else v1 `cfs_quota_us`), or undefined if unlimited. */
export function cgroupCpuLimit(read: ReadText = readText): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2.length >= 1) return quotaToCpus(v2[0], v2[1] ?? '100000');
  const quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim();
  const period = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim();
  if (quota !== undefined && period !== undefined) return quotaToCpus(quota, period);
  return undefined;
}

function quotaToCpus(quota: string | undefined, period: string): number | undefined {
  if (quota === undefined || quota === 'max' || quota === '-1') return undefined;
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

/** The default worker-pool size: host CPUs, capped by the cgroup quota, at least 1. */
export function usableCpuCount(read: ReadText = readText, hostCpus: number = availableParallelism()): number {
  const limit = cgroupCpuLimit(read);
  return Math.max(1, limit === undefined ? hostCpus : Math.min(hostCpus, limit));
}
