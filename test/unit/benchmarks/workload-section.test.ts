// The real-workloads section of RESULTS.md: medians and ratios per round, CPU seconds by thread,
// the output checks, and replacing the section alone between its own markers.
import { renderResults } from '../../../benchmarks/harness/render-results';
import type {
  OutputCheck,
  WorkloadResult,
  WorkloadRun,
  WorkloadSystem,
  WorkloadSystemRow,
  WorkloadsReport,
} from '../../../benchmarks/harness/report';
import { SECTION_END, SECTION_START } from '../../../benchmarks/harness/scaling-doc';
import {
  cpuSeconds,
  nearestMedianRun,
  outputsCell,
  renderWorkloadsSection,
  replaceWorkloadsSection,
  roundRatio,
  rowMedians,
  WORKLOADS_END,
  WORKLOADS_HEADING,
  WORKLOADS_START,
} from '../../../benchmarks/harness/workload-section';
import { cpu, fixtureReport } from './report-fixture';

const check = (records: number, digest = 'aa', extra: Partial<OutputCheck> = {}): OutputCheck => ({
  outputs: records,
  sources: records,
  inWindow: records,
  duplicates: 0,
  withoutLineage: 0,
  invalid: 0,
  deadLettered: 0,
  digest,
  ...extra,
});

/** A run of `records` at `perSec`, 100 KB per record; cpu in cores over its window. */
function run(perSec: number, records = 2000, cores = { main: 0.1, workers: 1.6 }, digest = 'aa'): WorkloadRun {
  const breakdown = cpu({ ...cores, librdkafka: 0.05, broker: 0.2, rest: 0 }, records);
  breakdown.wallS = records / perSec;
  return {
    perSec,
    mbPerSec: (perSec * 100_000) / 1e6,
    ms: (records / perSec) * 1000,
    cpu: breakdown,
    peakRssMb: 300,
    check: check(records, digest),
  };
}

const systemRow = (system: WorkloadSystem, runs: WorkloadRun[], threads = 2): WorkloadSystemRow => ({
  system,
  threads,
  runs,
});

function imageResult(): WorkloadResult {
  return {
    workload: 'image',
    worker: 'dist/workers/thumbnail.js',
    valueFormat: 'raw',
    records: 2000,
    seed: 1,
    corruptRate: 0,
    corrupt: 0,
    inputBytes: 200_000_000,
    fillPerSec: 1300,
    rows: [
      systemRow('turbine', [run(200), run(250), run(240)]),
      systemRow('kafkajs-piscina', [run(100), run(200), run(120)]),
      systemRow('bare-loop', [run(100), run(125), run(150, 2000, { main: 0.1, workers: 0.9 }, 'bb')], 1),
    ],
  };
}

function workloadsReport(): WorkloadsReport {
  return {
    env: { ...fixtureReport().env, date: '2026-12-04T19:00:00.000Z', git: 'fed4321' },
    command: 'npm run bench -- --only workloads --out-dir benchmarks --runs 3',
    quick: false,
    runs: 3,
    partitions: 12,
    poolSize: 2,
    results: [imageResult()],
    durationMs: 6 * 60_000,
  };
}

describe('rowMedians, nearestMedianRun and roundRatio', () => {
  const [turbine, peer, bare] = imageResult().rows;

  it('takes the median records/s and MB/s, and the run nearest it', () => {
    expect(rowMedians(turbine!)).toEqual({ perSec: 240, mbPerSec: 24 });
    expect(nearestMedianRun(turbine!)?.perSec).toBe(240);
    expect(rowMedians(systemRow('turbine', []))).toEqual({ perSec: null, mbPerSec: null });
    expect(nearestMedianRun(systemRow('turbine', []))).toBeNull();
  });

  it('takes the median of the ratios within each round, not the ratio of the medians', () => {
    // 100/200, 200/250, 120/240: 0.5, 0.8, 0.5 → 0.5 (the ratio of the medians would be 0.5 too);
    // the bare loop: 0.5, 0.5, 0.625 → 0.5.
    expect(roundRatio(peer, turbine)).toBe(0.5);
    expect(roundRatio(turbine, bare)).toBe(2);
  });

  it('pairs only the rounds both rows ran (a row stops at its first failure)', () => {
    expect(roundRatio(systemRow('bare-loop', [run(100)]), turbine)).toBe(0.5);
    expect(roundRatio(systemRow('bare-loop', []), turbine)).toBeNull();
    expect(roundRatio(undefined, turbine)).toBeNull();
  });
});

describe('cpuSeconds', () => {
  it('turns cores over the window into CPU seconds per part, the whole process summed', () => {
    const c = cpuSeconds(run(200, 2000, { main: 0.1, workers: 1.6 }).cpu!);
    expect(c.wallS).toBe(10);
    expect(c.main).toBeCloseTo(1);
    expect(c.workers).toBeCloseTo(16);
    expect(c.librdkafka).toBeCloseTo(0.5);
    expect(c.process).toBeCloseTo(17.5);
    expect(c.broker).toBeCloseTo(2);
  });
});

describe('outputsCell', () => {
  it('says every run counted, with dead letters and duplicates, and whether the bytes equal Turbine’s', () => {
    expect(outputsCell(systemRow('turbine', [run(200)]), 2000, null)).toBe('2,000 of 2,000 in each run');
    expect(outputsCell(systemRow('kafkajs-piscina', [run(100), run(120)]), 2000, 'aa')).toBe(
      '2,000 of 2,000 in each run, byte-identical to Turbine’s',
    );
    const other = { ...run(100), check: check(1990, 'bb', { deadLettered: 10, duplicates: 4 }) };
    expect(outputsCell(systemRow('bare-loop', [other]), 2000, 'aa')).toBe(
      '1,990 of 2,000 in each run (+ 10 dead-lettered), 4 duplicates in all, **not byte-identical to Turbine’s**',
    );
  });
});

describe('renderWorkloadsSection', () => {
  const section = renderWorkloadsSection(workloadsReport());

  it("states its own run's environment, how it was filled and how to regenerate it alone", () => {
    expect(section.startsWith(WORKLOADS_HEADING)).toBe(true);
    expect(section).toContain('Measured 2026-12-04T19:00:00.000Z (git fed4321; node v20.20.2');
    expect(section).toContain('node dist/benchmarks/run.js --only workloads --out-dir benchmarks');
    expect(section).toContain(
      '2,000 images from `turbine loadgen --format image --count 2000 --seed 1 --partitions 12`: 200.0 MB of values, 100,000 B on average, none corrupt',
    );
  });

  it('gives records/s, MB/s and the ratio to Turbine per system', () => {
    expect(section).toContain(
      '| Turbine | a pool of 2 worker threads; the main thread only does Kafka I/O | 200, 250, 240 | 240 | 24.0 | 1.00× | 2,000 of 2,000 in each run |',
    );
    expect(section).toContain('| 100, 200, 120 | 120 | 12.0 | 0.50× | 2,000 of 2,000 in each run, byte-identical');
    expect(section).toContain(
      '| 100, 125, 150 | 125 | 12.5 | 0.50× | 2,000 of 2,000 in each run, **not byte-identical',
    );
    expect(section).toContain(
      "**Turbine: 240 records/s, 24.0 MB/s, 2.00× the KafkaJS + Piscina's and 2.00× the bare node-rdkafka loop's rate**",
    );
  });

  it('shows where the cores went: CPU seconds by thread in the median run', () => {
    // Turbine's median run: 240/s for 2,000 records = 8.3 s; main 0.1 cores, workers 1.6.
    expect(section).toContain('| Turbine | 8.3 | 0.8 | 13.3 | 0.4 | 14.6 (1.75) | 1.7 | 0.00 |');
    expect(section).toContain(
      'Turbine kept 1.75 cores busy (main thread 0.10, worker and helper threads 1.60, librdkafka 0.05)',
    );
    expect(section).toContain("sharp does each conversion on one of libuv's threads");
  });

  it('reports the spread between runs as noise', () => {
    // KafkaJS + Piscina: (200 − 100) ÷ 120.
    expect(section).toContain('runs of one row differ by up to 83% of its median');
  });

  it('says why a row stopped', () => {
    const report = workloadsReport();
    report.results[0]!.rows[1] = { ...systemRow('kafkajs-piscina', [run(100)]), notRun: 'exit 3: not set up' };
    expect(renderWorkloadsSection(report)).toContain('| 100; then not run: exit 3: not set up | 100 |');
  });
});

describe('replaceWorkloadsSection', () => {
  const old = `# Benchmark results\n\n${SECTION_START}\n## 8. Keyed state\n\nstate figures\n${SECTION_END}\n\n## Closing note\n\n- note\n`;

  it('inserts the section before the closing note when its markers are missing, keeping the keyed-state one', () => {
    const doc = replaceWorkloadsSection(old, workloadsReport());
    expect(doc).toContain(`${SECTION_END}\n\n${WORKLOADS_START}\n${WORKLOADS_HEADING}`);
    expect(doc).toContain(`${WORKLOADS_END}\n\n## Closing note\n\n- note\n`);
    expect(doc).toContain('state figures');
  });

  it('replaces only what its markers hold', () => {
    const once = replaceWorkloadsSection(old, workloadsReport());
    const later = workloadsReport();
    later.env = { ...later.env, git: 'abcdef0' };
    const twice = replaceWorkloadsSection(once, later);
    expect(twice).toContain('git abcdef0');
    expect(twice).not.toContain('git fed4321');
    expect(twice.split(WORKLOADS_START)).toHaveLength(2);
    expect(
      twice.replace(/<!-- generated by npm run bench --only workloads: start -->[\s\S]*workloads: end -->/, ''),
    ).toBe(once.replace(/<!-- generated by npm run bench --only workloads: start -->[\s\S]*workloads: end -->/, ''));
  });

  it('appends the section to a file without a closing note', () => {
    expect(replaceWorkloadsSection('# Results\n', workloadsReport())).toMatch(
      /^# Results\n\n<!-- generated .*workloads: end -->\n$/s,
    );
  });
});

describe('renderResults', () => {
  it('holds the section between its markers, or a note to measure it', () => {
    expect(renderResults({ ...fixtureReport(), workloads: workloadsReport() })).toContain(
      `${WORKLOADS_START}\n${WORKLOADS_HEADING}\n\nMeasured 2026-12-04T19:00:00.000Z`,
    );
    expect(renderResults(fixtureReport())).toContain(
      `${WORKLOADS_START}\n${WORKLOADS_HEADING}\n\n_Not measured yet: \`npm run --silent build && node dist/benchmarks/run.js --only workloads --out-dir benchmarks\`._\n${WORKLOADS_END}`,
    );
  });
});
