/**
 * The high-throughput container section (issue 15) judges its two targets from the medians of
 * its runs, names the measured cause when one is missed, and replaces only its own part of
 * RESULTS.md.
 */
import {
  CONTAINER_END,
  CONTAINER_START,
  type ContainerReport,
  containerTargets,
  renderContainerSection,
  replaceContainerSection,
} from '../../../benchmarks/harness/container-section';
import { fixtureReport } from './report-fixture';

function section(turbineMainUs: number[], turbinePerSec: number[], kcat: number[]): ContainerReport {
  const runs = (main: number[], perSec: number[]) =>
    main.map((m, i) => ({ mainUs: m, processUs: m * 2, perSec: perSec[i]! }));
  return {
    env: fixtureReport().env,
    command: 'npm run bench -- --only container',
    quick: false,
    runs: 3,
    partitions: 12,
    poolSize: 2,
    records: 100_000,
    valueSize: 1024,
    mainThread: [
      { system: 'turbine', runs: runs(turbineMainUs, turbinePerSec) },
      { system: 'turbine-stock', runs: runs([27, 28, 29], [20_000, 21_000, 22_000]) },
      { system: 'bare', runs: runs([18, 19, 20], [30_000, 31_000, 32_000]) },
    ],
    kcat: { runs: kcat },
    processes: [
      { w: 0, processes: 1, records: 100_000, runs: [25_000, 26_000, 24_000] },
      { w: 0, processes: 2, records: 100_000, runs: [30_000, 31_000, 32_000] },
      { w: 100, processes: 1, records: 30_000, runs: [15_000] },
      { w: 100, processes: 2, records: 30_000, runs: [], notRun: 'engine exited' },
    ],
    durationMs: 60_000,
  };
}

test('targets met: the medians are within 12 µs and at or above 0.6× kcat', () => {
  const [main, kcat] = containerTargets(section([30, 11, 12], [60_000, 70_000, 65_000], [100_000, 110_000, 90_000]));
  expect(main).toMatchObject({ status: 'met', cause: '–' });
  expect(main!.measured).toContain('12.0 µs');
  expect(kcat).toMatchObject({ status: 'met', measured: '0.65× (65,000/s vs 100,000/s)' });
});

test('targets missed: the gap is shown with its measured cause', () => {
  const [main, kcat] = containerTargets(section([16, 17, 18], [30_000, 31_000, 32_000], [100_000]));
  expect(main).toMatchObject({ status: 'missed' });
  expect(main!.measured).toBe('17.0 µs (stock path 28.0, bare loop 19.0)');
  expect(main!.cause).toContain('bare loop alone costs 19.0 µs');
  expect(kcat).toMatchObject({ status: 'missed', measured: '0.31× (31,000/s vs 100,000/s)' });
  expect(kcat!.cause).toContain('34.0 µs of CPU per record');
});

test('not measured: without a section, or without a kcat run', () => {
  expect(containerTargets(null).map((v) => v.status)).toEqual(['not measured', 'not measured']);
  const s = section([10], [50_000], []);
  s.kcat.notRun = 'kcat not installed';
  expect(containerTargets(s)[1]).toMatchObject({ status: 'not measured', measured: 'kcat kcat not installed' });
});

test('the section shows every system, the processes ratios and why a row did not run', () => {
  const text = renderContainerSection(section([10, 11, 12], [60_000, 61_000, 62_000], [100_000]));
  expect(text).toContain(
    '| Turbine (native batch path, the default) | 10.0, 11.0, 12.0 | 11.0 | 22.0 | 61,000 | 0.61× |',
  );
  expect(text).toContain('| 0 | 2 | 100,000 | 30,000, 31,000, 32,000 | 31,000 | 1.24× |');
  expect(text).toContain('not run: engine exited');
});

test('replacing the section keeps the rest of RESULTS.md', () => {
  const s = section([10], [50_000], [100_000]);
  const doc = `# Results\n\n${CONTAINER_START}\nold\n${CONTAINER_END}\n\n## Closing note\n\n- kept\n`;
  const next = replaceContainerSection(doc, s);
  expect(next).not.toContain('\nold\n');
  expect(next).toContain('## 10. A high-throughput container (issue 15)');
  expect(next.endsWith('## Closing note\n\n- kept\n')).toBe(true);
  // A file from before the section existed gets it before its closing note.
  const older = replaceContainerSection('# Results\n\n## Closing note\n\n- kept\n', s);
  expect(older.indexOf(CONTAINER_START)).toBeLessThan(older.indexOf('## Closing note'));
});

test('worker-side cost: one row per format, a column per figure (medians over the rounds), or why it is missing', () => {
  const row = (format: 'json' | 'raw', base: number) => ({
    format,
    unpackUs: base,
    decodeUs: base + 1,
    userUs: base + 2,
    encodeUs: base + 3,
    partUs: base + 4,
    gcUs: base + 5,
    poolProcessUs: base + 6,
    poolMainUs: base + 7,
    poolWorkerUs: base + 8,
    poolBeyondSpinUs: base + 9,
  });
  const report = (base: number) => ({
    records: 500,
    batches: 200,
    valueSize: 1024,
    rows: [row('json', base), row('raw', base + 10)],
  });
  const text = renderContainerSection({ ...section([10], [60_000], [100_000]), workerCost: [report(0), report(2)] });
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('| format |'))!;
  const json = lines.find((l) => l.startsWith('| json |'))!;
  expect(header.split('|')).toHaveLength(json.split('|').length);
  expect(json).toBe('| json | 1.00 | 2.00 | 3.00 | 4.00 | 5.00 | 6.00 | 7.00 | 8.00 | 9.00 | 10.00 |');
  expect(lines.find((l) => l.startsWith('| raw |'))).toContain('| 11.00 |');
  const missing = renderContainerSection({ ...section([10], [60_000], [100_000]), workerCostNotRun: 'exit 1' });
  expect(missing).toContain('Not measured: exit 1');
});
