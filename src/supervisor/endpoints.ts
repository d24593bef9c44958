/**
 * The supervisor's HTTP endpoints: the same routes as one engine's (observability/http-server.ts),
 * answered by asking every engine process over IPC and combining the answers. /metrics is the
 * aggregate (observability/metrics-aggregation.ts) plus the supervisor's own metrics; /healthz
 * is 200 only if every process is alive and healthy, /readyz only if every one is ready;
 * /status.json and /stats combine the processes' (observability/status-combine.ts); a state
 * query returns the owner's answer.
 */
import { basename } from 'node:path';
import type { TurbineConfig } from '../config/load.js';
import type { EngineStats, StateQueryAnswer } from '../observability/engine-view.js';
import type { HttpEndpoints, ProbeAnswer } from '../observability/http-server.js';
import { aggregateProcesses, carryCounters, type MetricJson } from '../observability/metrics-aggregation.js';
import type { StatusEvent } from '../observability/recent-events.js';
import type { Status } from '../observability/status.js';
import {
  type CarriedTotals,
  carryTotals,
  combinedState,
  combineStats,
  combineStatus,
  NO_TOTALS,
  type ProcessEntry,
  type ProcessReport,
} from '../observability/status-combine.js';
import type { SupervisorMetrics } from '../observability/supervisor-metrics.js';
import type { Question, StateQuestion } from './ipc.js';

/** Probes answer within the Kubernetes probe timeout (3 s in deploy/kubernetes). */
const PROBE_TIMEOUT_MS = 2_000;
const REPORT_TIMEOUT_MS = 5_000;

/** A running engine process as the endpoints ask it (child-handle.ts; fakes in unit tests). */
export interface Asker {
  readonly pid: number | undefined;
  readonly attached: boolean;
  readonly startedAt: number;
  ask(question: Question, timeoutMs: number, state?: StateQuestion): Promise<unknown>;
}

/** What each process last reported, and what its earlier runs left (counters carried over a restart). */
export class ProcessFigures {
  lastMetrics: MetricJson[] | undefined;
  carriedMetrics: MetricJson[] = [];
  lastStatus: Status | undefined;
  carriedTotals: CarriedTotals = NO_TOTALS;

  /** The process exited: its last counters become part of what its successors add to. */
  carry(): void {
    if (this.lastMetrics) this.carriedMetrics = carryCounters(this.carriedMetrics, this.lastMetrics);
    this.carriedTotals = carryTotals(this.carriedTotals, this.lastStatus);
    this.lastMetrics = undefined;
    this.lastStatus = undefined;
  }
}

export interface SupervisedProcess {
  readonly index: number;
  /** Worker threads: its share of poolSize. */
  readonly threads: number;
  readonly restarts: number;
  readonly lastExit: ProcessEntry['lastExit'];
  /** Undefined while it is not running (waiting for a restart, or exited on stop). */
  readonly handle: Asker | undefined;
  readonly figures: ProcessFigures;
}

export interface SupervisorView {
  readonly processes: readonly SupervisedProcess[];
  readonly stopping: boolean;
  readonly config: Pick<
    TurbineConfig,
    'input' | 'output' | 'group' | 'worker' | 'maxInFlightRecords' | 'stateStore' | 'advertisedUrl'
  >;
  readonly metrics: SupervisorMetrics;
  /** The supervisor's own events (exits, restarts), newest first. */
  events(): StatusEvent[];
}

/** Each running, attached process's answer (undefined where it did not answer in time). */
async function askAll<T>(
  view: SupervisorView,
  question: Question,
  timeoutMs: number,
  state?: StateQuestion,
): Promise<Array<T | undefined>> {
  return Promise.all(
    view.processes.map((p) =>
      p.handle?.attached
        ? (p.handle.ask(question, timeoutMs, state) as Promise<T>).catch(() => undefined)
        : Promise.resolve(undefined),
    ),
  );
}

/** A process counts as alive from its fork until it exits; one still attaching is starting. */
async function probe(view: SupervisorView, question: 'health' | 'ready'): Promise<ProbeAnswer> {
  const answers = await askAll<ProbeAnswer>(view, question, PROBE_TIMEOUT_MS);
  const processes = view.processes.map((p, i) => {
    const a = answers[i];
    const starting = p.handle !== undefined && !p.handle.attached;
    // Liveness: a process that is still attaching is alive; readiness: it is not ready yet.
    const ok = a ? a.ok : starting && question === 'health';
    const state = a ? a.body.state : p.handle ? (p.handle.attached ? 'unresponsive' : 'starting') : 'down';
    return { process: p.index, pid: p.handle?.pid ?? null, ok, ...(a?.body ?? {}), state, restarts: p.restarts };
  });
  const ok = processes.every((p) => p.ok);
  const state = combinedState(
    processes.map((p) => String(p.state)),
    view.stopping,
  );
  return { ok, body: { ok, state, processes } };
}

/**
 * The answer to a state query from several processes: the owner's (200, or its 404/503 with the
 * key's partition), else a redirect to another instance, else 421; a redirect back to this
 * container (its owner is a process here that did not answer) comes last.
 */
export function bestStateAnswer(answers: readonly StateQueryAnswer[], ownUrl: string): StateQueryAnswer {
  const rank = (a: StateQueryAnswer): number => {
    if (a.status === 200) return 0;
    if (a.status === 503 || (a.status === 404 && 'partition' in a.body)) return 1;
    const home = ownUrl !== '' && a.location?.startsWith(`${ownUrl}/`) === true;
    if (a.status === 307 && !home) return 2;
    if (a.status === 421) return 3;
    if (a.status === 307) return 4;
    return 5;
  };
  const best = [...answers].sort((a, b) => rank(a) - rank(b))[0];
  return best ?? { status: 503, body: { error: 'no engine process answered; retry' } };
}

export function supervisorEndpoints(view: SupervisorView): HttpEndpoints {
  return {
    async metrics() {
      const answers = await askAll<MetricJson[]>(view, 'metrics', REPORT_TIMEOUT_MS);
      view.metrics.children.set(view.processes.filter((p) => p.handle).length);
      const inputs = view.processes.map((p, i) => {
        // One that did not answer in time keeps its last figures, so its counters do not dip.
        if (answers[i]) p.figures.lastMetrics = answers[i];
        return { process: String(p.index), current: p.figures.lastMetrics, carried: p.figures.carriedMetrics };
      });
      const own = (await view.metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[];
      const registry = aggregateProcesses(inputs, own);
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
    health: () => probe(view, 'health'),
    ready: () => probe(view, 'ready'),
    async stats() {
      const answers = await askAll<EngineStats>(view, 'stats', REPORT_TIMEOUT_MS);
      const entries = view.processes.map((p, i) => ({ index: p.index, pid: p.handle?.pid ?? null, stats: answers[i] }));
      return combineStats(entries, view.stopping);
    },
    async status() {
      const answers = await askAll<ProcessReport>(view, 'status', REPORT_TIMEOUT_MS);
      const entries: ProcessEntry[] = view.processes.map((p, i) => {
        const report = answers[i];
        if (report) p.figures.lastStatus = report.status;
        return {
          index: p.index,
          pid: p.handle?.pid ?? null,
          alive: p.handle !== undefined,
          threads: p.threads,
          restarts: p.restarts,
          startedAt: p.handle?.startedAt ?? null,
          lastExit: p.lastExit,
          carried: p.figures.carriedTotals,
          report,
        };
      });
      const { input, output, group, worker, maxInFlightRecords } = view.config;
      const base = { input, output, group, worker: basename(worker), maxInFlightRecords };
      return combineStatus(entries, { ...base, time: Date.now(), stopping: view.stopping, events: view.events() });
    },
    ...(view.config.stateStore === ''
      ? {}
      : {
          async state(store: string, key: string, redirected: boolean) {
            const question = { store, key, redirected };
            const answers = await askAll<StateQueryAnswer>(view, 'state', PROBE_TIMEOUT_MS, question);
            const given = answers.filter((a): a is StateQueryAnswer => a !== undefined);
            return bestStateAnswer(given, view.config.advertisedUrl);
          },
        }),
  };
}
