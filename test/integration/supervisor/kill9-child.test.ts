/**
 * An engine process killed with kill -9 mid-stream is restarted by its supervisor, which counts
 * and logs the restart; nothing is lost (records after the dead process's last commit may repeat,
 * the at-least-once guarantee), order holds, and SIGTERM afterwards still drains both and exits 0.
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, verifyTopics, waitFor } from '../../helpers/kafka';
import { metricValue, supervisorStats, waitBalanced } from '../../helpers/supervisor';

jest.setTimeout(150_000);

// A short session timeout: the killed process cannot leave the group, so its partitions move
// only once the coordinator stops hearing from it (librdkafka's default is 45 s).
const flags = [
  '--processes',
  '2',
  '--pool-size',
  '2',
  '--batch-max-records',
  '100',
  '--max-in-flight-records',
  '1000',
  '--commit-interval-ms',
  '200',
  '--kafka',
  'session.timeout.ms=6000',
];

test('kill -9 of one process: restarted, counted, nothing lost; SIGTERM exits 0', async () => {
  const { input, output, drop } = await freshTopics('sup-kill', 4);
  const group = randomName('g');
  const count = 12_000;
  const engine = startCli({ input, output, group, env: { SPIN_US: '300' } }, flags);
  try {
    await waitBalanced(engine.port, 2, 2);
    await produceRecords(input, count, { partitions: 4 });
    expect(await waitProduced(engine.port, 1500)).toBeGreaterThanOrEqual(1500);
    const before = (await supervisorStats(engine.port))!;
    const victim = before.processes[1]!;
    expect(victim.stats!.consumed).toBeGreaterThan(0);
    expect(before.produced).toBeLessThan(count);
    process.kill(victim.pid!, 'SIGKILL');

    const restarted = `turbine_supervisor_child_restarts_total{process="1"}`;
    let restarts: number | undefined;
    await waitFor(
      'the restart of process 1',
      () => {
        void metricValue(engine.port, restarted).then((v) => {
          restarts = v;
        });
        return restarts === 1;
      },
      30_000,
    );
    expect(engine.log()).toMatch(/"process":1,"pid":\d+,"exitCode":null,"signal":"SIGKILL"[^\n]*restarting it/);
    expect(engine.log()).toContain('engine process restarted');

    const deadline = Date.now() + 60_000;
    let report = await verifyTopics(input, output);
    while (report.lost > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      report = await verifyTopics(input, output);
    }
    const after = (await supervisorStats(engine.port))!;
    expect(after.processes.map((p) => p.stats?.state)).toEqual(['running', 'running']);
    expect(after.processes[1]!.pid).not.toBe(victim.pid);

    engine.child.kill('SIGTERM');
    expect(await engine.exited).toBe(0);
    expect(engine.log()).toContain('every engine process drained');
    expect(report).toMatchObject({ inputs: count, lost: 0, orderViolations: 0 });
    // Replays are bounded by what the killed process had in flight or not yet committed.
    expect(report.duplicates).toBeLessThanOrEqual(count / 2);
  } finally {
    engine.child.kill('SIGKILL');
    await drop();
  }
});
