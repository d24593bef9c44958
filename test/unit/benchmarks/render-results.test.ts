// RESULTS.md rendering and the target verdicts: a generated banner, every section, "not run" rows
// with their reason, and met / missed with the measured gap.
import { renderResults } from '../../../benchmarks/harness/render-results';
import { evaluateTargets } from '../../../benchmarks/harness/targets';
import { fixtureReport } from './report-fixture';

describe('evaluateTargets', () => {
  const verdicts = new Map(evaluateTargets(fixtureReport()).map((v) => [v.target, v]));
  const verdict = (prefix: string) => [...verdicts.entries()].find(([t]) => t.startsWith(prefix))![1];

  it('meets the load generator target at 250k/s', () => {
    expect(verdict('Load generator').status).toBe('met');
  });

  it('misses the W = 0 overhead target at 0.75× and states the gap', () => {
    const v = verdict('W = 0');
    expect(v.status).toBe('missed');
    expect(v.measured).toContain('0.75×');
    expect(v.measured).toContain('gap 0.15×');
  });

  it('judges CPU efficiency against pool × 10⁶/W', () => {
    expect(verdict('W = 100 µs').status).toBe('met'); // 17,000 / 20,000 = 85%
    const w1000 = verdict('W = 1000 µs');
    expect(w1000.status).toBe('missed'); // 1,700 / 2,000 = 85% < 90%
    expect(w1000.measured).toBe('85% (gap 5 points)');
  });

  it('names the peer that is ahead, and counts peers not run', () => {
    const partition = verdict('Turbine ahead of every peer at every W (partition');
    expect(partition.status).toBe('missed');
    expect(partition.measured).toContain('parallel-consumer at W=1000');
    const key = verdict('Turbine ahead of every peer at every W (key');
    expect(key.status).toBe('met');
    expect(key.measured).toContain('1 of 2 peer rows not run');
  });

  it('misses the p99 target when one W ≤ 100 is over 50 ms', () => {
    const v = verdict('p99');
    expect(v.status).toBe('missed');
    expect(v.measured).toContain('worst gap 12 ms');
  });

  it('reports the soak as not measured without a soak result', () => {
    expect(verdict('RSS growth').status).toBe('not measured');
    expect(verdict('RSS growth').cause).toBe('not measured');
  });

  it('explains an efficiency gap by the cores the worker threads got', () => {
    expect(verdict('W = 1000 µs').cause).toBe(
      'worker + helper threads got 1.75 of 2 cores (the pool of 2 needs 2; spin work 1.70 of them); main thread 0.04, librdkafka 0.02, broker 0.06, rest 0.10, steal 0.02, idle 0.01 of 2 cores',
    );
    expect(verdict('W = 100 µs').cause).toBe('–'); // met
  });

  it('explains the W = 0 gap by main-thread µs per record against the bare loop', () => {
    expect(verdict('W = 0').cause).toBe(
      'Turbine main thread at 0.90 cores, 30.0 µs/record vs bare loop 20.0 µs/record (0.80 cores); worker + helper threads 0.30, librdkafka 0.20, broker 0.40, rest 0.10, steal 0.05, idle 0.05 of 2 cores',
    );
  });

  it('says what is and is not measured for peers and latency', () => {
    expect(verdict('Turbine ahead of every peer at every W (partition').cause).toBe(
      "peers' CPU not sampled (only their records/s); Turbine at W=1000: main thread 0.04, worker + helper threads 1.75, librdkafka 0.02, broker 0.06, rest 0.10, steal 0.02, idle 0.01 of 2 cores",
    );
    expect(verdict('p99').cause).toBe(
      'W=100 at 8,500/s offered: main thread 0.30, worker + helper threads 0.90, librdkafka 0.05, broker 0.30, rest 0.40, steal 0.00, idle 0.05 of 2 cores (rest includes the load generator)',
    );
    expect(verdict('Load generator').cause).toBe('–');
  });

  it('names the time of engine threads that exited when it is not negligible', () => {
    const report = fixtureReport();
    const w1000 = report.cost.find((r) => r.w === 1000 && r.order === 'partition')!;
    w1000.cpu!.cores.exited = 0.05;
    const v = evaluateTargets(report).find((t) => t.target.startsWith('W = 1000'))!;
    expect(v.cause).toContain('librdkafka 0.02, engine threads that exited 0.05, broker 0.06');
  });

  it('says "not measured" where a row has no CPU breakdown', () => {
    const report = fixtureReport();
    for (const r of report.cost) delete r.cpu;
    const v = evaluateTargets(report).find((t) => t.target.startsWith('W = 1000'))!;
    expect(v.cause).toBe('not measured');
  });
});

describe('renderResults', () => {
  const markdown = renderResults(fixtureReport());

  it('opens with the generated banner and the environment', () => {
    expect(markdown.split('\n')[0]).toContain('do not edit');
    expect(markdown).toContain('- git: abc1234');
    expect(markdown).toContain('250,000 records/s');
  });

  it('has every section and links both charts', () => {
    for (const heading of [
      '## Targets',
      '## 1. CPU cost curve',
      '## 2. Overhead at W = 0',
      '## 3. Peers',
      '## 4. Inventory',
      '## 5. Scaling',
      '## 6. Adaptive',
      '## 7. Soak',
      '## Closing note',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain('](throughput-vs-w.svg)');
    expect(markdown).toContain('](latency-percentiles.svg)');
  });

  it('shows runs, medians and efficiency in the cost table', () => {
    expect(markdown).toContain('| 0 | partition | 10,000 | 29,000, 30,000, 31,000 | 30,000 | – | 200 |');
    expect(markdown).toContain('| 100 | partition | 10,000 | 17,000 | 17,000 | 85% | 200 |');
  });

  it('writes "not run" with the reason for peers and kcat', () => {
    expect(markdown).toContain('not run: exit 3: python missing');
    expect(markdown).toContain('not run: kcat: command not found');
  });

  it('compares each peer with Turbine at the same W and order', () => {
    expect(markdown).toContain('| 100 | partition | kafkajs-main | 2 | 8,000 | 17,000 | 2.13× |');
  });

  it('marks adaptive batching not run when the build lacks it', () => {
    expect(markdown).toContain('Not run: `turbine run --help` does not list --batch-target-ms.');
  });

  it('tabulates adaptive against fixed batching when the build has it', () => {
    const report = fixtureReport();
    report.adaptive = {
      available: true,
      note: 'Latency runs at 20% and 80% of peak.',
      rows: [
        {
          w: 100,
          load: 'low (20%)',
          ratePerSec: 3_400,
          config: 'adaptive (default target)',
          perSec: 3_390,
          p50: 3,
          p99: 9,
        },
        {
          w: 100,
          load: 'low (20%)',
          ratePerSec: 3_400,
          config: 'fixed 500 records',
          perSec: null,
          p50: null,
          p99: null,
          notRun: 'engine exited',
        },
      ],
    };
    const md = renderResults(report);
    expect(md).toContain('| 100 | low (20%) | 3,400 | adaptive (default target) | 3,390 | 3 | 9 |');
    expect(md).toContain('| 100 | low (20%) | 3,400 | fixed 500 records | not run: engine exited | – | – |');
  });

  it('tabulates where the cores went, in cores and main-thread µs per record', () => {
    expect(markdown).toContain('| target | status | measured | cause |');
    expect(markdown).toContain(
      '| 0 | partition | 30,000 | 0.90 | 0.30 | 0.20 | 0.00 | 0.40 | 0.10 | 1.90 | 0.05 | 0.05 | 30.0 |',
    );
    expect(markdown).toContain('| 0 | key | 28,000 | – | – | – | – | – | – | – | – | – | not measured |');
    expect(markdown).toContain(
      '| bare node-rdkafka loop | 0.80 | 0.02 | 0.20 | 0.00 | 0.50 | 0.10 | 1.62 | 0.00 | 0.38 | 20.0 |',
    );
    expect(markdown).toContain(
      '| spin W=100 µs | 8,500 | 0.30 | 0.90 | 0.05 | 0.00 | 0.30 | 0.40 | 1.95 | 0.00 | 0.05 | 35.3 |',
    );
  });

  it('says which sections a partial run left out', () => {
    const report = fixtureReport();
    report.settings.sections = ['cost'];
    const partial = renderResults(report);
    expect(partial).toContain('_Not run in this invocation (sections run: cost)._');
  });
});
