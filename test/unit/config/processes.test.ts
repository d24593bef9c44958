/**
 * `--processes`: `auto` is one process per 8 usable CPUs; poolSize is the container's total,
 * split evenly with at least one thread each, and unset it leaves each main thread a core; a bad
 * value is CONFIG_INVALID naming the option and the accepted values.
 */
import { usableCpuCount } from '../../../src/config/cpu-quota.js';
import { loadConfig } from '../../../src/config/load.js';
import {
  autoProcessCount,
  defaultPoolSize,
  MAX_PROCESSES,
  parseProcesses,
  poolShares,
} from '../../../src/config/processes.js';
import { TurbineError } from '../../../src/errors.js';

const required = { brokers: 'localhost:9092', input: 'in', output: 'out', group: 'g', worker: './w.js' };

test('auto: one process per 8 CPUs, rounded, at least 1', () => {
  expect([1, 2, 4, 8, 11, 12, 16, 20, 32, 64].map(autoProcessCount)).toEqual([1, 1, 1, 1, 1, 2, 2, 3, 4, 8]);
  expect(autoProcessCount(0)).toBe(1);
  expect(autoProcessCount(10_000)).toBe(MAX_PROCESSES);
});

test('the default pool keeps a core per main thread when there are several processes', () => {
  expect(defaultPoolSize(1, 16)).toBe(16);
  expect(defaultPoolSize(4, 16)).toBe(12);
  expect(defaultPoolSize(2, 2)).toBe(2);
  expect(defaultPoolSize(3, 2)).toBe(3);
});

test('the pool is split evenly, the first processes taking the remainder, each at least 1', () => {
  expect(poolShares(12, 4)).toEqual([3, 3, 3, 3]);
  expect(poolShares(14, 4)).toEqual([4, 4, 3, 3]);
  expect(poolShares(2, 2)).toEqual([1, 1]);
  expect(poolShares(2, 3)).toEqual([1, 1, 1]);
  expect(poolShares(5, 1)).toEqual([5]);
  for (let total = 1; total <= 40; total++)
    for (let n = 1; n <= 10; n++) {
      const shares = poolShares(total, n);
      expect(shares).toHaveLength(n);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(Math.max(total, n));
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
});

test('parses auto and integers 1..MAX_PROCESSES, nothing else', () => {
  const cpus = () => 16;
  expect(parseProcesses('auto', cpus)).toBe(2);
  expect(parseProcesses(' 3 ', cpus)).toBe(3);
  expect(parseProcesses(2, cpus)).toBe(2);
  for (const bad of ['0', '-1', '1.5', 'two', '', 'AUTO', String(MAX_PROCESSES + 1), 2.5])
    expect(parseProcesses(bad, cpus)).toBeUndefined();
});

describe('loadConfig', () => {
  it('defaults to one process with the pool of the CPU count', () => {
    const config = loadConfig({ flags: required });
    expect(config.processes).toBe(1);
    expect(config.poolSize).toBe(usableCpuCount());
  });

  it('resolves auto from the usable CPUs and takes TURBINE_PROCESSES', () => {
    expect(loadConfig({ flags: { ...required, processes: 'auto' } }).processes).toBe(
      autoProcessCount(usableCpuCount()),
    );
    const config = loadConfig({ flags: required, env: { TURBINE_PROCESSES: '3' } });
    expect(config.processes).toBe(3);
    expect(config.poolSize).toBe(defaultPoolSize(3, usableCpuCount()));
    expect(loadConfig({ flags: { ...required, processes: '3', poolSize: '7' } }).poolSize).toBe(7);
  });

  it.each(['0', 'two', '1.5', '257'])('rejects processes %s naming the option and the accepted values', (value) => {
    let error: unknown;
    try {
      loadConfig({ flags: { ...required, processes: value } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TurbineError);
    expect((error as TurbineError).code).toBe('CONFIG_INVALID');
    expect((error as TurbineError).message).toContain('processes (--processes, TURBINE_PROCESSES)');
    expect((error as TurbineError).message).toContain('accepted values are auto or an integer from 1 to 256');
  });
});
