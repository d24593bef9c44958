/** The Grafana dashboard only queries metric names the engine exports. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_DEFINITIONS } from '../../../src/observability/metrics';

test('every expression in deploy/grafana/turbine-dashboard.json uses exported metrics', () => {
  const dashboard = JSON.parse(
    readFileSync(join(__dirname, '..', '..', '..', 'deploy', 'grafana', 'turbine-dashboard.json'), 'utf8'),
  ) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const exported = new Set<string>();
  for (const d of Object.values(METRIC_DEFINITIONS)) {
    exported.add(d.name);
    if (d.type === 'histogram') exported.add(`${d.name}_bucket`);
  }
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  expect(exprs.length).toBeGreaterThanOrEqual(10);
  for (const expr of exprs) {
    for (const name of expr.match(/turbine_[a-z_]+/g) ?? []) expect(exported).toContain(name);
  }
});
