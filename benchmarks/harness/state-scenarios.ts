/**
 * The keyed-state measurements (issue 13): inventory drains with and without a state store and
 * the engine's counters at their end, a changelog filled straight from a producer, the engine
 * restoring it at start, and the heap the restored maps take.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { ensureTopics } from '../../src/admin/topics.js';
import { connectWithTimeout, disconnectWithin } from '../../src/kafka/client-connection.js';
import { LINEAGE_HEADERS } from '../../src/sink/output-messages.js';
import { producerConfig, producerTopicConfig } from '../../src/sink/producer-config.js';
import { changelogTopicOf } from '../../src/state/keyed-state.js';
import { keyPartition } from '../../src/state/murmur2.js';
import { brokerPort, type CpuBreakdown, findBrokerPid } from './cpu-accounting.js';
import { EngineProcess, type EngineProcessOptions, ROOT, runJsonCommand, timeDrain } from './processes.js';
import type {
  ChangelogFill,
  EngineMemory,
  RestoreRun,
  StateDrainRow,
  StateRestoreReport,
  StoreHeap,
  ThroughputRow,
} from './report.js';
import { type DrainRun, dropTopics, INVENTORY_WORKER, PARTITIONS, randomName, randomTopic } from './scenarios.js';

/** The store name of every stateful run: the changelog is `<group>-levels-changelog`. */
export const STATE_STORE = 'levels';
const STORE_HEAP_PROCESS = join(ROOT, 'dist', 'benchmarks', 'harness', 'store-heap-process.js');

/** The engine's counters read at the end of a drain. */
const DRAIN_COUNTERS = [
  'turbine_batches_dispatched_total',
  'turbine_state_batches_delayed_total',
  'turbine_state_changelog_records_total',
] as const;
/** The engine's memory gauges (prom-client default metrics, turbine_process_ prefix). */
const MEMORY_GAUGES = [
  'turbine_process_nodejs_heap_size_used_bytes',
  'turbine_process_nodejs_external_memory_bytes',
] as const;
const RESTORE_METRICS = [
  'turbine_state_restored_records_total',
  'turbine_state_restore_duration_seconds_sum',
  'turbine_state_restore_duration_seconds_count',
  ...MEMORY_GAUGES,
] as const;

/** `turbine run` flags of one configuration: the guarantee, and the store when stateful. */
export function stateFlags(guarantee: 'at-least-once' | 'exactly-once', stateful: boolean): string[] {
  return ['--guarantee', guarantee, ...(stateful ? ['--state-store', STATE_STORE] : [])];
}

function engineOptions(brokers: string, input: string, group: string, poolSize: number, args: string[]) {
  const options: EngineProcessOptions = {
    brokers,
    input,
    output: randomTopic('out'),
    group,
    worker: INVENTORY_WORKER,
    poolSize,
    ordering: 'partition',
    args,
  };
  return options;
}

/** A row of the keyed-state section before its runs: their figures and counters are pushed as they come. */
export function stateDrainRow(
  label: string,
  guarantee: StateDrainRow['guarantee'],
  stateful: boolean,
  keys: number,
  throughput: ThroughputRow,
): StateDrainRow {
  return {
    label,
    guarantee,
    stateful,
    keys,
    throughput,
    batchesDispatched: [],
    batchesDelayed: [],
    changelogRecords: [],
  };
}

export interface StateDrainRun extends DrainRun {
  batchesDispatched: number | null;
  batchesDelayed: number | null;
  changelogRecords: number | null;
}

/**
 * One drain of `input` by one fresh inventory engine in a fresh group (so a stateful run starts
 * from an empty changelog); the engine's counters are read before it stops.
 */
export async function drainInventory(
  brokers: string,
  input: string,
  records: number,
  poolSize: number,
  args: string[],
  timeoutMs: number,
): Promise<StateDrainRun> {
  const group = randomName('state');
  const options = engineOptions(brokers, input, group, poolSize, args);
  let engine: EngineProcess | undefined;
  try {
    engine = await EngineProcess.start(options);
    const drained = await timeDrain([engine], records, timeoutMs, findBrokerPid(ROOT, brokerPort(brokers)));
    const counters = await engine.metrics(DRAIN_COUNTERS);
    return {
      perSec: drained.perSec,
      peakRssMb: drained.peakRssMb,
      cpu: drained.cpu,
      batchesDispatched: counters?.get('turbine_batches_dispatched_total') ?? null,
      batchesDelayed: counters?.get('turbine_state_batches_delayed_total') ?? null,
      changelogRecords: counters?.get('turbine_state_changelog_records_total') ?? null,
    };
  } finally {
    await engine?.stop();
    await dropTopics(brokers, [options.output, changelogTopicOf(group, STATE_STORE)]);
  }
}

/**
 * A changelog value as the inventory worker leaves it once each of the four warehouses has
 * moved: `{"WH-1":87,"WH-2":113,...}`.
 */
export function levelsValue(index: number): string {
  const level = (w: number) => 50 + ((index * 7 + w * 13) % 100);
  return `{"WH-1":${level(1)},"WH-2":${level(2)},"WH-3":${level(3)},"WH-4":${level(4)}}`;
}

/** The lineage headers of a changelog record (the restore reads the offset's), names and values, in bytes. */
function headerBytes(partition: number, offset: number, topic: string): number {
  const h = LINEAGE_HEADERS;
  return (
    h.topic.length +
    topic.length +
    h.partition.length +
    String(partition).length +
    h.offset.length +
    String(offset).length
  );
}

/** Records produced between two waits for their delivery reports (librdkafka's queue holds 1,000,000). */
const FILL_CHUNK = 100_000;

/**
 * Fills a compacted changelog with `keys` keys `key-0` .. `key-<keys-1>`, one record each, on
 * the partition Kafka's default partitioner (murmur2) gives the key, as the engine writes them:
 * JSON value, lineage headers. Plain idempotent produce, not a transaction: read_committed
 * readers (the restore) read non-transactional records like committed ones, and running the
 * engine over `keys` inputs would take minutes.
 */
export async function fillChangelog(brokers: string, topic: string, keys: number): Promise<ChangelogFill> {
  await ensureTopics(brokers, [{ name: topic, partitions: PARTITIONS, config: { 'cleanup.policy': 'compact' } }]);
  const producer = new Kafka.Producer(
    producerConfig({ brokers, clientId: 'bench-changelog-fill', kafka: {} }),
    producerTopicConfig(),
  );
  let failed = 0;
  let lastError = '';
  producer.on('delivery-report', (error) => {
    if (error) {
      failed++;
      lastError = error.message;
    }
  });
  producer.on('event.error', () => {});
  await connectWithTimeout(producer, brokers, 15_000);
  producer.setPollInterval(20);
  const started = performance.now();
  let payloadBytes = 0;
  const source = 'bench-inventory';
  try {
    for (let i = 0; i < keys; i++) {
      const key = Buffer.from(`key-${i}`, 'latin1');
      const value = Buffer.from(levelsValue(i), 'utf8');
      const partition = keyPartition(key, PARTITIONS);
      const headers: Kafka.MessageHeader[] = [
        { [LINEAGE_HEADERS.topic]: source } as Kafka.MessageHeader,
        { [LINEAGE_HEADERS.partition]: String(partition) } as Kafka.MessageHeader,
        { [LINEAGE_HEADERS.offset]: String(i) } as Kafka.MessageHeader,
      ];
      producer.produce(topic, partition, value, key, null, null, headers);
      payloadBytes += key.length + value.length + headerBytes(partition, i, source);
      if ((i + 1) % FILL_CHUNK === 0) await flush(producer);
    }
    await flush(producer);
  } finally {
    await disconnectWithin(producer);
  }
  if (failed > 0) throw new Error(`filling ${topic}: ${failed} of ${keys} records failed (${lastError})`);
  const seconds = (performance.now() - started) / 1000;
  return {
    keys,
    partitions: PARTITIONS,
    payloadBytes,
    diskBytes: topicDiskBytes(topic),
    perSec: keys / seconds,
    sampleValue: levelsValue(0),
  };
}

function flush(producer: Kafka.Producer): Promise<void> {
  return new Promise((resolve, reject) => producer.flush(60_000, (error) => (error ? reject(error) : resolve())));
}

/**
 * The topic's log segments on the local broker's disk (scripts/kafka.sh keeps them in
 * .kafka/data, or $KAFKA_HOME_DIR/data), or null when that directory is not readable here.
 */
export function topicDiskBytes(topic: string): number | null {
  const data = join(process.env.KAFKA_HOME_DIR ?? join(ROOT, '.kafka'), 'data');
  try {
    let bytes = 0;
    for (const dir of readdirSync(data)) {
      if (!dir.startsWith(`${topic}-`) || !/^\d+$/.test(dir.slice(topic.length + 1))) continue;
      for (const file of readdirSync(join(data, dir)))
        if (file.endsWith('.log')) bytes += statSync(join(data, dir, file)).size;
    }
    return bytes;
  } catch {
    return null;
  }
}

/** What an engine holds now: VmRSS and its V8 gauges. */
async function engineMemory(engine: EngineProcess, metrics: Map<string, number> | null): Promise<EngineMemory | null> {
  const rssMb = engine.rssMb();
  const m = metrics ?? (await engine.metrics(MEMORY_GAUGES));
  if (rssMb === null || !m) return null;
  return {
    rssBytes: rssMb * 1024 * 1024,
    heapUsedBytes: m.get('turbine_process_nodejs_heap_size_used_bytes') ?? 0,
    externalBytes: m.get('turbine_process_nodejs_external_memory_bytes') ?? 0,
  };
}

/**
 * Starts a stateful engine in `group` on an empty input and waits until it has restored
 * `keys` keys from the group's changelog; returns the engine's own restore figures. The
 * changelog is left for the next run (the next engine in the same group restores it again).
 */
export async function restoreOnce(
  brokers: string,
  input: string,
  group: string,
  keys: number,
  poolSize: number,
  timeoutMs: number,
): Promise<RestoreRun> {
  const options = engineOptions(brokers, input, group, poolSize, stateFlags('exactly-once', true));
  let engine: EngineProcess | undefined;
  const started = performance.now();
  try {
    engine = await EngineProcess.start(options);
    const e = engine;
    let restoredAt = 0;
    await e.waitFor(
      async () => {
        const s = await e.stats();
        if (s === null || s.stateKeys < keys || s.restoringPartitions > 0) return false;
        const m = await e.metrics(['turbine_state_restore_duration_seconds_count']);
        restoredAt = performance.now();
        return (m?.get('turbine_state_restore_duration_seconds_count') ?? 0) >= 1;
      },
      timeoutMs,
      `the restore of ${keys} keys`,
    );
    const m = await e.metrics(RESTORE_METRICS);
    return {
      records: m?.get('turbine_state_restored_records_total') ?? 0,
      seconds: m?.get('turbine_state_restore_duration_seconds_sum') ?? 0,
      restores: m?.get('turbine_state_restore_duration_seconds_count') ?? 0,
      startToRestoredMs: restoredAt - started,
      memory: await engineMemory(e, m),
    };
  } finally {
    await engine?.stop();
    await dropTopics(brokers, [options.output]);
  }
}

/** An engine with a store whose changelog is empty, once restored: the memory baseline of the restored engines. */
export async function emptyStoreMemory(brokers: string, input: string, poolSize: number): Promise<EngineMemory | null> {
  const group = randomName('state-empty');
  try {
    const run = await restoreOnce(brokers, input, group, 0, poolSize, 120_000);
    return run.memory;
  } finally {
    await dropTopics(brokers, [changelogTopicOf(group, STATE_STORE)]);
  }
}

/**
 * The restored maps alone: benchmarks/harness/store-heap-process.ts reads the changelog with
 * the engine's readChangelog in a `node --expose-gc` process and measures the heap they keep.
 */
export async function storeHeap(brokers: string, topic: string, timeoutMs: number): Promise<StoreHeap> {
  const result = await runJsonCommand(
    process.execPath,
    ['--expose-gc', STORE_HEAP_PROCESS, '--brokers', brokers, '--topic', topic, '--partitions', String(PARTITIONS)],
    timeoutMs,
  );
  const j = result.json;
  if (!result.ok || typeof j?.keys !== 'number' || typeof j.heapUsedBytes !== 'number')
    throw new Error(`store heap: ${result.reason ?? 'no figures in its JSON line'}`);
  return {
    keys: j.keys,
    heapUsedBytes: j.heapUsedBytes,
    readSeconds: Number(j.readSeconds),
    ...(j.cpu ? { cpu: j.cpu as CpuBreakdown } : {}),
  };
}

/**
 * The restore measurement: a changelog of `keys` keys filled once, restored by `runs` engines
 * one after another in its group, an engine with an empty store for the memory baseline, and
 * the heap of the restored maps alone. Topics are deleted afterwards.
 */
export async function measureRestore(
  brokers: string,
  keys: number,
  runs: number,
  poolSize: number,
  log: (message: string) => void,
): Promise<StateRestoreReport> {
  const report: StateRestoreReport = { fill: null, runs: [], baseline: null, storeHeap: null };
  const group = randomName('state-restore');
  const changelog = changelogTopicOf(group, STATE_STORE);
  const input = randomTopic('state-restore-in');
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  try {
    await ensureTopics(brokers, [{ name: input, partitions: PARTITIONS }]);
    log(`state restore: filling ${changelog} with ${fmt(keys)} keys...`);
    const fill = await fillChangelog(brokers, changelog, keys);
    report.fill = fill;
    log(`state restore: filled at ${fmt(fill.perSec)} records/s, ${(fill.payloadBytes / 1e6).toFixed(1)} MB payload`);
    report.baseline = await emptyStoreMemory(brokers, input, poolSize);
    for (let i = 1; i <= runs; i++) {
      const run = await restoreOnce(brokers, input, group, keys, poolSize, RESTORE_TIMEOUT_MS);
      report.runs.push(run);
      log(
        `state restore run ${i}/${runs}: ${fmt(run.records)} records in ${run.seconds.toFixed(2)} s (${fmt(run.records / run.seconds)} records/s, ${run.restores} restore(s)); RSS ${fmt((run.memory?.rssBytes ?? 0) / 1048576)} MiB`,
      );
    }
    report.storeHeap = await storeHeap(brokers, changelog, RESTORE_TIMEOUT_MS);
    log(
      `state restore: the maps alone take ${fmt(report.storeHeap.heapUsedBytes / report.storeHeap.keys)} B of heap per key`,
    );
  } catch (error) {
    report.notRun = (error instanceof Error ? error.message : String(error)).slice(0, 200);
    log(`state restore: ${report.notRun}`);
  } finally {
    await dropTopics(brokers, [input, `${input}.dlq`, changelog]);
  }
  return report;
}

/** One restore (engine start included) may take this long: a safety net, not a measurement. */
const RESTORE_TIMEOUT_MS = 600_000;
