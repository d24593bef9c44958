/**
 * The status tracker builds /status.json from the engine's snapshot (owned and paused
 * partitions included) and metrics, and keeps rebalances, dead letters and errors (observed
 * without swallowing them) in its recent-events ring.
 */
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import type { EngineStats } from '../../../src/engine';
import { TurbineError } from '../../../src/errors';
import { createMetrics } from '../../../src/observability/metrics';
import { describePartitions, type StatusSource, StatusTracker } from '../../../src/observability/status';

function fakeEngine() {
  const stats: EngineStats = {
    state: 'running',
    consumed: 1200,
    produced: 1100,
    deadLettered: 1,
    skipped: 0,
    parkedKeys: 0,
    producerRecoveries: 0,
    committedBatches: 4,
    workerTasks: 5,
    workerTaskBatches: 6,
    inFlightRecords: 100,
    inFlightBytes: 2048,
    peakInFlightRecords: 300,
    peakInFlightBytes: 4096,
    assignedPartitions: 0,
    pausedPartitions: 0,
    pauses: 2,
    threadsByPartition: { 'in:0': [1, 2] },
    stateKeys: 0,
    restoringPartitions: 0,
    partitions: [],
  };
  const emitter = new EventEmitter();
  const source = Object.assign(emitter, {
    config: {
      input: 'in',
      output: 'out',
      group: 'g',
      worker: '/x/workers/spin.js',
      poolSize: 2,
      maxInFlightRecords: 1000,
      stateStore: '',
    },
    metrics: createMetrics(new Registry(), false),
    snapshot: () => stats,
  }) satisfies StatusSource;
  return { source, stats };
}

const tps = (...partitions: number[]) => partitions.map((partition) => ({ topic: 'in', partition }));
const owned = (...entries: Array<[number, boolean]>) =>
  entries.map(([partition, paused]) => ({ topic: 'in', partition, paused }));

test('describes partitions grouped by topic, sorted', () => {
  expect(describePartitions([...tps(2, 0), { topic: 'b', partition: 1 }])).toBe('in [0, 2], b [1]');
});

test('reports counters, per-partition lag and pauses, and latency quantiles', async () => {
  const { source, stats } = fakeEngine();
  const tracker = new StatusTracker(source);
  source.emit('assigned', tps(0, 1, 2));
  source.metrics.consumerLag.set({ topic: 'in', partition: '0' }, 40);
  source.metrics.consumerLag.set({ topic: 'in', partition: '2' }, 7);
  source.metrics.poolUtilization.set(0.75);
  for (let i = 0; i < 100; i++) source.metrics.endToEndLatency.observe(0.02);
  for (let i = 0; i < 5; i++) source.metrics.taskDuration.observe(0.1);
  stats.partitions = owned([0, true], [1, false], [2, true]);

  const status = await tracker.read();
  expect(status).toMatchObject({
    state: 'running',
    input: 'in',
    worker: 'spin.js',
    consumed: 1200,
    maxInFlightRecords: 1000,
    pool: { threads: 2, utilization: 0.75, queueDepth: 0, busySeconds: 0.5 },
  });
  expect(status.latency.endToEnd.p50).toBeGreaterThan(0.01);
  expect(status.latency.endToEnd.p99).toBeLessThanOrEqual(0.025);
  expect(status.partitions).toEqual([
    { topic: 'in', partition: 0, lag: 40, paused: true, threads: [1, 2] },
    { topic: 'in', partition: 1, lag: null, paused: false, threads: [] },
    { topic: 'in', partition: 2, lag: 7, paused: true, threads: [] },
  ]);

  // Assigned while backpressure holds: the engine pauses them without a 'paused' event, and the
  // snapshot shows it.
  source.emit('revoked', tps(2));
  source.emit('assigned', tps(3));
  stats.partitions = owned([0, true], [1, false], [3, true]);
  const after = await tracker.read();
  expect(after.partitions.map((p) => [p.partition, p.paused])).toEqual([
    [0, true],
    [1, false],
    [3, true],
  ]);
  expect(after.events.map((e) => `${e.kind} ${e.message}`)).toEqual([
    'assigned in [3]',
    'revoked in [2]',
    'assigned in [0, 1, 2]',
  ]);
});

test('records dead letters and errors, and still lets an unhandled error throw', async () => {
  const { source } = fakeEngine();
  const tracker = new StatusTracker(source, 2);
  source.emit('deadLettered', { topic: 'in', partition: 1, offset: 42, code: 'WORKER_ERROR' });
  expect(() => source.emit('error', new TurbineError('INVARIANT_VIOLATION', 'boom'))).toThrow('boom');
  const { events } = await tracker.read();
  expect(events.map((e) => [e.kind, e.message])).toEqual([
    ['error', 'INVARIANT_VIOLATION: boom'],
    ['dead-letter', 'in [1] offset 42: WORKER_ERROR'],
  ]);
  tracker.dispose();
  expect(source.listenerCount('deadLettered')).toBe(0);
  expect(source.listenerCount('assigned')).toBe(0);
});

test('shows no keyed state without a store, and the store, its restore and the instances with one', async () => {
  const { source, stats } = fakeEngine();
  expect((await new StatusTracker(source).read()).keyedState).toBeNull();
  const instances = [
    { id: 'a-1', url: 'http://10.0.0.7:9464', partitions: [0, 2], topic: 'in', store: 'levels', at: 1 },
  ];
  const stateful = Object.assign(source, {
    config: { ...source.config, stateStore: 'levels' },
    knownInstances: () => instances,
  });
  stats.stateKeys = 1500;
  stats.restoringPartitions = 1;
  stateful.metrics.stateRestoredRecords.inc(4200);
  const tracker = new StatusTracker(stateful);
  expect((await tracker.read()).keyedState).toEqual({
    store: 'levels',
    keys: 1500,
    restoringPartitions: 1,
    restoredRecords: 4200,
    instances,
  });
  tracker.dispose();
});
