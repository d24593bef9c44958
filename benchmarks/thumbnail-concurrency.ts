/**
 * How many images each worker thread should keep converting at once (workers/thumbnail.ts,
 * THUMBNAIL_CONCURRENCY). No broker: the load generator's images, in batches, through a Piscina
 * pool running the thumbnail worker, for each setting in turn, round after round, so the
 * settings share the machine's state. Prints images/s and the cores the process used.
 *   node dist/benchmarks/thumbnail-concurrency.js [--threads 2] [--concurrency 1,2,3]
 *        [--batches 200] [--batch-size 8] [--rounds 3]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import { checkNumber } from '../src/cli/args.js';
import { generateImages } from '../src/cli/loadgen-images.js';

const TASK = join(__dirname, 'harness', 'thumbnail-task.js');

/** A whole number of at least 1 (and at most `max`), or an error naming the flag. */
const count = (name: string, raw: string, max: number) =>
  checkNumber(name, Number(raw), { min: 1, max, integer: true }, raw);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '1,2,3' },
      batches: { type: 'string', default: '200' },
      'batch-size': { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const threads = count('threads', values.threads, 1024);
  const settings = values.concurrency.split(',').map((c) => count('concurrency', c, 64));
  const batches = count('batches', values.batches, 1_000_000);
  const batchSize = count('batch-size', values['batch-size'], 10_000);
  const rounds = count('rounds', values.rounds, 1_000);
  const images = (await generateImages(24, 1)).map((image) => image.bytes);
  const meanKb = images.reduce((sum, b) => sum + b.length, 0) / images.length / 1024;
  process.stdout.write(
    `${images.length} images (mean ${meanKb.toFixed(0)} KB), ${threads} threads, ${batches} batches of ${batchSize}\n`,
  );
  for (let round = 1; round <= rounds; round++) {
    for (const concurrency of settings) {
      const pool = new Piscina({
        filename: TASK,
        minThreads: threads,
        maxThreads: threads,
        env: { ...process.env, THUMBNAIL_CONCURRENCY: String(concurrency) },
      });
      const work = Array.from({ length: batches }, (_, i) =>
        Array.from({ length: batchSize }, (_, j) => images[(i * batchSize + j) % images.length]!),
      );
      await pool.run(work[0]); // thread start and sharp's load, not timed
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await Promise.all(work.map((batch) => pool.run(batch)));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      const rate = (batches * batchSize) / seconds;
      const cores = (used.user + used.system) / 1e6 / seconds;
      process.stdout.write(
        `round ${round}  concurrency ${concurrency}: ${rate.toFixed(0)} images/s, ${cores.toFixed(2)} cores\n`,
      );
      await pool.destroy();
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
