/**
 * The inventory demo through the schema registry: movements go out as Avro with the id their
 * schema got under <input>-value, the engine and the inventory check decode them with the schema
 * fetched by that id, and the demo's usual verification holds (nothing lost, levels match).
 */
import { runTurbine } from '../../helpers/cli';
import { REGISTRY_URL, requireRegistry } from '../../helpers/registry';

jest.setTimeout(180_000);

test('turbine demo --schema-registry: verified, every stock level matches its movements', async () => {
  await requireRegistry();
  const r = runTurbine(
    'demo',
    ['--count', '3000', '--rate', '0', '--partitions', '3', '--schema-registry', REGISTRY_URL],
    150_000,
  );
  expect(r.stderr).toMatch(/schema registry: movements carry schema id \d+/);
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    records: number;
    deadLettered: number;
    verify: { lost: number; duplicates: number; orderViolations: number };
    inventory: { levels: number; outputMismatches: number; stateMismatches: number; skipped: number };
  };
  expect(summary).toMatchObject({ records: 3000, deadLettered: 0 });
  expect(summary.verify).toMatchObject({ lost: 0, duplicates: 0, orderViolations: 0 });
  expect(summary.inventory).toMatchObject({ outputMismatches: 0, stateMismatches: 0, skipped: 0 });
  expect(summary.inventory.levels).toBeGreaterThan(0);
});

test('turbine demo --schema-registry with another workload is exit 2 naming the flag', () => {
  const r = runTurbine('demo', ['--workload', 'text', '--schema-registry', REGISTRY_URL]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('--schema-registry applies to --workload inventory only');
});
