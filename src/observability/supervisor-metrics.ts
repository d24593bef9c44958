/**
 * The metrics of the supervisor that `turbine run --processes N` starts (N > 1), declared like
 * the engine's (metrics.ts) and served on the same /metrics next to the processes' aggregate.
 * Its own Node process figures carry `process="supervisor"`.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { MetricDefinition } from './metrics.js';

export const SUPERVISOR_METRIC_DEFINITIONS = {
  childRestarts: {
    type: 'counter',
    name: 'turbine_supervisor_child_restarts_total',
    help: 'Supervisor (processes > 1): engine processes restarted after exiting without being asked to (a crash, kill -9, an out-of-memory kill), by process index. Its records since the last commit are processed again (at-least-once) or its transaction aborted (exactly-once); a rising count needs the logs.',
    labels: ['process'],
    aggregate: 'per-process',
  },
  children: {
    type: 'gauge',
    name: 'turbine_supervisor_children',
    help: 'Supervisor (processes > 1): engine processes alive now. Below the processes setting: one is waiting for its restart (backoff 1 s doubling to 30 s), and /healthz answers 503 meanwhile.',
    labels: [],
    aggregate: 'sum',
  },
} as const satisfies Record<string, MetricDefinition>;

export interface SupervisorMetrics {
  registry: Registry;
  childRestarts: Counter<string>;
  children: Gauge<string>;
}

export function createSupervisorMetrics(registry = new Registry(), defaults = true): SupervisorMetrics {
  if (defaults)
    collectDefaultMetrics({ register: registry, prefix: 'turbine_process_', labels: { process: 'supervisor' } });
  const { childRestarts, children } = SUPERVISOR_METRIC_DEFINITIONS;
  const common = { registers: [registry] };
  return {
    registry,
    childRestarts: new Counter({
      ...common,
      name: childRestarts.name,
      help: childRestarts.help,
      labelNames: [...childRestarts.labels],
    }),
    children: new Gauge({ ...common, name: children.name, help: children.help }),
  };
}
