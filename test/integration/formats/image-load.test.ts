/**
 * The load generator's images (--format image, 20–500 KB JPEGs and PNGs, a share corrupt) run
 * through the thumbnail worker with a byte bound far below the topic's size (maxInFlightBytes
 * 2 MB, the topic about 20 MB): every good image gives a decodable WebP thumbnail and exactly the
 * images loadgen sent corrupt are dead-lettered. In-flight bytes stay near the bound: the
 * consumer's room is counted in records of the recent mean size, so at most the size variance of
 * one consume call passes it (before, one call could take up to 4,096 records: 17-23 MB here).
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { freshTopics, makeEngine, ROOT, randomName, readTopic, waitProcessed } from '../../helpers/kafka';
import { generateQuietly } from '../../helpers/loadgen';

jest.setTimeout(180_000);

const MAX_IN_FLIGHT_BYTES = 2_000_000;

test('loadgen images → thumbnails and dead letters, under a byte bound', async () => {
  const { input, output, drop } = await freshTopics('imgload', 2);
  const count = 200;
  const load = await generateQuietly({ topic: input, count, format: 'image', seed: 3, corruptRate: 0.05 });
  expect(load.acked).toBe(count);
  expect(load.corrupt).toBeGreaterThan(0);
  expect(load.valueSize).toBeGreaterThan(20_000);

  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: join(ROOT, 'dist', 'workers', 'thumbnail.js'),
    inputFormat: 'raw',
    outputFormat: 'raw',
    maxInFlightBytes: MAX_IN_FLIGHT_BYTES,
    retryMaxAttempts: 2,
    retryInitialMs: 10,
  });
  let peakBytes = 0;
  const sampler = setInterval(() => {
    peakBytes = Math.max(peakBytes, engine.snapshot().inFlightBytes);
  }, 5);
  try {
    await engine.start();
    await waitProcessed(engine, count, 150_000);
    await engine.close();
  } finally {
    clearInterval(sampler);
  }

  const thumbnails = await readTopic(output);
  const dead = await readTopic(`${input}.dlq`);
  expect(thumbnails).toHaveLength(count - load.corrupt);
  expect(dead).toHaveLength(load.corrupt);
  for (const d of dead) {
    expect(d.headers['turbine.error.code']).toBe('WORKER_FAILED');
    expect(d.headers['turbine.error.message']).toMatch(/^offset \d+: not a decodable image \(\d+ bytes\): /);
  }
  for (const thumb of thumbnails.slice(0, 40)) {
    const decoded = await sharp(thumb.value!).metadata();
    expect(decoded.format).toBe('webp');
    expect(Math.max(decoded.width, decoded.height)).toBeLessThanOrEqual(128);
    expect(thumb.headers['thumbnail.width']).toBe(String(decoded.width));
  }
  const peak = engine.snapshot().peakInFlightBytes;
  process.stdout.write(
    `image-load: peak in-flight bytes ${peak} (sampled ${peakBytes}; bound ${MAX_IN_FLIGHT_BYTES})\n`,
  );
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThanOrEqual(2 * MAX_IN_FLIGHT_BYTES);
  await drop();
});
