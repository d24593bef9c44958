/**
 * SIGTERM to the supervisor while both engine processes have records in flight drains both:
 * exit 0, no duplicate; a second `--processes 2` run in the same group finishes the topic from
 * the committed offsets with nothing lost and order kept.
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, verifyTopics } from '../../helpers/kafka';
import { supervisorStats, waitBalanced } from '../../helpers/supervisor';

jest.setTimeout(150_000);

const flags = ['--processes', '2', '--pool-size', '2', '--batch-max-records', '100', '--max-in-flight-records', '1000'];

test('SIGTERM mid-stream: every process drains, exit 0; a second run loses and repeats nothing', async () => {
  const { input, output, drop } = await freshTopics('sup-term', 4);
  const group = randomName('g');
  const count = 8000;
  const first = startCli({ input, output, group, env: { SPIN_US: '500' } }, flags);
  try {
    await waitBalanced(first.port, 2, 2);
    await produceRecords(input, count, { partitions: 4 });
    expect(await waitProduced(first.port, 800)).toBeGreaterThanOrEqual(800);
    const before = (await supervisorStats(first.port))!;
    expect(before.processes.every((p) => p.stats!.consumed > 0)).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.log()).toContain('every engine process drained');
    // Each process's 'engine closed' line.
    expect(first.log().match(/"process":[01],[^\n]*"drained":true,"unfinished":\[\]/g)).toHaveLength(2);
    const partial = await verifyTopics(input, output);
    expect(partial.lost).toBeGreaterThan(0);
    expect(partial.duplicates).toBe(0);
  } finally {
    first.child.kill('SIGKILL');
  }

  const second = startCli({ input, output, group, env: { SPIN_US: '500' } }, flags);
  try {
    const deadline = Date.now() + 60_000;
    let report = await verifyTopics(input, output);
    while (report.lost > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      report = await verifyTopics(input, output);
    }
    // Stopped once the group is stable: a process closed while it is still joining leaves the
    // coordinator waiting for it (up to session.timeout.ms), which holds the other's last commit.
    await waitBalanced(second.port, 2, 2);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(report).toMatchObject({ inputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  } finally {
    second.child.kill('SIGKILL');
    await drop();
  }
});
