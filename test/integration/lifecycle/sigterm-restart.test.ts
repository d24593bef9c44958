/**
 * SIGTERM mid-stream drains in-flight work, commits and exits 0; a restarted engine continues
 * from the committed offsets, so nothing is lost, nothing is duplicated and order holds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  BROKERS,
  createTopics,
  dropTopics,
  produceRecords,
  ROOT,
  randomName,
  SPIN_WORKER,
  verifyTopics,
  waitFor,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

const port = 20_000 + Math.floor(Math.random() * 20_000);

async function stats(): Promise<{ consumed: number; produced: number } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/stats`);
    return (await res.json()) as { consumed: number; produced: number };
  } catch {
    return null;
  }
}

function startCli(input: string, output: string, group: string): { child: ChildProcess; log: () => string } {
  let log = '';
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'turbine.js'),
      'run',
      '--brokers',
      BROKERS,
      '--input',
      input,
      '--output',
      output,
      '--group',
      group,
      '--worker',
      SPIN_WORKER,
      '--pool-size',
      '2',
      '--metrics-port',
      String(port),
      '--batch-max-records',
      '100',
      '--max-in-flight-records',
      '1000',
    ],
    { env: { ...process.env, SPIN_US: '500', TURBINE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { child, log: () => log };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

test('SIGTERM drains and exits 0; a restart finishes with nothing lost or duplicated', async () => {
  const input = randomName('term-in');
  const output = randomName('term-out');
  const group = randomName('g');
  await createTopics([
    { name: input, partitions: 4 },
    { name: output, partitions: 4 },
  ]);
  const count = 10_000;
  await produceRecords(input, count);

  // 500 µs per record on 2 threads is about 2.5 s of work, and at most 1,000 records are in
  // flight, so a SIGTERM after the first outputs lands mid-stream.
  const first = startCli(input, output, group);
  let produced = 0;
  const deadline0 = Date.now() + 60_000;
  while (produced < 500 && Date.now() < deadline0) {
    produced = (await stats())?.produced ?? 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(produced).toBeGreaterThanOrEqual(500);
  const firstExit = exited(first.child);
  first.child.kill('SIGTERM');
  expect(await firstExit).toBe(0);
  expect(first.log()).toContain('"drained":true');

  const partial = await verifyTopics(input, output);
  expect(partial.outputs).toBeGreaterThan(0);
  expect(partial.lost).toBeGreaterThan(0);

  const second = startCli(input, output, group);
  await waitFor(
    'second instance finishing',
    () => {
      const log = second.log();
      return log.includes('partitions assigned');
    },
    60_000,
  );
  const deadline = Date.now() + 90_000;
  let report = await verifyTopics(input, output);
  while (report.lost > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    report = await verifyTopics(input, output);
  }
  const secondExit = exited(second.child);
  second.child.kill('SIGTERM');
  expect(await secondExit).toBe(0);
  expect(report).toMatchObject({ inputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await dropTopics([input, output, `${input}.dlq`]);
});
