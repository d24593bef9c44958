/**
 * The data a benchmark run collects, as plain JSON (benchmarks/results.json), from which
 * RESULTS.md and the SVG charts are rendered.
 */
import type { CpuBreakdown } from './cpu-accounting.js';

export type Order = 'partition' | 'key';

export interface EnvironmentInfo {
  date: string;
  node: string;
  cpu: string;
  cpuCount: number;
  memoryGiB: number;
  kafka: string;
  librdkafka: string;
  git: string;
  /** Other processes' CPU share while the run started (load average ÷ cores), as a noise hint. */
  loadAverage: number;
}

export interface LoadgenCeiling {
  valueSize: number;
  records: number;
  perSec: number | null;
  notRun?: string;
}

/** One system at one W: repeated drains of the same pre-filled topic, median reported. */
export interface ThroughputRow {
  system: string;
  order: Order | null;
  w: number;
  /** Worker threads (or processes) per instance. */
  threads: number;
  instances: number;
  records: number;
  /** records/s of each run. */
  runs: number[];
  /** Median of runs; null when not run. */
  perSec: number | null;
  /** Largest VmHWM over the runs (engine processes only). */
  peakRssMb: number | null;
  /** Where the cores went in the median run (absent where not sampled: peers, kcat). */
  cpu?: CpuBreakdown;
  notRun?: string;
}

/** End-to-end latency of an open-loop load: input CreateTime → output LogAppendTime. */
/** p50 / p99 in ms, interpolated inside the engine's histogram buckets. */
export interface Quantiles {
  p50: number | null;
  p99: number | null;
}

/**
 * The engine's own view of the measured window: how old records were when it consumed them (the
 * time before Turbine: the load generator's linger, the broker, the fetch) and when their outputs
 * were acknowledged.
 */
export interface EngineLatencySplit {
  consumed: Quantiles;
  acknowledged: Quantiles;
}

export interface LatencyRow {
  label: string;
  w: number;
  ratePerSec: number;
  durationS: number;
  /** Output records measured (after the warm-up). */
  count: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  /** Outputs per second, first to last output (below the offered rate: the engine fell behind). */
  deliveredPerSec?: number | null;
  /** Where the cores went from the load's start to the engine's last record. */
  cpu?: CpuBreakdown;
  /** The engine's histograms over the measured window (absent in results from before they existed). */
  engine?: EngineLatencySplit;
  notRun?: string;
}

export interface AdaptiveRow {
  w: number;
  load: string;
  ratePerSec: number;
  config: string;
  /** Outputs per second over the load, as measured from the output topic. */
  perSec: number | null;
  p50: number | null;
  p99: number | null;
  notRun?: string;
}

/** One soak sample of the engine's own memory gauges (prom-client default metrics), in MiB. */
export interface MemorySample {
  t: number;
  rssMb: number;
  /** The main thread's V8 heap: used, and reserved (total). Worker threads' heaps are not in it. */
  heapUsedMb: number;
  heapTotalMb: number;
  /** Memory outside V8's heap held by JavaScript objects (Buffers, ArrayBuffers) of the main thread. */
  externalMb: number;
  /** Messages in librdkafka's consumer fetch queue (prefetched, native memory). */
  fetchQueueMessages: number | null;
}

export interface SoakSummary {
  date: string;
  git: string;
  w: number;
  ratePerSec: number;
  durationS: number;
  warmupS: number;
  /** [seconds since start, RSS MiB] every sample. */
  samples: Array<[number, number]>;
  /** What the RSS held at each sample, from the engine's /metrics (absent in soaks before it was recorded). */
  memory?: MemorySample[];
  /** Records the load generator had acknowledged at the load's end, and the engine had consumed at the last sample. */
  offeredRecords?: number;
  consumedRecords?: number;
  rssAfterWarmupMb: number;
  rssEndMb: number;
  rssPeakAfterWarmupMb: number;
  /** (peak after warm-up − RSS at warm-up end) ÷ RSS at warm-up end. */
  growth: number;
  p99Ms: number | null;
}

export const SECTIONS = ['env', 'cost', 'overhead', 'peers', 'inventory', 'scaling', 'adaptive'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchReport {
  env: EnvironmentInfo;
  settings: {
    quick: boolean;
    runs: number;
    partitions: number;
    valueSize: number;
    poolSize: number;
    sections: Section[];
    command: string;
  };
  loadgen: LoadgenCeiling[];
  cost: ThroughputRow[];
  costLatency: LatencyRow[];
  overhead: ThroughputRow[];
  peers: ThroughputRow[];
  inventory: { throughput: ThroughputRow | null; latency: LatencyRow | null };
  scaling: ThroughputRow[];
  adaptive: { available: boolean; note: string; rows: AdaptiveRow[] };
  soak: SoakSummary | null;
  durationMs: number;
}
