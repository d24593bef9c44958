import { cgroupCpuLimit, usableCpuCount } from '../../../src/config/cpu-quota';

const files = (map: Record<string, string>) => (path: string) => map[path];

describe('cgroup CPU quota', () => {
  it('reads a cgroup v2 quota and rounds up to whole CPUs', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }))).toBe(2);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).toBe(1);
  });

  it('treats "max" and a missing quota as unlimited', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }))).toBeUndefined();
    expect(cgroupCpuLimit(files({}))).toBeUndefined();
  });

  it('falls back to cgroup v1, where -1 means unlimited', () => {
    const v1 = (quota: string) =>
      files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': quota, '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' });
    expect(cgroupCpuLimit(v1('400000'))).toBe(4);
    expect(cgroupCpuLimit(v1('-1'))).toBeUndefined();
  });

  it('caps the host CPU count by the quota, never below 1', () => {
    expect(usableCpuCount(files({ '/sys/fs/cgroup/cpu.max': '200000 100000' }), 64)).toBe(2);
    expect(usableCpuCount(files({ '/sys/fs/cgroup/cpu.max': '800000 100000' }), 4)).toBe(4);
    expect(usableCpuCount(files({}), 8)).toBe(8);
    expect(usableCpuCount(files({}), 0)).toBe(1);
  });
});
