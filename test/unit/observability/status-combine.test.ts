/**
 * The supervisor's /status.json and /stats add the engine processes' figures, list partitions
 * with their process, merge events newest first, compute quantiles from the summed buckets, and
 * say per process how it is doing; totals of a restarted process's earlier run are kept.
 */
import { Registry } from 'prom-client';
import type { EngineStats } from '../../../src/observability/engine-view.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import type { MetricValueJson } from '../../../src/observability/metrics-aggregation.js';
import type { Status } from '../../../src/observability/status.js';
import {
  carryTotals,
  combinedState,
  combineStats,
  combineStatus,
  NO_TOTALS,
  type ProcessEntry,
  summedBuckets,
} from '../../../src/observability/status-combine.js';

function status(over: Partial<Status>): Status {
  return {
    time: 1,
    state: 'running',
    input: 'in',
    output: 'out',
    group: 'g',
    worker: 'spin.js',
    consumed: 0,
    produced: 0,
    deadLettered: 0,
    inFlightRecords: 0,
    maxInFlightRecords: 1000,
    inFlightBytes: 0,
    pauses: 0,
    pool: { threads: 1, queueDepth: 0, busySeconds: 0, utilization: 0 },
    latency: { endToEnd: { p50: null, p99: null }, task: { p50: null, p99: null } },
    partitions: [],
    keyedState: null,
    events: [],
    ...over,
  };
}

async function latency(values: number[]): Promise<MetricValueJson[]> {
  const m = createMetrics(new Registry(), false);
  for (const v of values) m.endToEndLatency.observe(v);
  return JSON.parse(JSON.stringify((await m.endToEndLatency.get()).values)) as MetricValueJson[];
}

function entry(index: number, over: Partial<ProcessEntry>): ProcessEntry {
  return {
    index,
    pid: 100 + index,
    alive: true,
    threads: 2,
    restarts: 0,
    startedAt: 5,
    lastExit: null,
    carried: NO_TOTALS,
    report: undefined,
    ...over,
  };
}

const container = { time: 99, input: 'in', output: 'out', group: 'g', worker: 'spin.js', maxInFlightRecords: 1000 };

test('one state for the container', () => {
  expect(combinedState(['running', 'running'], false)).toBe('running');
  expect(combinedState(['running', 'starting'], false)).toBe('starting');
  expect(combinedState(['running', 'down'], false)).toBe('starting');
  expect(combinedState(['draining', 'closed'], true)).toBe('draining');
  expect(combinedState(['closed', 'closed'], true)).toBe('closed');
});

test('sums buckets across processes', async () => {
  const buckets = summedBuckets([await latency([0.01, 0.01]), await latency([5])]);
  expect(buckets.find((b) => b.le === 0.01)?.count).toBe(2);
  expect(buckets.find((b) => b.le === Number.POSITIVE_INFINITY)?.count).toBe(3);
});

test('combines the processes into the container status', async () => {
  const a = status({
    consumed: 600,
    produced: 590,
    inFlightRecords: 10,
    pool: { threads: 2, queueDepth: 1, busySeconds: 3, utilization: 0.5 },
    partitions: [{ topic: 'in', partition: 2, lag: 5, paused: false, threads: [1] }],
    events: [{ time: 10, kind: 'assigned', message: 'in [2]' }],
  });
  const b = status({
    consumed: 400,
    produced: 400,
    pool: { threads: 2, queueDepth: 0, busySeconds: 1, utilization: 1 },
    partitions: [{ topic: 'in', partition: 0, lag: 0, paused: true, threads: [2] }],
    events: [{ time: 20, kind: 'assigned', message: 'in [0]' }],
  });
  const entries = [
    entry(0, { report: { status: a, latency: { endToEnd: await latency([0.01, 0.01]), task: [] } } }),
    entry(1, {
      restarts: 1,
      lastExit: { code: null, signal: 'SIGKILL', time: 15 },
      carried: { consumed: 100, produced: 90, deadLettered: 1, busySeconds: 2 },
      report: { status: b, latency: { endToEnd: await latency([0.01, 0.02]), task: [] } },
    }),
    entry(2, { alive: false, pid: null, restarts: 0, lastExit: { code: null, signal: 'SIGKILL', time: 30 } }),
  ];
  const events = [{ time: 30, kind: 'error' as const, message: 'process 2 exited' }];
  const s = combineStatus(entries, { ...container, stopping: false, events });
  expect(s).toMatchObject({
    state: 'starting',
    consumed: 1100,
    produced: 1080,
    deadLettered: 1,
    inFlightRecords: 10,
    maxInFlightRecords: 3000,
    pool: { threads: 6, queueDepth: 1, busySeconds: 6 },
  });
  expect(s.pool.utilization).toBeCloseTo((0.5 * 2 + 1 * 2) / 6);
  expect(s.partitions.map((p) => [p.partition, p.process])).toEqual([
    [0, 1],
    [2, 0],
  ]);
  expect(s.events.map((e) => [e.time, e.process])).toEqual([
    [30, undefined],
    [20, 1],
    [10, 0],
  ]);
  expect(s.latency.endToEnd.p50).toBeLessThanOrEqual(0.01);
  expect(s.latency.endToEnd.p99).toBeGreaterThan(0.01);
  expect(s.processes?.map((p) => [p.index, p.state, p.pid, p.partitions, p.consumed, p.restarts])).toEqual([
    [0, 'running', 100, 1, 600, 0],
    [1, 'running', 101, 1, 400, 1],
    [2, 'down', null, 0, 0, 0],
  ]);
});

test('a process that did not answer is unresponsive; keyed state adds up', () => {
  const keyed = (keys: number, id: string) =>
    status({
      keyedState: {
        store: 'levels',
        keys,
        restoringPartitions: 0,
        restoredRecords: keys,
        instances: [{ id, url: 'http://h:9464', partitions: [0] }],
      },
    });
  const s = combineStatus(
    [
      entry(0, { report: { status: keyed(10, 'a'), latency: { endToEnd: [], task: [] } } }),
      entry(1, { report: { status: keyed(5, 'b'), latency: { endToEnd: [], task: [] } } }),
      entry(2, {}),
    ],
    { ...container, stopping: false, events: [] },
  );
  expect(s.processes?.[2]?.state).toBe('unresponsive');
  expect(s.keyedState).toMatchObject({ store: 'levels', keys: 15, restoredRecords: 15 });
  expect(s.keyedState?.instances.map((i) => i.id)).toEqual(['a', 'b']);
  expect(s.latency.endToEnd).toEqual({ p50: null, p99: null });
});

test("carries a finished run's totals", () => {
  const t = carryTotals(NO_TOTALS, status({ consumed: 7, produced: 6, deadLettered: 1 }));
  expect(carryTotals(t, status({ consumed: 3 }))).toEqual({
    consumed: 10,
    produced: 6,
    deadLettered: 1,
    busySeconds: 0,
  });
  expect(carryTotals(t, undefined)).toBe(t);
});

test('/stats sums numeric figures and lists each process', () => {
  const stats = (consumed: number, partition: number): EngineStats => ({
    state: 'running',
    consumed,
    produced: consumed,
    deadLettered: 0,
    skipped: 0,
    parkedKeys: 0,
    producerRecoveries: 0,
    committedBatches: 1,
    workerTasks: 1,
    workerTaskBatches: 1,
    inFlightRecords: 0,
    inFlightBytes: 0,
    peakInFlightRecords: 5,
    peakInFlightBytes: 0,
    assignedPartitions: 1,
    pausedPartitions: 0,
    pauses: 0,
    threadsByPartition: { [`in:${partition}`]: [1] },
    stateKeys: 0,
    restoringPartitions: 0,
    partitions: [{ topic: 'in', partition, paused: false }],
  });
  const s = combineStats(
    [
      { index: 0, pid: 1, stats: stats(3, 0) },
      { index: 1, pid: 2, stats: stats(4, 1) },
    ],
    false,
  );
  expect(s).toMatchObject({
    state: 'running',
    consumed: 7,
    produced: 7,
    assignedPartitions: 2,
    peakInFlightRecords: 10,
    peakInFlightBytes: 0,
  });
  expect(s.partitions).toEqual([
    { topic: 'in', partition: 0, paused: false, process: 0 },
    { topic: 'in', partition: 1, paused: false, process: 1 },
  ]);
  expect(Object.keys(s.threadsByPartition).sort()).toEqual(['in:0', 'in:1']);
  expect(s.processes.map((p) => [p.index, p.stats?.consumed])).toEqual([
    [0, 3],
    [1, 4],
  ]);
});
