/**
 * The heap keyed state takes per key: reads a changelog with the engine's own restore code
 * (src/state/restore.ts readChangelog, whose per-partition maps StateStore.load keeps as they
 * are) and prints one JSON line {"keys","records","heapUsedBytes","readSeconds","cpu"}: the main
 * thread's V8 heap in use after full collections, minus the same before the read, and where the
 * cores went during the read (this process's threads, the broker). Run with --expose-gc:
 *   node --expose-gc dist/benchmarks/harness/store-heap-process.js --brokers B --topic CHANGELOG --partitions 12
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { readChangelog } from '../../src/state/restore.js';
import { brokerPort, cpuBreakdown, findBrokerPid, readCpuSnapshot } from './cpu-accounting.js';
import { ROOT } from './processes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Full collections until the heap stops shrinking (V8 frees some memory one collection late). */
async function settledHeapUsed(gc: () => void): Promise<number> {
  let used = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(50);
    const now = process.memoryUsage().heapUsed;
    if (now >= used) return now;
    used = now;
  }
  return used;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { brokers: { type: 'string' }, topic: { type: 'string' }, partitions: { type: 'string' } },
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  if (!values.brokers || !values.topic || !values.partitions)
    throw new Error('--brokers --topic --partitions are required');
  const source = { brokers: values.brokers, clientId: 'bench-store-heap', kafka: {}, changelogTopic: values.topic };
  const partitions = Array.from({ length: Number(values.partitions) }, (_, p) => p);
  const deadline = () => Date.now() + 600_000;
  // Warm-up on one partition, dropped: the client's and the read's code and caches are in the baseline.
  await readChangelog(source, [0], deadline());
  const before = await settledHeapUsed(gc);
  const brokerPid = findBrokerPid(ROOT, brokerPort(values.brokers));
  const cpuStart = readCpuSnapshot([process.pid], brokerPid);
  const started = performance.now();
  const restored = await readChangelog(source, partitions, deadline());
  const readSeconds = (performance.now() - started) / 1000;
  const cpu = cpuBreakdown(cpuStart, readCpuSnapshot([process.pid], brokerPid), restored.records, cpus().length);
  const after = await settledHeapUsed(gc);
  let keys = 0;
  // Read after the measurement, so the maps are alive through it.
  for (const map of restored.values.values()) keys += map.size;
  process.stdout.write(
    `${JSON.stringify({ keys, records: restored.records, heapUsedBytes: after - before, readSeconds, cpu })}\n`,
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
