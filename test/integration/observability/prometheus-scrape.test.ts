/**
 * A real Prometheus scrapes a running engine's /metrics: the throughput series (rate of records
 * consumed and produced) and the per-partition consumer lag series are queryable through its
 * HTTP API while load flows.
 */
import {
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  sleep,
  waitFor,
  waitProcessed,
} from '../../helpers/kafka';
import { startPrometheus } from '../../helpers/prometheus';

jest.setTimeout(120_000);

test('Prometheus scrapes throughput and lag series from the engine', async () => {
  const { input, output, drop } = await freshTopics('prom', 3);
  const count = 30_000;
  await produceRecords(input, count);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  // 400 µs per record on 2 threads is about 6 s of work, and a small in-flight bound spreads
  // consumption over it, so several scrapes see the counters move.
  const engine = makeEngine(
    { input, output, group: randomName('g'), metricsPort: port, metricsHost: '127.0.0.1', maxInFlightRecords: 1000 },
    { SPIN_US: '400' },
  );
  await engine.start();
  // Ready only once the group has given this instance its assignment.
  await waitFor('ready', () => engine.joinedGroup);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  const prometheus = await startPrometheus(`127.0.0.1:${port}`);
  try {
    let consumedRate = 0;
    let lagSeries = 0;
    const deadline = Date.now() + 60_000;
    while ((consumedRate === 0 || lagSeries < 3) && Date.now() < deadline) {
      await sleep(1000);
      const rate = await prometheus.query('sum(rate(turbine_records_consumed_total{job="turbine"}[5s]))');
      consumedRate = Number(rate[0]?.value[1] ?? 0);
      lagSeries = (await prometheus.query('turbine_consumer_lag_records{job="turbine"}')).length;
    }
    expect(consumedRate).toBeGreaterThan(0);
    expect(lagSeries).toBe(3);
    await waitProcessed(engine, count);
    await sleep(2500);
    const produced = await prometheus.query('max_over_time(turbine_records_produced_total{job="turbine"}[1m])');
    expect(Number(produced[0]?.value[1])).toBe(count);
    const up = await prometheus.query('up{job="turbine"}');
    expect(up[0]?.value[1]).toBe('1');
  } finally {
    await prometheus.stop();
    await engine.close();
    await drop();
  }
});
