/**
 * Worker-side cost per record (issue 15, part 3): what a batch costs between the main thread and
 * the user's function, per record format, with a user function that does nothing (W = 0). No
 * broker is needed: batches are packed as the engine packs them and run
 *   1. in this thread, through workers/part-runner.ts (the code each worker thread runs), stage
 *      by stage (unpack, decode, user call, encode into the output buffer) and whole, with the GC time seen;
 *   2. through a real WorkerPool of one thread (Piscina, dist/workers/runtime.js, workers/spin.js
 *      with SPIN_US=0), batches sent one after another: the process's CPU per record, split into
 *      the main thread (packing, the task round trip) and the rest (the worker thread and V8's
 *      helper threads).
 * CPU is process.cpuUsage() (every thread) and /proc/self/task/<pid>/stat (the main thread).
 *   node dist/benchmarks/worker-cost.js [--records 500] [--batches 200] [--value-size 1024]
 *        [--formats json,avro,raw] [--json]
 * Prints a table, or one JSON line with --json (benchmarks/harness/container-section.ts reads it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Batch } from '../src/batching/batcher.js';
import { createKeyPicker, createValueGenerator, defaultSchemaPath } from '../src/cli/loadgen-values.js';
import { OutputPacker, packInput, unpackInput } from '../src/dispatch/codec.js';
import type { TaskPart, WorkerSetup } from '../src/dispatch/task.js';
import { WorkerPool } from '../src/dispatch/worker-pool.js';
import { createSerde } from '../src/serde/serde.js';
import type { ConsumedRecord, InputRecord, OutputRecord, RecordFormat } from '../src/types.js';
import { createPartRunner } from '../workers/part-runner.js';

const ROOT = join(__dirname, '..', '..');
const SPIN_WORKER = join(ROOT, 'dist', 'workers', 'spin.js');
const TICK_MS = 10;
/** The W of the pool's second figure, µs of spin per record. */
const SPIN_W = 100;

export interface WorkerCostRow {
  format: RecordFormat;
  /** In-thread µs per record for each stage, and for the whole part (part-runner.ts). */
  unpackUs: number;
  decodeUs: number;
  userUs: number;
  /** Encoding the outputs into the output buffer (OutputPacker), the packing included. */
  encodeUs: number;
  partUs: number;
  /** GC pause time per record during the whole-part runs, µs. */
  gcUs: number;
  /** Through a one-thread pool: process CPU per record, the main thread's share, the rest. */
  poolProcessUs: number;
  poolMainUs: number;
  poolWorkerUs: number;
  /** The same pool with the spin worker at W = 100 µs: process CPU per record beyond the 100 µs. */
  poolBeyondSpinUs: number;
}

export interface WorkerCostReport {
  records: number;
  batches: number;
  valueSize: number;
  rows: WorkerCostRow[];
}

function mainThreadMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

function makeRecords(format: RecordFormat, count: number, valueSize: number): ConsumedRecord[] {
  const values = createValueGenerator({ format, valueSize });
  const keys = createKeyPicker(10_000, 'uniform');
  const out: ConsumedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const k = keys.next();
    const value = Buffer.from(values.next(i, k, Date.now()));
    const key = keys.bytes(k);
    out.push({
      topic: 'bench',
      partition: 0,
      offset: i,
      timestamp: Date.now(),
      key,
      value,
      headers: undefined,
      size: key.length + value.length,
    });
  }
  return out;
}

/** The spin worker's body at W = 0: one output per input, same key and value. */
function identity(batch: InputRecord[]): OutputRecord[] {
  return batch.map((r) => ({ key: r.key, value: r.value }));
}

function setupFor(format: RecordFormat): WorkerSetup {
  const schema = format === 'avro' ? defaultSchemaPath() : undefined;
  return {
    workerPath: SPIN_WORKER,
    inputFormat: format,
    outputFormat: format,
    inputSchema: schema,
    outputSchema: schema,
    avroWireFormat: 'confluent',
    outputSchemaId: 1,
  };
}

/** µs of CPU per record for `rounds` calls of fn over `records` records each (after a warm-up). */
async function perRecord(records: number, rounds: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, rounds); i++) await fn();
  const before = cpuMs();
  for (let i = 0; i < rounds; i++) await fn();
  return ((cpuMs() - before) * 1000) / (rounds * records);
}

async function measureFormat(
  format: RecordFormat,
  count: number,
  batches: number,
  valueSize: number,
): Promise<WorkerCostRow> {
  const records = makeRecords(format, count, valueSize);
  const setup = setupFor(format);
  const serdeOptions = { schemaPath: setup.inputSchema, wireFormat: 'confluent' as const, schemaId: 1 };
  const inputSerde = createSerde({ format, ...serdeOptions });
  const outputSerde = createSerde({ format, ...serdeOptions });
  const buffer = packInput(records);
  const part = (): TaskPart => ({ buffer, topic: 'bench', partition: 0 });
  const runPart = createPartRunner({ inputSerde, outputSerde, userFunction: identity });

  const unpacked = unpackInput(buffer);
  const decoded = unpacked.map((r) => inputSerde.decode(r.value));
  const batch: InputRecord[] = unpacked.map((r, i) => ({ ...r, value: decoded[i], topic: 'bench', partition: 0 }));
  const outputs = identity(batch);

  const unpackUs = await perRecord(count, batches, () => unpackInput(buffer));
  const decodeUs = await perRecord(count, batches, () => {
    for (const r of unpacked) inputSerde.decode(r.value);
  });
  const userUs = await perRecord(count, batches, () => identity(batch));
  // Encoding and packing are one step: each value is written straight into the output buffer.
  const encodeUs = await perRecord(count, batches, () => {
    const packer = new OutputPacker(outputs.length, buffer.byteLength + 1024);
    for (const o of outputs) {
      packer.beginInput();
      packer.output(null, o.key ?? null, o.value, outputSerde.write, []);
    }
    return packer.finish();
  });
  gcMs = 0;
  const partUs = await perRecord(count, batches, () => runPart(part()));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const gcUs = (gcMs * 1000) / ((batches + Math.min(20, batches)) * count);

  const zero = await throughPool(setup, records, buffer.byteLength, 0, batches);
  // W = 100: what a record costs beyond its 100 µs of spin, in fewer batches (each takes 50 ms).
  const spin = await throughPool(setup, records, buffer.byteLength, SPIN_W, Math.max(5, Math.round(batches / 10)));
  return {
    format,
    unpackUs,
    decodeUs,
    userUs,
    encodeUs,
    partUs,
    gcUs,
    poolProcessUs: zero.processUs,
    poolMainUs: zero.mainUs,
    poolWorkerUs: zero.processUs - zero.mainUs,
    poolBeyondSpinUs: spin.processUs - SPIN_W,
  };
}

/** Sends `batches` copies of the batch one after another through a one-thread pool running spin at W µs. */
async function throughPool(
  setup: WorkerSetup,
  records: ConsumedRecord[],
  bytes: number,
  w: number,
  batches: number,
): Promise<{ processUs: number; mainUs: number }> {
  const pool = new WorkerPool({ threads: 1, setup, env: { SPIN_US: String(w) } });
  try {
    await pool.probe();
    const asBatch = { id: 1, topic: 'bench', partition: 0, lane: '0', epoch: 0, records, bytes, openedAt: 0 } as Batch;
    for (let i = 0; i < Math.min(20, batches); i++) await pool.run(asBatch);
    const cpuBefore = cpuMs();
    const mainBefore = mainThreadMs();
    for (let i = 0; i < batches; i++) {
      const result = await pool.run(asBatch);
      if (!result.ok) throw new Error(`pool run failed: ${result.failure?.message}`);
    }
    const perRecord = 1000 / (batches * records.length);
    return { processUs: (cpuMs() - cpuBefore) * perRecord, mainUs: (mainThreadMs() - mainBefore) * perRecord };
  } finally {
    await pool.destroy();
  }
}

export async function measureWorkerCost(options: {
  records: number;
  batches: number;
  valueSize: number;
  formats: RecordFormat[];
}): Promise<WorkerCostReport> {
  const rows: WorkerCostRow[] = [];
  for (const format of options.formats) {
    rows.push(await measureFormat(format, options.records, options.batches, options.valueSize));
  }
  return { records: options.records, batches: options.batches, valueSize: options.valueSize, rows };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '500' },
      batches: { type: 'string', default: '200' },
      'value-size': { type: 'string', default: '1024' },
      formats: { type: 'string', default: 'json,avro,raw' },
      json: { type: 'boolean', default: false },
    },
  });
  const formats = values.formats.split(',').map((f) => f.trim());
  for (const f of formats) {
    if (!['json', 'avro', 'raw'].includes(f)) {
      process.stderr.write(`--formats: unknown format "${f}"; accepted: json, avro, raw\n`);
      process.exit(2);
    }
  }
  const report = await measureWorkerCost({
    records: Number(values.records),
    batches: Number(values.batches),
    valueSize: Number(values['value-size']),
    formats: formats as RecordFormat[],
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const f = (n: number) => n.toFixed(2).padStart(7);
  process.stdout.write(
    `batches of ${report.records} records of ${report.valueSize} B, ${report.batches} batches; µs of CPU per record\n` +
      'format   unpack  decode    user  encode    part      gc | pool: process    main  worker | W=100: beyond W\n',
  );
  for (const r of report.rows) {
    process.stdout.write(
      `${r.format.padEnd(6)} ${f(r.unpackUs)} ${f(r.decodeUs)} ${f(r.userUs)} ${f(r.encodeUs)} ${f(r.partUs)} ${f(r.gcUs)} |      ${f(r.poolProcessUs)} ${f(r.poolMainUs)} ${f(r.poolWorkerUs)} |         ${f(r.poolBeyondSpinUs)}\n`,
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`worker-cost: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
