/**
 * One /metrics for several engine processes: counters, histograms and summable gauges add up;
 * per-process metrics (a utilization ratio, Node's process metrics) keep one series per process;
 * a process that restarts from zero does not make the container's counters go down.
 */
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/observability/metrics.js';
import {
  aggregateProcesses,
  carryCounters,
  isPerProcess,
  labelProcess,
  type MetricJson,
} from '../../../src/observability/metrics-aggregation.js';
import { createSupervisorMetrics } from '../../../src/observability/supervisor-metrics.js';

/** An engine process's registry after consuming `consumed` records. */
async function processJson(consumed: number, utilization: number, latencies: number[]): Promise<MetricJson[]> {
  const m = createMetrics(new Registry(), true);
  m.recordsConsumed.inc({ topic: 'in' }, consumed);
  m.inFlightRecords.set(consumed / 10);
  m.poolUtilization.set(utilization);
  for (const l of latencies) m.endToEndLatency.observe(l);
  // Through JSON, as the IPC channel carries it.
  return JSON.parse(JSON.stringify(await m.registry.getMetricsAsJSON())) as MetricJson[];
}

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('the definitions table decides; Node process metrics are per process', () => {
  expect(isPerProcess('turbine_pool_utilization_ratio')).toBe(true);
  expect(isPerProcess('turbine_kafka_broker_rtt_seconds')).toBe(true);
  expect(isPerProcess('turbine_records_consumed_total')).toBe(false);
  expect(isPerProcess('turbine_in_flight_bytes')).toBe(false);
  expect(isPerProcess('turbine_process_process_resident_memory_bytes')).toBe(true);
  expect(isPerProcess('turbine_supervisor_children')).toBe(false);
});

test('sums counters, gauges and histograms, and labels per-process series', async () => {
  const [a, b] = await Promise.all([processJson(600, 0.25, [0.01, 0.01]), processJson(400, 0.75, [0.2])]);
  const own = createSupervisorMetrics(new Registry());
  own.childRestarts.inc({ process: '1' });
  own.children.set(2);
  const registry = aggregateProcesses(
    [
      { process: '0', current: a, carried: [] },
      { process: '1', current: b, carried: [] },
    ],
    (await own.registry.getMetricsAsJSON()) as unknown as MetricJson[],
  );
  const text = await registry.metrics();
  expect(value(text, 'turbine_records_consumed_total{topic="in"}')).toBe(1000);
  expect(value(text, 'turbine_in_flight_records')).toBe(100);
  expect(value(text, 'turbine_pool_utilization_ratio{process="0"}')).toBe(0.25);
  expect(value(text, 'turbine_pool_utilization_ratio{process="1"}')).toBe(0.75);
  expect(value(text, 'turbine_pool_utilization_ratio')).toBeUndefined();
  expect(value(text, 'turbine_end_to_end_latency_seconds_count')).toBe(3);
  expect(value(text, 'turbine_end_to_end_latency_seconds_bucket{le="0.01"}')).toBe(2);
  expect(value(text, 'turbine_end_to_end_latency_seconds_bucket{le="+Inf"}')).toBe(3);
  expect(value(text, 'turbine_supervisor_child_restarts_total{process="1"}')).toBe(1);
  expect(value(text, 'turbine_supervisor_children')).toBe(2);
  // Every process's own figures, the supervisor's included, and none summed away.
  for (const p of ['0', '1', 'supervisor']) {
    expect(text).toMatch(new RegExp(`turbine_process_process_resident_memory_bytes\\{process="${p}"\\} \\d+`));
    expect(text).toMatch(new RegExp(`turbine_process_process_start_time_seconds\\{process="${p}"\\} \\d+`));
  }
  expect(text).toContain('# TYPE turbine_records_consumed_total counter');
});

test("a restarted process's counters add to what its earlier run reported", async () => {
  const before = await processJson(600, 0.5, [0.01]);
  const carried = carryCounters([], before);
  // Gauges of a process that is gone are not carried.
  expect(carried.map((m) => m.name)).not.toContain('turbine_in_flight_records');
  expect(carried.map((m) => m.name)).not.toContain('turbine_process_process_resident_memory_bytes');
  const after = await processJson(50, 0.5, [0.01]);
  const text = await aggregateProcesses([{ process: '0', current: after, carried }]).metrics();
  expect(value(text, 'turbine_records_consumed_total{topic="in"}')).toBe(650);
  expect(value(text, 'turbine_end_to_end_latency_seconds_count')).toBe(2);
  expect(value(text, 'turbine_in_flight_records')).toBe(5);
  // Carried twice (two crashes): both runs count.
  const twice = carryCounters(carried, after);
  const later = await aggregateProcesses([{ process: '0', current: undefined, carried: twice }]).metrics();
  expect(value(later, 'turbine_records_consumed_total{topic="in"}')).toBe(650);
});

test('labelProcess leaves summed metrics alone', async () => {
  const json = await processJson(1, 0.1, []);
  const labelled = labelProcess(json, '3');
  const consumed = labelled.find((m) => m.name === 'turbine_records_consumed_total')!;
  expect(consumed.values[0]!.labels).toEqual({ topic: 'in' });
  const ratio = labelled.find((m) => m.name === 'turbine_pool_utilization_ratio')!;
  expect(ratio.values[0]!.labels).toEqual({ process: '3' });
});
