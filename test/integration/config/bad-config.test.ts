/**
 * Bad configuration exits non-zero before touching Kafka, with a message naming the option and
 * what it accepts. The brokers point at a closed port: reaching Kafka would hang, not fail fast.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, SPIN_WORKER } from '../../helpers/kafka';

const cli = join(ROOT, 'bin', 'turbine.js');
const base = [
  'run',
  '--brokers',
  '127.0.0.1:1',
  '--input',
  'in',
  '--output',
  'out',
  '--group',
  'g',
  '--worker',
  SPIN_WORKER,
  '--metrics-port',
  '0',
];

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { ...result, ms: Date.now() - started };
}

test('an unknown --ordering value names the option and the accepted values', () => {
  const r = run([...base, '--ordering', 'random']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('CONFIG_INVALID');
  expect(r.stderr).toContain('--ordering');
  expect(r.stderr).toContain('partition | key | unordered');
  expect(r.ms).toBeLessThan(10_000);
});

test('a missing required option is named', () => {
  const r = run(['run', '--brokers', '127.0.0.1:1', '--output', 'out', '--group', 'g', '--worker', SPIN_WORKER]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/input \(--input, TURBINE_INPUT\) is required/);
});

test('a bad value from the environment names the variable', () => {
  const r = run(base, { TURBINE_POOL_SIZE: '0' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('TURBINE_POOL_SIZE');
});

test('an unknown flag is rejected with the accepted flags', () => {
  const r = run([...base, '--pool', '3']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("Unknown option '--pool'");
  expect(r.stderr).toContain('--pool-size');
});

test('a worker module that does not load fails before Kafka is contacted', () => {
  const r = run([...base.slice(0, -3), join(ROOT, 'test', 'fixtures', 'does-not-exist.js'), '--metrics-port', '0']);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('WORKER_MODULE_INVALID');
  expect(r.ms).toBeLessThan(10_000);
});
