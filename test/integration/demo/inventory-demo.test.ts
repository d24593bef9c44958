/**
 * The quick start's demo, small: load generator + engine + inventory worker with keyed state and
 * exactly-once + verifier. It exits 0, nothing is lost or out of order, and every SKU/warehouse's
 * last level and state-store level equal the start value plus the sum of its movements.
 */
import { runTurbine } from '../../helpers/cli';

jest.setTimeout(180_000);

test('turbine demo (inventory): verified, and every stock level matches its movements', () => {
  const r = runTurbine('demo', ['--count', '3000', '--rate', '0', '--partitions', '3'], 150_000);
  expect(r.stderr).toContain('state:');
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    records: number;
    workload: string;
    verify: { lost: number; duplicates: number; orderViolations: number };
    inventory: { levels: number; outputMismatches: number; stateMismatches: number };
    changelogRecords: number;
  };
  expect(summary).toMatchObject({ records: 3000, workload: 'inventory' });
  expect(summary.verify).toMatchObject({ lost: 0, duplicates: 0, orderViolations: 0 });
  expect(summary.inventory.levels).toBeGreaterThan(0);
  expect(summary.inventory).toMatchObject({ outputMismatches: 0, stateMismatches: 0 });
  expect(summary.changelogRecords).toBeGreaterThan(0);
  expect(r.stderr).toMatch(/state: .*all match/);
});
