/**
 * The keyed-state section of RESULTS.md (issue 13), rendered from its own run's StateReport so
 * that `--only state --out-dir benchmarks` can replace it alone between its markers. Pure.
 */
import { keyPartition } from '../../src/state/murmur2.js';
import type { CpuBreakdown } from './cpu-accounting.js';
import { environmentLine, num, runsCell, table } from './markdown.js';
import type { EngineMemory, RestoreRun, StateDrainRow, StateReport } from './report.js';
import { SECTION_START, updateGeneratedSection } from './scaling-doc.js';
import { median } from './statistics.js';

export const STATE_HEADING = '## 8. Keyed state (issue 13)';
/** What regenerates the section alone. */
export const STATE_COMMAND = 'npm run --silent build && node dist/benchmarks/run.js --only state --out-dir benchmarks';
const CLOSING_NOTE = '\n## Closing note';

const MiB = 1024 * 1024;
const mib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '–' : num(bytes / MiB));
const mb = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? '–' : (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
const seconds = (s: number | null | undefined) => (s === null || s === undefined ? '–' : s.toFixed(s < 10 ? 2 : 1));
const times = (r: number | null) => (r === null ? '–' : `${r.toFixed(2)}×`);
/** The engine main thread's CPU per record in the run nearest the median (absent where not sampled). */
const mainUs = (r: StateDrainRow) => r.throughput.cpu?.usPerRecord.main.toFixed(1) ?? '–';

/** a ÷ b of two medians, null when either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

/** (largest − smallest) ÷ median of a row's runs: how far one run strays on this machine. */
export function runSpread(runs: readonly number[]): number | null {
  const m = median(runs);
  if (m === null || m === 0 || runs.length < 2) return null;
  return (Math.max(...runs) - Math.min(...runs)) / m;
}

/** The partitions Kafka's default partitioner gives keys `key-0` .. `key-<keys-1>`. */
export function partitionsWithKeys(keys: number, partitions: number): number {
  const used = new Set<number>();
  for (let i = 0; i < keys && used.size < partitions; i++) used.add(keyPartition(Buffer.from(`key-${i}`), partitions));
  return used.size;
}

/** Median restore figures over the runs: seconds, records/s, and the engine's memory (field by field). */
export function restoreMedians(runs: readonly RestoreRun[]): {
  seconds: number | null;
  perSec: number | null;
  startToRestoredMs: number | null;
  memory: EngineMemory | null;
} {
  const done = runs.filter((r) => r.seconds > 0);
  const memories = done.map((r) => r.memory).filter((m): m is EngineMemory => m !== null);
  const field = (f: keyof EngineMemory) => median(memories.map((m) => m[f]))!;
  return {
    seconds: median(done.map((r) => r.seconds)),
    perSec: median(done.map((r) => r.records / r.seconds)),
    startToRestoredMs: median(done.map((r) => r.startToRestoredMs)),
    memory:
      memories.length === 0
        ? null
        : { rssBytes: field('rssBytes'), heapUsedBytes: field('heapUsedBytes'), externalBytes: field('externalBytes') },
  };
}

/** (loaded − baseline) ÷ keys, bytes per key, per field. */
export function bytesPerKey(loaded: EngineMemory, baseline: EngineMemory, keys: number): EngineMemory {
  const per = (f: keyof EngineMemory) => (loaded[f] - baseline[f]) / keys;
  return { rssBytes: per('rssBytes'), heapUsedBytes: per('heapUsedBytes'), externalBytes: per('externalBytes') };
}

/**
 * Puts the section between its markers in RESULTS.md: replaces what they hold, or, in a file
 * rendered before the section existed, inserts it before the closing note.
 */
export function replaceStateSection(doc: string, section: string): string {
  const closing = doc.indexOf(CLOSING_NOTE);
  if (doc.includes(SECTION_START) || closing < 0) return updateGeneratedSection(doc, section);
  return `${updateGeneratedSection(doc.slice(0, closing), section)}${doc.slice(closing)}`;
}

function flagsOf(r: StateDrainRow, store: string): string {
  return `\`--guarantee ${r.guarantee}${r.stateful ? ` --state-store ${store}` : ''}\``;
}

/**
 * a ÷ b for two rows drained in turn: the median over rounds of the ratio within a round (run i
 * of each row met the same load), or the ratio of the medians when the rows' runs do not pair.
 */
export function pairedRatio(a: StateDrainRow | undefined, b: StateDrainRow | undefined): number | null {
  if (!a || !b) return null;
  const x = a.throughput.runs;
  const y = b.throughput.runs;
  if (x.length === 0 || x.length !== y.length) return ratio(a.throughput.perSec, b.throughput.perSec);
  return median(x.map((v, i) => v / y[i]!));
}

function throughputPart(s: StateReport): string[] {
  const rows = s.rows.filter((r) => r.keys === s.manyKeys);
  const alo = rows[0];
  const eos = rows.find((r) => !r.stateful && r.guarantee === 'exactly-once');
  const stateful = rows.find((r) => r.stateful);
  const out = [
    '',
    `workers/inventory.ts (JSON in, JSON out) drains a pre-filled topic of ${s.partitions} partitions: ${num(s.records)} stock movements of ${s.valueSize} B from \`turbine loadgen --format json --keys ${s.manyKeys} --value-size ${s.valueSize}\` (record keys \`key-<n>\`, one per SKU, on Kafka's default murmur2 partitions). Every row drains the same topic with pool ${s.poolSize}, partition order and one engine process, each run in a fresh group (a stateful run starts from an empty changelog and writes a changelog record for each key a batch changed); records/s from the first consumed record to the last one finished, as in section 1. These rows and the two of the key-overlap table were drained a run at a time, all five in turn, so run i of every row met about the same load; the ratio columns are the median over the ${s.runs} rounds of the ratio within a round. Main thread µs/record = the engine main thread's CPU time per record in the run nearest the median (section 1's accounting), which other load moves far less than records/s; other processes = the cores that processes other than the engine and the broker used meanwhile (other users of this machine).`,
    '',
    ...table(
      [
        'configuration',
        '`turbine run` flags',
        'runs (records/s)',
        'median records/s',
        '÷ first row',
        '÷ row above',
        'main thread µs/record',
        'other processes (cores)',
        'peak RSS (MiB)',
      ],
      rows.map((r, i) => [
        r.label,
        flagsOf(r, s.store),
        runsCell(r.throughput),
        num(r.throughput.perSec),
        times(pairedRatio(r, alo)),
        i === 0 ? '–' : times(pairedRatio(r, rows[i - 1])),
        mainUs(r),
        r.throughput.cpu?.cores.rest.toFixed(2) ?? '–',
        num(r.throughput.peakRssMb),
      ]),
    ),
  ];
  const eosCost = pairedRatio(eos, alo);
  const stateCost = pairedRatio(stateful, eos);
  if (eosCost !== null && stateCost !== null)
    out.push(
      '',
      `Exactly-once keeps ${times(eosCost)} of the at-least-once rate; a state store on top of it keeps ${times(stateCost)} of the exactly-once rate (${times(pairedRatio(stateful, alo))} of at-least-once in all).`,
    );
  return out;
}

function overlapPart(s: StateReport): string[] {
  const rows = s.rows.filter((r) => r.stateful).sort((a, b) => a.keys - b.keys);
  const many = rows.find((r) => r.keys === s.manyKeys);
  const sum = (v: readonly number[]) => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0));
  const others = rows.filter((r) => r.keys !== s.manyKeys).map((r) => num(r.keys));
  return [
    '',
    '### Key-overlap waits',
    '',
    `The stateful configuration again on topics of ${num(s.records)} records over ${others.join(' and ')} keys (${num(s.fewKeys)} keys fall in ${partitionsWithKeys(s.fewKeys, s.partitions)} of the ${s.partitions} partitions), next to the ${num(s.manyKeys)}-key row above (the same runs; ratios per round as above). A batch that shares a key with a batch of its partition that is running or waiting ahead of it waits for it (src/state/key-locks.ts). Dispatched = \`turbine_batches_dispatched_total\`, delayed = \`turbine_state_batches_delayed_total\`, changelog records = \`turbine_state_changelog_records_total\` (one per key a batch changed), read from the engine's /metrics at the end of each drain.`,
    '',
    ...table(
      [
        'keys',
        'runs (records/s)',
        'median records/s',
        `÷ ${num(s.manyKeys)} keys`,
        'batches dispatched (all runs)',
        'batches delayed (all runs)',
        'delayed share',
        'changelog records per run',
        'main thread µs/record',
      ],
      rows.map((r) => {
        const dispatched = sum(r.batchesDispatched);
        const delayed = sum(r.batchesDelayed);
        const changelog = median(r.changelogRecords);
        return [
          num(r.keys),
          runsCell(r.throughput),
          num(r.throughput.perSec),
          times(pairedRatio(r, many)),
          num(dispatched),
          num(delayed),
          dispatched && delayed !== null ? `${((delayed / dispatched) * 100).toFixed(1)}%` : '–',
          num(changelog),
          mainUs(r),
        ];
      }),
    ),
    '',
    "The drain starts from a full topic, so each partition's batches arrive nearly at once and wait in line for the pool's threads: a batch shares a key with one ahead of it unless the partition's keys far outnumber the records in flight. A wait costs throughput only when no other partition has a batch ready for an idle thread. Fewer keys also mean less changelog: a batch writes one record per key it changed, not per record, so the rows differ in changelog work as well as in waits (see the changelog column).",
  ];
}

function restorePart(s: StateReport): string[] {
  const r = s.restore;
  const out = ['', '### Restore speed and memory per key', ''];
  if (r.notRun && r.runs.length === 0) return [...out, `Not run: ${r.notRun}`];
  const f = r.fill;
  const m = restoreMedians(r.runs);
  if (f) {
    out.push(
      `The changelog: a compacted \`<group>-${s.store}-changelog\` of ${f.partitions} partitions holding ${num(f.keys)} keys \`key-0\` … \`key-${num(f.keys - 1).replace(/,/g, '')}\`, one record each, on the key's murmur2 partition, valued \`${f.sampleValue}\` (what the inventory worker keeps for a SKU whose four warehouses have moved) with the engine's three lineage headers. It was filled straight from a producer (benchmarks/harness/state-scenarios.ts \`fillChangelog\`: the engine's producer settings, lz4, plain idempotent produce and no transaction, which read_committed readers read like committed records) at ${num(f.perSec)} records/s, instead of running the engine over ${num(f.keys)} inputs. Then an inventory engine with \`--guarantee exactly-once --state-store ${s.store}\` starts in that group on an empty input and restores all ${f.partitions} partitions in one read, ${s.runs} time(s) (engines one after another in the same group). Restore time and records are the engine's \`turbine_state_restore_duration_seconds\` (sum) and \`turbine_state_restored_records_total\`; start to restored is from spawning the process (startup, group join, restore).`,
      '',
    );
  }
  out.push(
    ...table(
      [
        'keys',
        'changelog payload (MB)',
        'on disk (MB)',
        'runs (restore s)',
        'median restore (s)',
        'records/s',
        'payload MB/s',
        'start to restored (s)',
      ],
      [
        [
          num(f?.keys),
          mb(f?.payloadBytes),
          mb(f?.diskBytes),
          r.runs.map((x) => seconds(x.seconds)).join(', ') + (r.notRun ? ` (then failed: ${r.notRun})` : ''),
          seconds(m.seconds),
          num(m.perSec),
          f && m.seconds ? (f.payloadBytes / 1e6 / m.seconds).toFixed(1) : '–',
          m.startToRestoredMs === null ? '–' : seconds(m.startToRestoredMs / 1000),
        ],
      ],
    ),
    ...memoryPart(s, m.memory),
  );
  return out;
}

function memoryPart(s: StateReport, loaded: EngineMemory | null): string[] {
  const r = s.restore;
  const keys = r.fill?.keys ?? 0;
  const cells = (mem: EngineMemory | null) => [mib(mem?.rssBytes), mib(mem?.heapUsedBytes), mib(mem?.externalBytes)];
  const per = loaded && r.baseline && keys > 0 ? bytesPerKey(loaded, r.baseline, keys) : null;
  const out = [
    '',
    ...table(
      ['engine process', 'keys', 'RSS (MiB)', 'main-thread V8 heap used (MiB)', 'external (MiB)'],
      [
        ['store with an empty changelog (baseline)', '0', ...cells(r.baseline)],
        ['after restoring the changelog (median of the runs)', num(keys), ...cells(loaded)],
        [
          '**difference ÷ keys (bytes per key)**',
          '',
          num(per?.rssBytes),
          num(per?.heapUsedBytes),
          num(per?.externalBytes),
        ],
      ],
    ),
    '',
    "The engine's figures are read the moment its restore ends, without a forced collection: the heap still holds some of the restore's garbage, and RSS keeps what the allocator freed.",
  ];
  const h = r.storeHeap;
  if (h) {
    out.push(
      '',
      `The store's maps alone take **${num(h.heapUsedBytes / h.keys)} bytes per key** of V8 heap (${mib(h.heapUsedBytes)} MiB for ${num(h.keys)} keys): the changelog read with the engine's own readChangelog (src/state/restore.ts, whose maps StateStore.load keeps) in a \`node --expose-gc\` process, heap in use after full collections minus before the read (benchmarks/harness/store-heap-process.ts). That process read the changelog in ${seconds(h.readSeconds)} s (${num(h.keys / h.readSeconds)} records/s) outside the engine.${readCpuText(h.cpu)}`,
    );
  }
  return out;
}

/** Where the cores went during the read outside the engine: what bounds the restore. */
export function readCpuText(cpu: CpuBreakdown | undefined): string {
  if (!cpu) return '';
  const c = cpu.cores;
  const us = (v: number | null) => (v === null ? '?' : v.toFixed(1));
  return ` Its main thread (node-rdkafka turning each record, its key, value and three headers into JavaScript objects, then the map) was busy ${c.main.toFixed(2)} of the wall time, ${us(cpu.usPerRecord.main)} µs per record; the thread that runs librdkafka's consume calls and other helper threads ${c.workers.toFixed(2)} (${us(cpu.usPerRecord.workers)} µs per record); librdkafka's own threads ${c.librdkafka.toFixed(2)}; the broker ${c.broker === null ? '?' : c.broker.toFixed(2)}; the machine had ${cpu.idle.toFixed(2)} of ${cpu.cpuCount} cores idle.`;
}

function noiseNote(s: StateReport): string[] {
  const spreads = s.rows.map((r) => runSpread(r.throughput.runs)).filter((v): v is number => v !== null);
  const worst = spreads.length === 0 ? null : Math.max(...spreads);
  return [
    '',
    `Noise: ${s.env.cpuCount} cores shared by the engine, its worker threads and the broker${worst === null ? '' : `; runs of one row differ by up to ${(worst * 100).toFixed(0)}% of its median`}. Other work on the machine moves all rows of a run alike, so the ratios within this run say more than the absolute figures, or than a comparison with another run.`,
  ];
}

/** The section's Markdown, heading included, without its markers. */
export function renderStateSection(s: StateReport): string {
  return [
    STATE_HEADING,
    '',
    environmentLine(s.env, s),
    '',
    `Regenerate this section alone: \`${STATE_COMMAND}\` measures it again and replaces the text between its markers in this file (and benchmarks/state.json); the other sections stay as they are.`,
    ...throughputPart(s),
    ...overlapPart(s),
    ...restorePart(s),
    ...noiseNote(s),
  ].join('\n');
}
