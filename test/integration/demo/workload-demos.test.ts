/**
 * The demo's real payload workloads end to end: generated images through the thumbnail worker
 * and generated reviews through the text worker. Each exits 0 only when nothing is lost or
 * reordered and the records sent corrupt are exactly the dead-lettered ones. A workload name
 * it does not know is refused with the accepted ones, exit 2.
 */
import { runTurbine } from '../../helpers/cli';

jest.setTimeout(240_000);

interface Summary {
  records: number;
  workload: string;
  outputs: number;
  corruptSent: number;
  deadLettered: number;
  inputMB: number;
  verify: { lost: number; deadLettered?: number; duplicates: number; orderViolations: number };
}

test.each([
  ['image', '80'],
  ['text', '3000'],
])(
  'turbine demo --workload %s: outputs for every good record, exactly the corrupt ones dead-lettered',
  (workload, count) => {
    const r = runTurbine('demo', ['--workload', workload, '--count', count, '--partitions', '3'], 200_000);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
    expect(summary).toMatchObject({ workload, records: Number(count) });
    expect(summary.inputMB).toBeGreaterThan(0);
    expect(summary.deadLettered).toBe(summary.corruptSent);
    expect(summary.outputs).toBe(summary.records - summary.corruptSent);
    // The verifier reads the dead-letter topic: every corrupt record is found there, none is lost.
    expect(summary.verify).toMatchObject({
      duplicates: 0,
      orderViolations: 0,
      lost: 0,
      deadLettered: summary.corruptSent,
    });
    expect(r.stderr).toContain('→ OK');
  },
);

test('an unknown workload is refused, naming the flag and the accepted values', () => {
  const r = runTurbine('demo', ['--workload', 'video']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--workload/);
  expect(r.stderr).toMatch(/inventory.*image.*text/);
});
