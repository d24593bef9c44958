/**
 * Runs the bare node-rdkafka loop (benchmarks/peers/bare-loop.ts) as its own process and prints
 * one JSON line: {"records","ms","perSec","peakRssMb","cpu"}; cpu is where the cores went from the
 * first record to the last acknowledgement (this process's threads, the broker, the machine).
 *   node dist/benchmarks/harness/bare-loop-process.js --brokers B --input T --output T2 --group G --spin-us W --count C
 *     [--worker dist/workers/M.js --value-format raw|json]
 * With --worker, the loop runs that worker module's function on its own thread instead of the spin
 * (values decoded and encoded as --value-format says, as `turbine run` would).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { runBareLoop } from '../peers/bare-loop.js';
import { brokerPort, type CpuSnapshot, cpuBreakdown, findBrokerPid, readCpuSnapshot } from './cpu-accounting.js';
import { inlineWorker } from './inline-worker.js';
import { ROOT } from './processes.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
      group: { type: 'string' },
      'spin-us': { type: 'string' },
      count: { type: 'string' },
      worker: { type: 'string' },
      'value-format': { type: 'string' },
    },
  });
  const { brokers, input, output, group, count } = values;
  if (!brokers || !input || !output || !group || !count)
    throw new Error('--brokers --input --output --group --count are required');
  const records = Number(count);
  const format = values['value-format'] ?? 'raw';
  if (format !== 'raw' && format !== 'json') throw new Error('--value-format: raw or json');
  // Loaded before the timed window, like a worker thread's module in Turbine.
  const work = values.worker === undefined ? undefined : inlineWorker(values.worker, format);
  const brokerPid = findBrokerPid(ROOT, brokerPort(brokers));
  let cpuStart: CpuSnapshot | undefined;
  let cpuEnd: CpuSnapshot | undefined;
  const ms = await runBareLoop({
    brokers,
    input,
    output,
    group,
    records,
    spinUs: Number(values['spin-us'] ?? 0),
    ...(work ? { work } : {}),
    onFirstRecord: () => {
      cpuStart = readCpuSnapshot([process.pid], brokerPid);
    },
    onLastAck: () => {
      cpuEnd = readCpuSnapshot([process.pid], brokerPid);
    },
  });
  const cpu = cpuStart && cpuEnd ? cpuBreakdown(cpuStart, cpuEnd, records, cpus().length) : undefined;
  // resourceUsage().maxRSS is the peak resident set in KiB.
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(
    `${JSON.stringify({ records, ms: Math.round(ms), perSec: Math.round((records / ms) * 1000), peakRssMb, cpu })}\n`,
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
