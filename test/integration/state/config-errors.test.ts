/**
 * A state store is refused, with exit code 2 and a message naming --state-store, when it lacks
 * exactly-once (before touching Kafka) and when its changelog topic exists with another
 * partition count than the input (checked against the real broker at start).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BROKERS, createTopics, freshTopics, ROOT, randomName, SPIN_WORKER } from '../../helpers/kafka';

jest.setTimeout(60_000);

const cli = join(ROOT, 'bin', 'turbine.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'run', '--worker', SPIN_WORKER, '--metrics-port', '0', ...args], {
    encoding: 'utf8',
    timeout: 40_000,
  });
}

test('without exactly-once: exit 2 before touching Kafka', () => {
  const r = run([
    '--brokers',
    '127.0.0.1:1',
    '--input',
    'in',
    '--output',
    'out',
    '--group',
    'g',
    '--state-store',
    'levels',
  ]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('CONFIG_INVALID');
  expect(r.stderr).toContain('--state-store');
  expect(r.stderr).toContain('exactly-once');
});

test('a changelog with another partition count than the input: exit 2 naming the option', async () => {
  const { input, output, drop } = await freshTopics('state-cfg', 3);
  const group = randomName('g');
  await createTopics([{ name: `${group}-levels-changelog`, partitions: 2 }]);
  const r = run([
    ...['--brokers', BROKERS, '--input', input, '--output', output, '--group', group],
    ...['--guarantee', 'exactly-once', '--state-store', 'levels'],
  ]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('CONFIG_INVALID');
  expect(r.stderr).toContain('stateStore (--state-store)');
  expect(r.stderr).toContain('has 2 partitions but the input has 3');
  await drop();
});
