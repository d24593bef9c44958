// The keyed-state section of RESULTS.md: ratios within one run, the overlap counters, restore
// speed and memory per key, and replacing the section alone between its markers.
import { renderResults } from '../../../benchmarks/harness/render-results';
import type { RestoreRun, StateDrainRow, StateReport } from '../../../benchmarks/harness/report';
import { SECTION_END, SECTION_START } from '../../../benchmarks/harness/scaling-doc';
import { stateDrainRow } from '../../../benchmarks/harness/state-scenarios';
import {
  bytesPerKey,
  pairedRatio,
  partitionsWithKeys,
  ratio,
  renderStateSection,
  replaceStateSection,
  restoreMedians,
  runSpread,
  STATE_HEADING,
} from '../../../benchmarks/harness/state-section';
import { cpu, fixtureReport, row } from './report-fixture';

const MiB = 1024 * 1024;

function drainRow(
  label: string,
  guarantee: StateDrainRow['guarantee'],
  stateful: boolean,
  keys: number,
  runs: number[],
  counters: { dispatched: number[]; delayed: number[]; changelog?: number[] } = { dispatched: [], delayed: [] },
): StateDrainRow {
  const perSec = [...runs].sort((a, b) => a - b)[1] ?? null;
  const throughput = row({ system: `turbine inventory, ${label}`, w: 0, runs, perSec });
  const r = stateDrainRow(label, guarantee, stateful, keys, throughput);
  r.batchesDispatched.push(...counters.dispatched);
  r.batchesDelayed.push(...counters.delayed);
  r.changelogRecords.push(...(counters.changelog ?? []));
  return r;
}

function restoreRun(seconds: number, rssMb: number): RestoreRun {
  return {
    records: 1_000_000,
    seconds,
    restores: 1,
    startToRestoredMs: seconds * 1000 + 2000,
    memory: { rssBytes: rssMb * MiB, heapUsedBytes: 300 * MiB, externalBytes: 10 * MiB },
  };
}

function stateReport(): StateReport {
  const statefulMany = drainRow('stateful, exactly-once', 'exactly-once', true, 50_000, [14_000, 15_000, 15_500], {
    dispatched: [400, 400, 400],
    delayed: [10, 10, 10],
    changelog: [90_000, 91_000, 92_000],
  });
  // 0.6 cores of main thread over a 1 s window of 15,000 records: 40 µs per record.
  statefulMany.throughput.cpu = cpu({ main: 0.6, workers: 1, librdkafka: 0.1, broker: 0.2, rest: 0 }, 15_000);
  return {
    env: { ...fixtureReport().env, date: '2026-12-04T18:00:00.000Z', git: 'def5678' },
    command: 'npm run bench -- --only state --out-dir benchmarks',
    quick: false,
    runs: 3,
    partitions: 12,
    poolSize: 2,
    valueSize: 1024,
    records: 100_000,
    fewKeys: 20,
    manyKeys: 50_000,
    mostKeys: 1_000_000,
    store: 'levels',
    rows: [
      drainRow('stateless, at-least-once', 'at-least-once', false, 50_000, [19_000, 20_000, 21_000]),
      drainRow('stateless, exactly-once', 'exactly-once', false, 50_000, [17_000, 18_000, 18_500]),
      statefulMany,
      drainRow('stateful, exactly-once', 'exactly-once', true, 20, [11_000, 12_000, 12_500], {
        dispatched: [300, 300, 300],
        delayed: [200, 200, 200],
        changelog: [6_000, 6_000, 6_000],
      }),
      drainRow('stateful, exactly-once', 'exactly-once', true, 1_000_000, [15_000, 16_000, 16_500], {
        dispatched: [400, 400, 400],
        delayed: [1, 2, 0],
        changelog: [99_000, 99_000, 99_000],
      }),
    ],
    restore: {
      fill: {
        keys: 1_000_000,
        partitions: 12,
        payloadBytes: 120_000_000,
        diskBytes: 60_000_000,
        perSec: 250_000,
        sampleValue: '{"WH-1":50,"WH-2":63,"WH-3":76,"WH-4":89}',
      },
      runs: [restoreRun(4, 600), restoreRun(5, 640), restoreRun(6, 620)],
      baseline: { rssBytes: 200 * MiB, heapUsedBytes: 20 * MiB, externalBytes: 5 * MiB },
      storeHeap: {
        keys: 1_000_000,
        heapUsedBytes: 180_000_000,
        readSeconds: 3,
        cpu: cpu({ main: 0.9, workers: 0.35, librdkafka: 0.05, broker: 0.3, rest: 0.1 }, 333_333, 0.01),
      },
    },
    durationMs: 5 * 60_000,
  };
}

describe('ratio and runSpread', () => {
  it('divides medians, null when one is missing or zero', () => {
    expect(ratio(15_000, 20_000)).toBe(0.75);
    expect(ratio(null, 20_000)).toBeNull();
    expect(ratio(15_000, 0)).toBeNull();
  });

  it('gives (largest − smallest) ÷ median, null for a single run', () => {
    expect(runSpread([19_000, 20_000, 21_000])).toBe(0.1);
    expect(runSpread([20_000])).toBeNull();
  });
});

describe('pairedRatio', () => {
  const r = (runs: number[]) => drainRow('x', 'exactly-once', true, 1, runs);

  it('takes the median of the ratios within each round', () => {
    // 10/20, 30/20, 20/10: 0.5, 1.5, 2; the ratio of the medians would be 1.
    expect(pairedRatio(r([10, 30, 20]), r([20, 20, 10]))).toBe(1.5);
  });

  it('falls back to the ratio of the medians when the runs do not pair', () => {
    expect(pairedRatio(r([10, 30, 20]), r([10, 30]))).toBeCloseTo(20 / 30);
    expect(pairedRatio(r([10]), undefined)).toBeNull();
  });
});

describe('partitionsWithKeys', () => {
  it('counts the murmur2 partitions that keys key-0 .. key-<n-1> fall in', () => {
    expect(partitionsWithKeys(1, 12)).toBe(1);
    expect(partitionsWithKeys(1000, 12)).toBe(12);
    expect(partitionsWithKeys(20, 12)).toBeLessThanOrEqual(12);
  });
});

describe('restoreMedians and bytesPerKey', () => {
  it('takes the median restore time, rate and memory over the runs', () => {
    const m = restoreMedians([restoreRun(4, 600), restoreRun(5, 640), restoreRun(6, 620)]);
    expect(m.seconds).toBe(5);
    expect(m.perSec).toBe(200_000);
    expect(m.startToRestoredMs).toBe(7000);
    expect(m.memory?.rssBytes).toBe(620 * MiB);
  });

  it('leaves out runs that restored nothing', () => {
    expect(restoreMedians([{ ...restoreRun(0, 600), records: 0 }]).perSec).toBeNull();
  });

  it('divides the difference from the baseline by the keys', () => {
    const per = bytesPerKey(
      { rssBytes: 1200, heapUsedBytes: 700, externalBytes: 100 },
      { rssBytes: 200, heapUsedBytes: 200, externalBytes: 100 },
      10,
    );
    expect(per).toEqual({ rssBytes: 100, heapUsedBytes: 50, externalBytes: 0 });
  });
});

describe('renderStateSection', () => {
  const section = renderStateSection(stateReport());

  it("states its own run's environment and how to regenerate it alone", () => {
    expect(section.startsWith(STATE_HEADING)).toBe(true);
    expect(section).toContain('Measured 2026-12-04T18:00:00.000Z (git def5678; node v20.20.2');
    expect(section).toContain('node dist/benchmarks/run.js --only state --out-dir benchmarks');
  });

  it('compares the three configurations with the first row and the row above, round by round', () => {
    // Stateless exactly-once ÷ at-least-once per round: 17/19, 18/20, 18.5/21; median 0.895.
    expect(section).toContain(
      '| stateless, exactly-once | `--guarantee exactly-once` | 17,000, 18,000, 18,500 | 18,000 | 0.89× | 0.89× |',
    );
    expect(section).toContain(
      '| stateful, exactly-once | `--guarantee exactly-once --state-store levels` | 14,000, 15,000, 15,500 | 15,000 | 0.74× | 0.83× | 40.0 | 0.00 | 200 |',
    );
    expect(section).toContain(
      'Exactly-once keeps 0.89× of the at-least-once rate; a state store on top of it keeps 0.83× of the exactly-once rate (0.74× of at-least-once in all).',
    );
  });

  it('shows the key-overlap waits from the counters summed over the runs', () => {
    expect(section).toContain('over 20 and 1,000,000 keys (20 keys fall in');
    expect(section).toContain('| 20 | 11,000, 12,000, 12,500 | 12,000 | 0.80× | 900 | 600 | 66.7% | 6,000 |');
    expect(section).toContain(
      '| 50,000 | 14,000, 15,000, 15,500 | 15,000 | 1.00× | 1,200 | 30 | 2.5% | 91,000 | 40.0 |',
    );
    expect(section).toContain('| 1,000,000 | 15,000, 16,000, 16,500 | 16,000 | 1.07× | 1,200 | 3 | 0.3% | 99,000 |');
  });

  it('reports restore speed, payload and memory per key', () => {
    // 1,000,000 records in a median 5 s; 120 MB ÷ 5 s; start to restored 7 s.
    expect(section).toContain('| 1,000,000 | 120 | 60 | 4.00, 5.00, 6.00 | 5.00 | 200,000 | 24.0 | 7.00 |');
    // RSS (620 − 200) MiB ÷ 10⁶ keys = 440 bytes; heap (300 − 20) MiB ÷ 10⁶ = 294 bytes.
    expect(section).toContain('| **difference ÷ keys (bytes per key)** |  | 440 | 294 | 5 |');
    expect(section).toContain("The store's maps alone take **180 bytes per key** of V8 heap");
    expect(section).toContain('fillChangelog');
    // 0.9 cores over a 1 s window of 333,333 records.
    expect(section).toContain('was busy 0.90 of the wall time, 2.7 µs per record');
  });

  it('states how far runs of one row strayed', () => {
    expect(section).toContain('runs of one row differ by up to 13% of its median');
  });

  it('says why the restore was not run', () => {
    const s = stateReport();
    s.restore = { fill: null, runs: [], baseline: null, storeHeap: null, notRun: 'broker down' };
    expect(renderStateSection(s)).toContain('Not run: broker down');
  });
});

describe('replaceStateSection', () => {
  it('replaces only the text between the markers', () => {
    const doc = `# Results\n\n## 7. Soak\n\n${SECTION_START}\nold\n${SECTION_END}\n\n## Closing note\n\n- kept\n`;
    expect(replaceStateSection(doc, 'new')).toBe(
      `# Results\n\n## 7. Soak\n\n${SECTION_START}\nnew\n${SECTION_END}\n\n## Closing note\n\n- kept\n`,
    );
  });

  it('inserts the section before the closing note of a file rendered before it existed', () => {
    const doc = '# Results\n\n## 7. Soak\n\ntext\n\n## Closing note\n\n- kept\n';
    expect(replaceStateSection(doc, 'new')).toBe(
      `# Results\n\n## 7. Soak\n\ntext\n\n${SECTION_START}\nnew\n${SECTION_END}\n\n## Closing note\n\n- kept\n`,
    );
  });
});

describe('renderResults with the keyed-state section', () => {
  it('puts the section between its markers, so a run of it alone can replace it', () => {
    const doc = renderResults({ ...fixtureReport(), state: stateReport() });
    const section = renderStateSection(stateReport());
    expect(doc).toContain(`${SECTION_START}\n${section}\n${SECTION_END}`);
    expect(replaceStateSection(doc, section)).toBe(doc);
  });

  it('says the section was not measured when no run saved it', () => {
    expect(renderResults(fixtureReport())).toContain(`${STATE_HEADING}\n\n_Not measured yet:`);
  });
});
