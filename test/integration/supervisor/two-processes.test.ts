/**
 * `turbine run --processes 2` runs two engine processes in one consumer group behind one HTTP
 * port: Kafka gives each two of the four partitions, every record is processed once and in
 * order, the supervisor's /metrics counts the records consumed as the sum of its processes, and
 * SIGTERM drains both and exits 0.
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, verifyTopics } from '../../helpers/kafka';
import { metricValue, supervisorStats, waitBalanced } from '../../helpers/supervisor';

jest.setTimeout(120_000);

test('two processes share the partitions, lose nothing, keep order, and drain on SIGTERM', async () => {
  const { input, output, drop } = await freshTopics('sup2', 4);
  const group = randomName('g');
  const count = 6000;
  const engine = startCli({ input, output, group, env: { SPIN_US: '100' } }, ['--processes', '2', '--pool-size', '2']);
  try {
    await waitBalanced(engine.port, 2, 2);
    const ready = await fetch(`http://127.0.0.1:${engine.port}/readyz`);
    expect(ready.status).toBe(200);
    await produceRecords(input, count, { partitions: 4 });
    expect(await waitProduced(engine.port, count)).toBe(count);

    const stats = (await supervisorStats(engine.port))!;
    const perProcess = stats.processes.map((p) => p.stats!.consumed);
    expect(perProcess.every((n) => n > 0)).toBe(true);
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(count);
    expect(stats.consumed).toBe(count);
    expect(new Set(stats.partitions.map((p) => p.process))).toEqual(new Set([0, 1]));
    expect(await metricValue(engine.port, `turbine_records_consumed_total{topic="${input}"}`)).toBe(count);
    expect(await metricValue(engine.port, 'turbine_supervisor_children')).toBe(2);
    expect(await metricValue(engine.port, 'turbine_pool_utilization_ratio{process="1"}')).toBeGreaterThanOrEqual(0);
    const health = await fetch(`http://127.0.0.1:${engine.port}/healthz`);
    expect(health.status).toBe(200);
    const status = (await (await fetch(`http://127.0.0.1:${engine.port}/status.json`)).json()) as {
      consumed: number;
      processes: Array<{ index: number; state: string; threads: number }>;
    };
    expect(status.consumed).toBe(count);
    expect(status.processes.map((p) => [p.index, p.state, p.threads])).toEqual([
      [0, 'running', 1],
      [1, 'running', 1],
    ]);

    engine.child.kill('SIGTERM');
    expect(await engine.exited).toBe(0);
    expect(engine.log()).toContain('every engine process drained');
    // Each process's log lines pass through the supervisor, tagged with its index.
    expect(engine.log()).toMatch(/\{"process":0,[^\n]*"msg":"engine started"/);
    expect(engine.log()).toMatch(/\{"process":1,[^\n]*"msg":"engine started"/);

    const report = await verifyTopics(input, output);
    expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  } finally {
    engine.child.kill('SIGKILL');
    await drop();
  }
});
