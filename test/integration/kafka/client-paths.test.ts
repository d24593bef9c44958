/**
 * Both Kafka client paths, as `turbine run` child processes: the default native batch path and,
 * with TURBINE_NATIVE_BATCH=0, node-rdkafka's stock per-message calls (the fallback when the
 * install cannot compile the patch). Each says which it uses in its log and loses, duplicates and
 * reorders nothing.
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, verifyTopics } from '../../helpers/kafka';

jest.setTimeout(120_000);

test.each([
  ['native-batch', {}],
  ['stock', { TURBINE_NATIVE_BATCH: '0' }],
])('kafka path %s: every record processed once, in partition order', async (path, env) => {
  const { input, output, drop } = await freshTopics(`path-${path}`, 3);
  const count = 6000;
  await produceRecords(input, count, { keys: 300 });
  const engine = startCli({ input, output, group: randomName('g'), env: { SPIN_US: '10', ...env } });
  try {
    expect(await waitProduced(engine.port, count, 90_000)).toBe(count);
    const metrics = await (await fetch(`http://127.0.0.1:${engine.port}/metrics`)).text();
    expect(metrics).toContain(`turbine_kafka_client_path_info{path="${path}"} 1`);
    engine.child.kill('SIGTERM');
    expect(await engine.exited).toBe(0);
    expect(engine.log()).toContain(`"kafkaPath":"${path}"`);
    const report = await verifyTopics(input, output, 'partition');
    expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  } finally {
    engine.child.kill('SIGKILL');
    await drop();
  }
});
