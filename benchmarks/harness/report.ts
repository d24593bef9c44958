import type { ContainerReport } from './container-section.js';
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

/** One configuration of the keyed-state section drained --runs times, with the engine's counters of each run. */
export interface StateDrainRow {
  label: string;
  guarantee: 'at-least-once' | 'exactly-once';
  stateful: boolean;
  /** Distinct keys in the input topic. */
  keys: number;
  throughput: ThroughputRow;
  /** turbine_batches_dispatched_total, turbine_state_batches_delayed_total and turbine_state_changelog_records_total at the end of each run. */
  batchesDispatched: number[];
  batchesDelayed: number[];
  changelogRecords: number[];
}

/** What an engine process held: /proc VmRSS and its main thread's V8 heap in use and external memory, bytes. */
export interface EngineMemory {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

/** One engine start that restored the whole changelog. */
export interface RestoreRun {
  /** turbine_state_restored_records_total. */
  records: number;
  /** turbine_state_restore_duration_seconds (its sum: one observation per restore). */
  seconds: number;
  /** Restores the engine made (the histogram's count): 1 when one assignment restored every partition. */
  restores: number;
  /** From spawning the process to the state being restored (startup, group join and restore). */
  startToRestoredMs: number;
  /** The engine's memory right after the restore (no forced collection). */
  memory: EngineMemory | null;
}

/** The changelog filled for the restore: how, how big, how fast. */
export interface ChangelogFill {
  keys: number;
  partitions: number;
  /** key + value + header bytes as produced (before lz4). */
  payloadBytes: number;
  /** The partitions' log segments on the broker's disk, when its data directory is readable. */
  diskBytes: number | null;
  perSec: number;
  /** One changelog value, as written. */
  sampleValue: string;
}

/** The store's maps alone: the changelog read by restore.ts in a `node --expose-gc` process, heap measured after full collections. */
export interface StoreHeap {
  keys: number;
  heapUsedBytes: number;
  readSeconds: number;
  /** Where the cores went during that read (this process's threads, the broker, the machine). */
  cpu?: CpuBreakdown;
}

export interface StateRestoreReport {
  fill: ChangelogFill | null;
  runs: RestoreRun[];
  /** An engine restoring an empty changelog, for the memory baseline. */
  baseline: EngineMemory | null;
  storeHeap: StoreHeap | null;
  notRun?: string;
}

/** What a section measured alone records about its run, so it can be rendered and regenerated on its own. */
export interface SectionRun {
  env: EnvironmentInfo;
  command: string;
  quick: boolean;
  runs: number;
  partitions: number;
  poolSize: number;
}

/** The keyed-state section (issue 13): its own run's environment, so it can be regenerated alone. */
export interface StateReport extends SectionRun {
  valueSize: number;
  /** Records per input topic. */
  records: number;
  /** Key counts of the overlap comparison (stateful only): the throughput rows use manyKeys. */
  fewKeys: number;
  manyKeys: number;
  /** More keys than manyKeys, where batches of a partition rarely share one (absent in older results). */
  mostKeys?: number;
  store: string;
  rows: StateDrainRow[];
  restore: StateRestoreReport;
  durationMs: number;
}

/** The real workloads of docs/workloads.md: image thumbnails and review text analytics. */
export type WorkloadName = 'image' | 'text';
/** Who drains a workload's topic: Turbine, the KafkaJS + Piscina peer, or the bare node-rdkafka loop. */
export type WorkloadSystem = 'turbine' | 'kafkajs-piscina' | 'bare-loop';

/** What a drain's output topic held, read back after the drain (benchmarks/harness/workload-outputs.ts). */
export interface OutputCheck {
  /** Records on the output topic, duplicates included. */
  outputs: number;
  /** Distinct source records (lineage headers) with an output. */
  sources: number;
  /** Distinct source records whose output the broker appended by the end of the timed window (peers). */
  inWindow: number;
  /** Outputs beyond the first for the same source record. */
  duplicates: number;
  withoutLineage: number;
  /** Outputs whose value is not what the worker makes (not a WebP image; not a review analysis). */
  invalid: number;
  /** Inputs dead-lettered instead (Turbine's own count; the other systems have no dead-letter path). */
  deadLettered: number;
  /** Order-independent SHA-1 over each source's (partition:offset, value) pair, first output of each: equal digests, equal outputs. */
  digest: string;
}

/** One drain of a workload's topic by one system. */
export interface WorkloadRun {
  /** Records/s over the timed window (first record consumed to last output finished or acknowledged). */
  perSec: number;
  /** Input value bytes ÷ the same window, MB (10⁶ bytes) per second. */
  mbPerSec: number;
  ms: number;
  /** Where the cores went over the window (null when the system did not report it). */
  cpu: CpuBreakdown | null;
  peakRssMb: number | null;
  check: OutputCheck;
}

export interface WorkloadSystemRow {
  system: WorkloadSystem;
  /** Worker threads the system ran the function on (1 for the bare loop). */
  threads: number;
  /** One entry per round, in order (rounds ran every system in turn). */
  runs: WorkloadRun[];
  notRun?: string;
}

/** One workload's topic, filled once and drained by every system --runs times. */
export interface WorkloadResult {
  workload: WorkloadName;
  /** The compiled worker module every system ran, relative to the repository. */
  worker: string;
  valueFormat: 'raw' | 'json';
  records: number;
  seed: number;
  corruptRate: number;
  /** Values loadgen sent corrupt on purpose. */
  corrupt: number;
  /** Sum of the input values' bytes (loadgen's valueBytes). */
  inputBytes: number;
  /** How fast loadgen filled the topic. */
  fillPerSec: number | null;
  rows: WorkloadSystemRow[];
  notRun?: string;
}

/** The real-workloads section (issue 14): its own run's environment, so it can be regenerated alone. */
export interface WorkloadsReport extends SectionRun {
  results: WorkloadResult[];
  durationMs: number;
}

export const SECTIONS = [
  'env',
  'cost',
  'overhead',
  'peers',
  'inventory',
  'scaling',
  'adaptive',
  'state',
  'workloads',
  'container',
] as const;
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
  /** The keyed-state section: this run's, or the last one saved in benchmarks/state.json (absent in older results). */
  state?: StateReport | null;
  /** The real-workloads section: this run's, or the last one saved in benchmarks/workloads.json (absent in older results). */
  workloads?: WorkloadsReport | null;
  /** The high-throughput container section (issue 15): this run's, or the last saved in benchmarks/container.json. */
  container?: ContainerReport | null;
  durationMs: number;
}
