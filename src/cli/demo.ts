/**
 * `turbine demo`: the quick start's end-to-end run on the local broker. Creates fresh topics,
 * starts the engine with a sample worker (inventory by default; image thumbnails or review
 * analytics with --workload), generates its records, shows live progress, drains, verifies the
 * output and prints a summary (human lines on stderr, one JSON line on stdout).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { ensureTopics } from '../admin/topics.js';
import { loadConfig } from '../config/load.js';
import { sizeThreadpool } from '../config/threadpool.js';
import { Engine } from '../engine.js';
import { createLogger } from '../observability/logger.js';
import { enumFlag, flagSpec, numberFlag, parseFlags } from './args.js';
import { registryMovementDecoder, throughRegistry } from './demo-registry.js';
import { demoWorkload, WORKLOADS } from './demo-workloads.js';
import { histogramQuantile } from './histogram-quantile.js';
import { checkInventory } from './inventory-check.js';
import { describeInventoryCheck, inventoryMatches, type SkuLevels } from './inventory-fold.js';
import { runLoadgen } from './loadgen.js';
import { runVerify } from './verify.js';

export const DEMO_HELP = `Usage: turbine demo [--workload inventory|image|text] [--brokers 127.0.0.1:9092] [--count N] [--rate R]
                    [--pool-size N] [--partitions 6] [--stateless] [--schema-registry URL]

Runs load generator + engine + verifier against a local Kafka and prints throughput, end-to-end
latency percentiles and the verification result.
  inventory (default): 100,000 stock movements at 10,000/s; the inventory sample worker keeps levels
    in the state store "levels" (exactly-once), and the summary checks every SKU/warehouse: its
    last output level and its level in the store must equal 30 plus the sum of its movements.
    --stateless runs the same worker without a store (at-least-once), for comparison only.
    --schema-registry URL sends the movements as Avro with the id their schema gets in that
    registry (npm run registry:up: http://127.0.0.1:8081/apis/ccompat/v7); the engine and the
    check decode them with the schema fetched by that id.
  image: 2,000 generated JPEG/PNG images (20-500 KB, 1% corrupt) at full speed through
    workers/thumbnail.ts (128 px WebP); the corrupt ones must be exactly the dead-lettered ones.
  text: 50,000 generated product reviews (0.1% undecodable) at full speed through workers/text.ts
    (terms and sentiment); the undecodable ones must be exactly the dead-lettered ones.`;

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/** Where the demo's stock levels start: low, so some movements cross the low-stock threshold. */
const INVENTORY_START = 30;

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** With a registry: the check's decoder of Avro movements, and a line saying which id they carry. */
async function movementDecoder(
  url: string | undefined,
  input: string,
): Promise<{ decodeInput?: (value: Buffer) => unknown }> {
  if (!url) return {};
  const { schemaId, decode } = await registryMovementDecoder(url, input);
  process.stderr.write(`  schema registry: movements carry schema id ${schemaId} (${input}-value at ${url})\n`);
  return { decodeInput: decode };
}

export async function runDemo(argv: string[]): Promise<number> {
  const values = parseFlags(
    'demo',
    argv,
    flagSpec(
      ['brokers', 'count', 'rate', 'pool-size', 'partitions', 'workload', 'schema-registry'],
      ['stateless', 'help'],
    ),
  );
  if (values.help) {
    process.stdout.write(`${DEMO_HELP}\n`);
    return 0;
  }
  const brokers = typeof values.brokers === 'string' ? values.brokers : '127.0.0.1:9092';
  const registry = typeof values['schema-registry'] === 'string' ? values['schema-registry'] : undefined;
  const chosen = demoWorkload(enumFlag(values, 'workload', WORKLOADS, 'inventory'), values.stateless === true);
  const workload = registry ? throughRegistry(chosen, registry) : chosen;
  const inventoryRun = workload.name === 'inventory';
  const count = numberFlag(values, 'count', workload.defaultCount, { min: 1, max: 100_000_000, integer: true });
  const rate = numberFlag(values, 'rate', workload.defaultRate, { min: 0, max: 10_000_000, integer: true });
  const partitions = numberFlag(values, 'partitions', 6, { min: 1, max: 1000, integer: true });
  const stateless = values.stateless === true || !inventoryRun;
  const suffix = randomBytes(3).toString('hex');
  const input = `turbine-demo-${suffix}-${inventoryRun ? 'movements' : workload.name}`;
  const output = `turbine-demo-${suffix}-${inventoryRun ? 'levels' : 'out'}`;
  const alerts = `turbine-demo-${suffix}-alerts`;
  const err = process.stderr;
  const tty = err.isTTY === true;

  const config = loadConfig({
    flags: {
      brokers,
      input,
      output,
      group: `turbine-demo-${suffix}`,
      worker: workload.workerFile,
      ...workload.engine,
      metricsPort: 0,
      ...(typeof values['pool-size'] === 'string' ? { poolSize: values['pool-size'] } : {}),
    },
  });
  // Before the first Kafka call: node-rdkafka's admin and consume calls use libuv's pool too.
  sizeThreadpool(config.poolSize);
  err.write(
    `Turbine demo: ${fmt(count)} ${workload.records} at ${rate ? `${fmt(rate)}/s` : 'full speed'} on ${brokers}\n`,
  );
  err.write(
    `  topics: ${input} → ${output}${inventoryRun ? ` (+ low-stock alerts on ${alerts})` : ''}, ${partitions} partitions\n`,
  );
  await ensureTopics(brokers, [
    { name: input, partitions },
    { name: output, partitions },
    ...(inventoryRun ? [{ name: alerts, partitions }] : []),
  ]);
  // The inventory worker is configured through its environment: alerts go to their own topic,
  // and levels start low enough that some stock movements cross the low-stock threshold.
  const engine = new Engine(config, {
    logger: createLogger('warn'),
    workerEnv: { ALERT_TOPIC: alerts, INVENTORY_START: String(INVENTORY_START), LOW_STOCK_THRESHOLD: '20' },
  });
  const assigned = new Promise<void>((resolve) =>
    engine.on('assigned', (tps: unknown[]) => {
      if (tps.length > 0) resolve();
    }),
  );
  await engine.start();
  // Start the load once the group has assigned partitions, so latency measures the pipeline.
  await assigned;
  err.write(`  engine: pool of ${config.poolSize} worker threads, ordering ${config.ordering}\n`);

  const started = Date.now();
  let loadSent = 0;
  const load = runLoadgen(
    { brokers, topic: input, count, rate, partitions, ...workload.load },
    { stdout: discard(), stderr: discard() },
  ).then((summary) => {
    loadSent = summary.acked;
    return summary;
  });

  let lastConsumed = 0;
  let lastAt = Date.now();
  const progress = setInterval(
    () => {
      const s = engine.snapshot();
      const now = Date.now();
      const rateNow = ((s.consumed - lastConsumed) * 1000) / Math.max(1, now - lastAt);
      lastConsumed = s.consumed;
      lastAt = now;
      const pct = Math.min(100, (100 * s.consumed) / count).toFixed(0);
      const line = `  [${pct.padStart(3)}%] consumed ${fmt(s.consumed)} | produced ${fmt(s.produced)} | ${fmt(rateNow)} rec/s | in flight ${fmt(s.inFlightRecords)} | dead-lettered ${s.deadLettered}`;
      err.write(tty ? `\r${line.padEnd(110)}` : `${line}\n`);
    },
    tty ? 250 : 2000,
  );

  const loadSummary = await load;
  // Wait until everything generated was consumed and completed.
  const waitStart = Date.now();
  while (engine.snapshot().consumed < loadSummary.acked || engine.snapshot().inFlightRecords > 0) {
    if (Date.now() - waitStart > 120_000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const processedAt = Date.now();
  clearInterval(progress);
  if (tty) err.write('\n');
  const p50 = await histogramQuantile(engine.metrics.endToEndLatency, 0.5);
  const p99 = await histogramQuantile(engine.metrics.endToEndLatency, 0.99);
  const stats = engine.snapshot();
  // Outputs acknowledged per topic: levels, alerts and (state) changelog records go to different topics.
  const producedOn = new Map(
    (await engine.metrics.recordsProduced.get()).values.map((v) => [String(v.labels.topic), v.value]),
  );
  if (!stateless) err.write('  checking stock levels (outputs and state store) against the movements...\n');
  const inventory = stateless
    ? null
    : await checkInventory(
        { brokers, input, output, ...(await movementDecoder(registry, input)) },
        INVENTORY_START,
        (key) => {
          const answer = engine.queryState('levels', key);
          return answer.status === 200 ? (answer.body.value as SkuLevels) : undefined;
        },
      );
  const close = await engine.close();
  err.write('  verifying output against input...\n');
  const report = await runVerify(
    {
      ...{ brokers, input, output, ordering: 'partition', quiet: true, isolationLevel: 'read_committed' },
      // Inputs sent corrupt get a dead letter instead of an output (the engine's default topic,
      // created at start with the output).
      deadLetter: `${input}.dlq`,
      timeoutMs: 30_000,
    },
    { stdout: discard(), stderr: discard() },
  );
  const seconds = (processedAt - started) / 1000;
  const summary = {
    records: loadSummary.acked,
    loadRatePerSec: Math.round(loadSummary.ratePerSec),
    durationSec: Number(seconds.toFixed(2)),
    throughputPerSec: Math.round(stats.consumed / seconds),
    latencyMs: { p50: p50 === null ? null : Math.round(p50 * 1000), p99: p99 === null ? null : Math.round(p99 * 1000) },
    outputs: report.outputs + (producedOn.get(alerts) ?? 0),
    changelogRecords: stateless ? 0 : (producedOn.get(`turbine-demo-${suffix}-levels-changelog`) ?? 0),
    alerts: producedOn.get(alerts) ?? 0,
    workload: workload.name,
    inputMB: Number((loadSummary.valueBytes / 1e6).toFixed(1)),
    corruptSent: loadSummary.corrupt,
    deadLettered: stats.deadLettered,
    drained: close.drained,
    verify: report,
    inventory,
  };
  const levelsOk = inventory === null || inventoryMatches(inventory);
  // Records sent corrupt on purpose have no output but a dead letter. They must be exactly the
  // dead-lettered ones, no more (an innocent record dead-lettered) and no fewer.
  const deadOk =
    summary.deadLettered === loadSummary.corrupt &&
    (report.deadLettered ?? 0) === loadSummary.corrupt &&
    report.lost === 0;
  const verified = deadOk && report.duplicates === 0 && report.orderViolations === 0;
  const lostLine =
    loadSummary.corrupt > 0
      ? `lost ${report.lost}, dead-lettered ${report.deadLettered ?? 0} (the ${loadSummary.corrupt} sent corrupt)`
      : `lost ${report.lost}`;
  err.write(
    [
      `  records:     ${fmt(summary.records)} in ${summary.durationSec}s → ${fmt(summary.throughputPerSec)} records/s end to end (load offered at ${rate ? fmt(rate) : 'max'}/s)`,
      `  latency:     p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms (record timestamp → output acknowledged; histogram-interpolated)`,
      `  input:       ${fmt(summary.records)} ${workload.records}, ${summary.inputMB} MB (${(summary.inputMB / Math.max(seconds, 0.001)).toFixed(1)} MB/s)`,
      `  outputs:     ${fmt(report.outputs)} ${workload.outputs}${inventoryRun ? `, ${fmt(summary.alerts)} low-stock alerts` : ''}, ${summary.deadLettered} dead-lettered`,
      `  verify:      ${lostLine}, duplicates ${report.duplicates}, order violations ${report.orderViolations} → ${verified ? 'OK' : 'FAILED'}`,
      ...(inventoryRun
        ? [
            inventory === null
              ? '  state:       off (--stateless: levels are per-batch totals, not stock levels)'
              : `  state:       ${describeInventoryCheck(inventory)}`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  void loadSent;
  return verified && levelsOk ? 0 : 1;
}
