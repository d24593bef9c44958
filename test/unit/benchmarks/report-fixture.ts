import type { CpuBreakdown, CpuParts } from '../../../benchmarks/harness/cpu-accounting';
import type { BenchReport, ThroughputRow } from '../../../benchmarks/harness/report';

/** A 1-second window of `records` records on 2 cores with these parts, in cores. */
export function cpu(cores: CpuParts, records: number, steal = 0): CpuBreakdown {
  const busy = cores.main + cores.workers + cores.librdkafka + (cores.broker ?? 0) + cores.rest;
  const perRecord = (c: number) => (c * 1e6) / records;
  return {
    wallS: 1,
    records,
    cpuCount: 2,
    cores,
    usPerRecord: {
      main: perRecord(cores.main),
      workers: perRecord(cores.workers),
      librdkafka: perRecord(cores.librdkafka),
      broker: cores.broker === null ? null : perRecord(cores.broker),
      rest: perRecord(cores.rest),
    },
    machineBusy: busy,
    steal,
    idle: 2 - busy - steal,
  };
}

export function row(partial: Partial<ThroughputRow> & Pick<ThroughputRow, 'system' | 'w'>): ThroughputRow {
  const perSec = partial.perSec ?? null;
  return {
    order: 'partition',
    threads: 2,
    instances: 1,
    records: 10_000,
    runs: perSec === null ? [] : [perSec],
    perSec,
    peakRssMb: 200,
    ...partial,
  };
}

/** A small full report: every section, some peers not run, some targets met and some missed. */
export function fixtureReport(): BenchReport {
  return {
    env: {
      date: '2026-11-27T08:00:00.000Z',
      node: 'v20.20.2',
      cpu: 'AMD EPYC',
      cpuCount: 2,
      memoryGiB: 24,
      kafka: 'Apache Kafka 4.1.1',
      librdkafka: '2.12.0',
      git: 'abc1234',
      loadAverage: 0.1,
    },
    settings: {
      quick: false,
      runs: 3,
      partitions: 12,
      valueSize: 1024,
      poolSize: 2,
      sections: ['env', 'cost', 'overhead', 'peers', 'inventory', 'scaling', 'adaptive'],
      command: 'npm run bench --',
    },
    loadgen: [
      { valueSize: 100, records: 1_000_000, perSec: 250_000 },
      { valueSize: 1024, records: 300_000, perSec: 90_000 },
    ],
    cost: [
      row({
        system: 'turbine',
        w: 0,
        perSec: 30_000,
        runs: [29_000, 30_000, 31_000],
        cpu: cpu({ main: 0.9, workers: 0.3, librdkafka: 0.2, broker: 0.4, rest: 0.1 }, 30_000, 0.05),
      }),
      row({ system: 'turbine', w: 0, order: 'key', perSec: 28_000 }),
      row({ system: 'turbine', w: 100, perSec: 17_000 }),
      row({ system: 'turbine', w: 100, order: 'key', perSec: 16_000 }),
      row({
        system: 'turbine',
        w: 1000,
        perSec: 1_700,
        cpu: cpu({ main: 0.04, workers: 1.75, librdkafka: 0.02, broker: 0.06, rest: 0.1 }, 1_700, 0.02),
      }),
      row({ system: 'turbine', w: 1000, order: 'key', perSec: 1_750 }),
    ],
    costLatency: [
      {
        label: 'spin W=0 µs',
        w: 0,
        ratePerSec: 15_000,
        durationS: 10,
        count: 135_000,
        p50: 4,
        p99: 20,
        p999: 35,
        max: 60,
      },
      {
        label: 'spin W=100 µs',
        w: 100,
        ratePerSec: 8_500,
        durationS: 10,
        count: 76_500,
        p50: 6,
        p99: 62,
        p999: 90,
        max: 120,
        cpu: cpu({ main: 0.3, workers: 0.9, librdkafka: 0.05, broker: 0.3, rest: 0.4 }, 8_500),
      },
    ],
    overhead: [
      row({
        system: 'bare node-rdkafka loop',
        w: 0,
        order: null,
        threads: 1,
        perSec: 40_000,
        cpu: cpu({ main: 0.8, workers: 0.02, librdkafka: 0.2, broker: 0.5, rest: 0.1 }, 40_000),
      }),
      row({ system: 'kcat pipe', w: 0, order: null, threads: 1, notRun: 'kcat: command not found', peakRssMb: null }),
    ],
    peers: [
      row({ system: 'kafkajs-main', w: 100, perSec: 8_000 }),
      row({ system: 'kafkajs-main', w: 100, order: 'key', perSec: 8_000 }),
      row({ system: 'parallel-consumer', w: 1000, perSec: 1_800 }),
      row({ system: 'arroyo', w: 100, order: 'key', notRun: 'exit 3: python missing' }),
    ],
    inventory: {
      throughput: row({ system: 'turbine inventory', w: 0, perSec: 25_000 }),
      latency: {
        label: 'inventory (Avro)',
        w: 0,
        ratePerSec: 12_500,
        durationS: 10,
        count: 100_000,
        p50: 5,
        p99: 30,
        p999: 40,
        max: 50,
      },
    },
    scaling: [
      row({ system: 'turbine', w: 100, threads: 1, perSec: 9_000 }),
      row({ system: 'turbine', w: 100, threads: 2, perSec: 17_000 }),
      row({ system: 'turbine', w: 100, threads: 1, instances: 2, perSec: 16_000 }),
    ],
    adaptive: { available: false, note: '`turbine run --help` does not list --batch-target-ms.', rows: [] },
    soak: null,
    durationMs: 18 * 60_000,
  };
}
