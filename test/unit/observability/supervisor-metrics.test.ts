/** The supervisor's metrics are declared like the engine's, listed in the README, and build into a registry. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { METRIC_DEFINITIONS } from '../../../src/observability/metrics.js';
import {
  createSupervisorMetrics,
  SUPERVISOR_METRIC_DEFINITIONS,
} from '../../../src/observability/supervisor-metrics.js';

test('each supervisor metric has help text and is in the README table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  for (const def of Object.values(SUPERVISOR_METRIC_DEFINITIONS)) {
    expect(def.help.length).toBeGreaterThan(20);
    expect(readme).toContain(`| \`${def.name}\` |`);
  }
});

test('every engine metric says how several processes combine it, and the README says it too', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  for (const def of Object.values(METRIC_DEFINITIONS)) {
    expect(['sum', 'per-process']).toContain(def.aggregate);
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${def.name}\` |`));
    expect(row).toContain(def.aggregate === 'sum' ? '| sum |' : '| per process |');
  }
});

test('builds, with its own process metrics labelled supervisor', async () => {
  const m = createSupervisorMetrics(new Registry());
  m.childRestarts.inc({ process: '0' });
  m.children.set(3);
  const text = await m.registry.metrics();
  expect(text).toContain('turbine_supervisor_child_restarts_total{process="0"} 1');
  expect(text).toContain('turbine_supervisor_children 3');
  expect(text).toMatch(/turbine_process_process_resident_memory_bytes\{process="supervisor"\} \d+/);
});
