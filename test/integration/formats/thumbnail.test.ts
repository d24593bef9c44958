/**
 * Raw image bytes flow through the thumbnail sample worker: real JPEGs and PNGs in
 * (--input-format raw) come out as decodable WebP thumbnails of at most 128 px on the long side
 * (--output-format raw) with headers giving both sizes; corrupt images are retried, isolated and
 * dead-lettered with the decoder's reason, byte for byte; every input ends up in exactly one of
 * the two topics and the committed offsets reach the end.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import {
  committedOffsets,
  freshTopics,
  makeEngine,
  produceRecords,
  ROOT,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(120_000);

const THUMBNAIL_WORKER = join(ROOT, 'dist', 'workers', 'thumbnail.js');

interface Source {
  bytes: Buffer;
  format: 'jpeg' | 'png' | 'corrupt';
  width: number;
  height: number;
}

/** A JPEG (colour gradient with grain) or PNG (without grain, which PNG cannot compress). */
async function picture(width: number, height: number, format: 'jpeg' | 'png', seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  const grain = format === 'jpeg' ? 15 : 0;
  let noise = seed || 1;
  for (let i = 0; i < pixels.length; i++) {
    noise ^= noise << 13;
    noise ^= noise >>> 17;
    noise ^= noise << 5;
    pixels[i] = (((i / 3) % width) + (noise & grain) + (i % 3) * 60) & 255;
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg({ quality: 85 }).toBuffer() : image.png().toBuffer();
}

test('JPEG and PNG bytes in, WebP thumbnails out; corrupt images dead-lettered with their reason', async () => {
  const { input, output, drop } = await freshTopics('thumb', 2);
  const group = randomName('g');
  const shapes: Array<[number, number, 'jpeg' | 'png']> = [
    [1600, 1200, 'jpeg'],
    [600, 900, 'jpeg'],
    [1024, 576, 'png'],
    [300, 300, 'jpeg'],
    [100, 60, 'png'],
  ];
  const sources: Source[] = [];
  for (let i = 0; i < 30; i++) {
    const [width, height, format] = shapes[i % shapes.length]!;
    sources.push({ bytes: await picture(width, height, format, i + 1), format, width, height });
  }
  // Corrupt: a JPEG cut in half, a PNG with its middle overwritten, and bytes that are no image.
  const cut = sources[0]!.bytes.subarray(0, sources[0]!.bytes.length >> 1);
  const overwritten = Buffer.from(sources[2]!.bytes);
  overwritten.fill(0x5a, overwritten.length >> 2, (overwritten.length >> 2) + 4096);
  const noise = Buffer.from('definitely not an image '.repeat(200));
  for (const [at, bytes] of [
    [7, cut],
    [19, overwritten],
    [26, noise],
  ] as const) {
    sources.splice(at, 0, { bytes, format: 'corrupt', width: 0, height: 0 });
  }
  // Record i has key key-<i> and goes to partition i % 2; outputs and dead letters keep the key.
  await produceRecords(input, sources.length, { partitions: 2, value: (i) => sources[i]!.bytes });
  const indexOf = (record: { key: string | null; headers: Record<string, string> }): number => {
    const index = Number(record.key?.replace('key-', ''));
    expect(Number(record.headers['turbine.source.partition'])).toBe(index % 2);
    return index;
  };
  expect(sources[0]!.bytes.length).toBeGreaterThan(20_000);

  const engine = makeEngine({
    input,
    output,
    group,
    worker: THUMBNAIL_WORKER,
    inputFormat: 'raw',
    outputFormat: 'raw',
    batchMaxRecords: 8,
    retryMaxAttempts: 2,
    retryInitialMs: 10,
  });
  await engine.start();
  await waitProcessed(engine, sources.length);
  await engine.close();

  const thumbnails = await readTopic(output);
  const dead = await readTopic(`${input}.dlq`);
  const good = sources.filter((s) => s.format !== 'corrupt');
  expect(thumbnails).toHaveLength(good.length);
  expect(dead).toHaveLength(3);

  const seen = new Set<number>();
  for (const thumb of thumbnails) {
    const index = indexOf(thumb);
    seen.add(index);
    const source = sources[index]!;
    expect(source.format).not.toBe('corrupt');
    const decoded = await sharp(thumb.value!).metadata();
    expect(decoded.format).toBe('webp');
    expect(Math.max(decoded.width, decoded.height)).toBe(Math.min(128, Math.max(source.width, source.height)));
    expect(Math.abs(decoded.width / decoded.height - source.width / source.height)).toBeLessThan(0.05);
    expect(thumb.headers).toMatchObject({
      'thumbnail.width': String(decoded.width),
      'thumbnail.height': String(decoded.height),
      'thumbnail.format': 'webp',
      'thumbnail.bytes': String(thumb.value!.length),
      'thumbnail.source-width': String(source.width),
      'thumbnail.source-height': String(source.height),
      'thumbnail.source-format': source.format,
      'thumbnail.source-bytes': String(source.bytes.length),
    });
  }

  const reasons: string[] = [];
  for (const record of dead) {
    const index = indexOf(record);
    seen.add(index);
    const source = sources[index]!;
    expect(source.format).toBe('corrupt');
    // The dead-letter copy is the input, byte for byte.
    expect(record.value!.equals(source.bytes)).toBe(true);
    expect(record.headers['turbine.error.code']).toBe('WORKER_FAILED');
    expect(record.headers['turbine.worker']).toBe('thumbnail.js');
    expect(Number(record.headers['turbine.error.attempts'])).toBeGreaterThanOrEqual(2);
    expect(record.headers['turbine.error.message']).toContain(
      `offset ${record.headers['turbine.source.offset']}: not a decodable image (${source.bytes.length} bytes): `,
    );
    reasons.push(record.headers['turbine.error.message']!);
  }
  expect(reasons.some((reason) => reason.includes('truncated JPEG: no end-of-image marker'))).toBe(true);
  expect(reasons.some((reason) => reason.includes('unsupported image format'))).toBe(true);

  // Nothing lost: every input is a thumbnail or a dead letter, and the commits reached the end.
  expect(seen.size).toBe(sources.length);
  const ends = [0, 1].map((p) => sources.filter((_, i) => i % 2 === p).length);
  expect(await committedOffsets(group, input, 2)).toEqual(ends);
  await drop();
});
