/**
 * `--processes` is validated with the rest of the configuration, before any process starts
 * (exit 2, naming the option and the accepted values); and an engine process that cannot start
 * at all (here: the input topic does not exist) stops the supervisor with exit 1, as one process
 * would, instead of being restarted forever.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BROKERS, ROOT, randomName, SPIN_WORKER } from '../../helpers/kafka';

jest.setTimeout(90_000);

const cli = join(ROOT, 'bin', 'turbine.js');

function run(brokers: string, input: string, extra: string[]) {
  const args = ['run', '--brokers', brokers, '--input', input, '--output', `${input}-out`, '--group', randomName('g')];
  return spawnSync(process.execPath, [cli, ...args, '--worker', SPIN_WORKER, '--metrics-port', '0', ...extra], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('a bad --processes value is CONFIG_INVALID, exit 2, before touching Kafka', () => {
  const r = run('127.0.0.1:1', 'in', ['--processes', 'many']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('CONFIG_INVALID');
  expect(r.stderr).toContain('processes (--processes, TURBINE_PROCESSES): accepted values are auto or an integer');
});

test('a process that fails to start stops the supervisor with exit 1', () => {
  const r = run(BROKERS, randomName('missing'), ['--processes', '2', '--pool-size', '2']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/"process":[01],[^\n]*KAFKA_ADMIN_FAILED|process [01]: turbine: KAFKA_ADMIN_FAILED/);
  expect(r.stderr).toContain('engine process failed to start; stopping the others');
  expect(r.stderr).not.toContain('restarting it');
});
