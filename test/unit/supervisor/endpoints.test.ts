/**
 * The supervisor's endpoints ask every engine process and combine: /healthz is 200 only if every
 * process is alive and healthy, /readyz only if every one is ready, /metrics keeps a silent
 * process's last figures and a restarted one's earlier counters, and a state query returns the
 * owner's answer.
 */
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createSupervisorMetrics } from '../../../src/observability/supervisor-metrics.js';
import {
  type Asker,
  bestStateAnswer,
  ProcessFigures,
  type SupervisedProcess,
  type SupervisorView,
  supervisorEndpoints,
} from '../../../src/supervisor/endpoints.js';
import type { Question } from '../../../src/supervisor/ipc.js';

type Answers = Partial<Record<Question, unknown>>;

function asker(pid: number, answers: Answers | 'silent', attached = true): Asker {
  return {
    pid,
    attached,
    startedAt: 1,
    ask: (question: Question) =>
      answers === 'silent' || !(question in answers)
        ? Promise.reject(new Error('timed out'))
        : Promise.resolve(answers[question]),
  };
}

function proc(index: number, handle: Asker | undefined): SupervisedProcess & { handle: Asker | undefined } {
  return { index, threads: 1, restarts: 0, lastExit: null, handle, figures: new ProcessFigures() };
}

function view(processes: SupervisedProcess[], stateStore = ''): SupervisorView {
  return {
    processes,
    stopping: false,
    config: {
      input: 'in',
      output: 'out',
      group: 'g',
      worker: '/w/spin.js',
      maxInFlightRecords: 10,
      stateStore,
      advertisedUrl: 'http://me:9464',
    },
    metrics: createSupervisorMetrics(new Registry(), false),
    events: () => [],
  };
}

const healthy = { ok: true, body: { ok: true, state: 'running' } };
const sick = { ok: false, body: { ok: false, state: 'running', consumeLoopIdleMs: 61_000 } };

test('/healthz: every process alive and healthy; one still attaching counts as alive', async () => {
  const endpoints = (...ps: SupervisedProcess[]) => supervisorEndpoints(view(ps));
  expect((await endpoints(proc(0, asker(1, { health: healthy })), proc(1, asker(2, {}, false))).health()).ok).toBe(
    true,
  );
  const down = await endpoints(proc(0, asker(1, { health: healthy })), proc(1, undefined)).health();
  expect(down.ok).toBe(false);
  expect(down.body.processes).toEqual([
    { process: 0, pid: 1, ok: true, state: 'running', restarts: 0 },
    { process: 1, pid: null, ok: false, state: 'down', restarts: 0 },
  ]);
  expect((await endpoints(proc(0, asker(1, { health: sick }))).health()).ok).toBe(false);
  const silent = await endpoints(proc(0, asker(1, 'silent'))).health();
  expect(silent.ok).toBe(false);
  expect((silent.body.processes as Array<{ state: string }>)[0]!.state).toBe('unresponsive');
});

test('/readyz: every process ready; one still attaching is not', async () => {
  const ready = { ok: true, body: { ok: true, state: 'running', assignedPartitions: 2 } };
  const endpoints = (...ps: SupervisedProcess[]) => supervisorEndpoints(view(ps));
  expect((await endpoints(proc(0, asker(1, { ready })), proc(1, asker(2, { ready }))).ready()).ok).toBe(true);
  expect((await endpoints(proc(0, asker(1, { ready })), proc(1, asker(2, {}, false))).ready()).ok).toBe(false);
});

test('/metrics: a silent process keeps its last figures; an exited one its counters', async () => {
  const m = createMetrics(new Registry(), false);
  m.recordsConsumed.inc({ topic: 'in' }, 10);
  const json = JSON.parse(JSON.stringify(await m.registry.getMetricsAsJSON()));
  const p0 = proc(0, asker(1, { metrics: json }));
  const p1 = proc(1, asker(2, { metrics: json }));
  const endpoints = supervisorEndpoints(view([p0, p1]));
  const consumed = async () => {
    const { text } = await endpoints.metrics();
    return text.split('\n').find((l) => l.startsWith('turbine_records_consumed_total'));
  };
  expect(await consumed()).toBe('turbine_records_consumed_total{topic="in"} 20');
  p1.handle = asker(2, 'silent');
  expect(await consumed()).toBe('turbine_records_consumed_total{topic="in"} 20');
  // Process 1 exits: its counters are carried, and its successor starts from zero.
  p1.figures.carry();
  p1.handle = undefined;
  expect(await consumed()).toBe('turbine_records_consumed_total{topic="in"} 20');
  const fresh = createMetrics(new Registry(), false);
  fresh.recordsConsumed.inc({ topic: 'in' }, 1);
  p1.handle = asker(3, { metrics: JSON.parse(JSON.stringify(await fresh.registry.getMetricsAsJSON())) });
  expect(await consumed()).toBe('turbine_records_consumed_total{topic="in"} 21');
  const { text } = await endpoints.metrics();
  expect(text).toContain('turbine_supervisor_children 2');
});

test('state queries: no route without a store; the owner answers', async () => {
  expect(supervisorEndpoints(view([proc(0, asker(1, {}))])).state).toBeUndefined();
  const owner = { status: 200, body: { key: 'k', value: 3, partition: 1 } };
  const other = { status: 307, body: { key: 'k', partition: 1 }, location: 'http://me:9464/state/s/k?redirected=1' };
  const endpoints = supervisorEndpoints(
    view([proc(0, asker(1, { state: other })), proc(1, asker(2, { state: owner }))], 's'),
  );
  expect(await endpoints.state!('s', 'k', false)).toEqual(owner);
});

test('the best state answer: the owner, then a redirect elsewhere, then 421, then a redirect back here', () => {
  const here = { status: 307, body: {}, location: 'http://me:9464/state/s/k?redirected=1' };
  const elsewhere = { status: 307, body: {}, location: 'http://other:9464/state/s/k?redirected=1' };
  const unknown = { status: 421, body: { partition: 1 } };
  const restoring = { status: 503, body: { partition: 1 } };
  const missing = { status: 404, body: { partition: 1 } };
  expect(bestStateAnswer([here, unknown, elsewhere], 'http://me:9464')).toBe(elsewhere);
  expect(bestStateAnswer([here, unknown], 'http://me:9464')).toBe(unknown);
  expect(bestStateAnswer([here], 'http://me:9464')).toBe(here);
  expect(bestStateAnswer([elsewhere, restoring], 'http://me:9464')).toBe(restoring);
  expect(bestStateAnswer([unknown, missing], 'http://me:9464')).toBe(missing);
  expect(bestStateAnswer([], 'http://me:9464').status).toBe(503);
});
