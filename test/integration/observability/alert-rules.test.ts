/**
 * The shipped Prometheus alert rules are valid for Prometheus's own checker, and every metric
 * they use is one the engine exports.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_DEFINITIONS } from '../../../src/observability/metrics';
import { ROOT } from '../../helpers/kafka';

const rules = join(ROOT, 'deploy', 'prometheus', 'turbine-alerts.yml');

test('promtool check rules accepts deploy/prometheus/turbine-alerts.yml', () => {
  const result = spawnSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
  expect(result.stderr + result.stdout).toContain('SUCCESS: 5 rules found');
  expect(result.status).toBe(0);
});

test('the rules only use exported metric names', () => {
  const names = new Set(Object.values(METRIC_DEFINITIONS).map((d) => d.name));
  const used = readFileSync(rules, 'utf8').match(/turbine_[a-z_]+/g) ?? [];
  expect(used.length).toBeGreaterThan(0);
  for (const name of used) expect(names).toContain(name);
});
