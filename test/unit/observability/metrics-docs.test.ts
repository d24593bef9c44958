/** Every metric is declared with help text, builds into a registry, and is listed in the README. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createMetrics, METRIC_DEFINITIONS } from '../../../src/observability/metrics';

test('each metric has help text and appears in the README metrics table', async () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  for (const def of Object.values(METRIC_DEFINITIONS)) {
    expect(def.help.length).toBeGreaterThan(20);
    expect(readme).toContain(`\`${def.name}\``);
  }
  const metrics = createMetrics(new Registry(), false);
  metrics.recordsConsumed.inc({ topic: 't' }, 3);
  const text = await metrics.registry.metrics();
  expect(text).toContain('turbine_records_consumed_total{topic="t"} 3');
});
