/**
 * Sample worker `thumbnail`: raw image bytes (JPEG, PNG or WebP) in, a WebP thumbnail out, at
 * most THUMBNAIL_SIZE pixels (default 128) on the long side, aspect ratio kept, never enlarged,
 * EXIF orientation applied. Each output keeps the input's key and carries headers:
 * `thumbnail.width`, `thumbnail.height`, `thumbnail.format` (webp), `thumbnail.bytes`, and
 * `thumbnail.source-width`, `thumbnail.source-height`, `thumbnail.source-format`,
 * `thumbnail.source-bytes`.
 *
 * Run with `--input-format raw --output-format raw`: the value in is the image's bytes, the value
 * out the WebP's (with json output the Buffer would be written as JSON). A value that is not a
 * decodable JPEG, PNG or WebP (corrupt, truncated, another format) makes the batch throw an error
 * naming the record's offset, so the engine retries it, isolates it and dead-letters it with the
 * reason in `turbine.error.message`.
 *
 * Uses sharp (libvips), a context-aware addon that loads in every worker thread. Each image is
 * converted on one libvips thread (concurrency 1), and each worker thread keeps
 * THUMBNAIL_CONCURRENCY images of its batch in conversion at once (default 2): with one, the
 * thread waited between libvips steps and a pool of 2 kept 1.4 of 2 cores busy (docs/workloads.md).
 */
import sharp from 'sharp';
import type { InputRecord, OutputRecord } from '../src/types.js';

/** An integer setting from the environment, checked once when the worker loads. */
function envInt(name: string, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(process.env[name] ?? String(fallback), 10);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${process.env[name]}`);
  return value;
}

/** Long side of the thumbnail in pixels. */
const size = envInt('THUMBNAIL_SIZE', 128, 1, 4096);
/** WebP quality, 1..100. */
const quality = envInt('THUMBNAIL_QUALITY', 80, 1, 100);
/** Images of one batch in conversion at once on one worker thread. */
const concurrency = envInt('THUMBNAIL_CONCURRENCY', 2, 1, 64);

// One libvips thread per image (the default on glibc without jemalloc, set here so it holds on
// every platform): libvips' pool is per process and would otherwise take every core for each
// image on top of the Turbine pool's threads. No operation cache: every record is a new image.
sharp.concurrency(1);
sharp.cache(false);

/** Formats decoded; anything else (SVG, TIFF, HEIF...) is refused rather than parsed. */
const ACCEPTED = new Set(['jpeg', 'png', 'webp']);
/** Refuse images above 50 megapixels before decoding (a 200-byte PNG can claim 60000×60000). */
const MAX_INPUT_PIXELS = 50_000_000;

export type ThumbnailHeaders = Record<
  | 'thumbnail.width'
  | 'thumbnail.height'
  | 'thumbnail.format'
  | 'thumbnail.bytes'
  | 'thumbnail.source-width'
  | 'thumbnail.source-height'
  | 'thumbnail.source-format'
  | 'thumbnail.source-bytes',
  string
>;

export interface Thumbnail {
  data: Buffer;
  headers: ThumbnailHeaders;
}

/**
 * A JPEG cut short has no end-of-image marker (FF D9; inside the compressed data an FF byte is
 * always followed by 00 or a restart marker). libvips only warns about it, and sharp keeps
 * warnings in one queue per process, where a conversion finishing beside it may take the text:
 * the error then said only "Warning treated as error". Checked here, the reason is always said.
 */
function assertJpegComplete(image: Buffer): void {
  if (image.length < 4 || image[0] !== 0xff || image[1] !== 0xd8) return;
  if (image.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0)
    throw new Error('truncated JPEG: no end-of-image marker (FF D9)');
}

/** Decodes `image`, resizes it to fit `longSide` × `longSide` and encodes it as WebP. */
export async function makeThumbnail(image: Buffer, longSide = size): Promise<Thumbnail> {
  assertJpegComplete(image);
  // failOn 'warning' (sharp's default, stated here on purpose): a truncated JPEG is an error,
  // not a half-grey thumbnail.
  const pipeline = sharp(image, { failOn: 'warning', limitInputPixels: MAX_INPUT_PIXELS });
  const source = await pipeline.metadata();
  if (!ACCEPTED.has(source.format)) {
    throw new Error(`unsupported image format ${source.format} (accepted: jpeg, png, webp)`);
  }
  const { data, info } = await pipeline
    .autoOrient()
    .resize(longSide, longSide, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality })
    .toBuffer({ resolveWithObject: true });
  // As displayed: after the EXIF rotation the thumbnail got too.
  const sourceWidth = source.autoOrient.width;
  const sourceHeight = source.autoOrient.height;
  return {
    data,
    headers: {
      'thumbnail.width': String(info.width),
      'thumbnail.height': String(info.height),
      'thumbnail.format': info.format,
      'thumbnail.bytes': String(data.length),
      'thumbnail.source-width': String(sourceWidth),
      'thumbnail.source-height': String(sourceHeight),
      'thumbnail.source-format': source.format,
      'thumbnail.source-bytes': String(image.length),
    },
  };
}

async function convert(record: InputRecord): Promise<OutputRecord<Buffer>> {
  const value = record.value;
  if (!Buffer.isBuffer(value)) {
    throw new Error(
      `offset ${record.offset}: expected raw image bytes (run with --input-format raw), got ${
        value === null ? 'a null value' : typeof value
      }`,
    );
  }
  let made: Thumbnail;
  try {
    made = await makeThumbnail(value);
  } catch (error) {
    throw new Error(
      `offset ${record.offset}: not a decodable image (${value.length} bytes): ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { key: record.key, value: made.data, headers: made.headers };
}

/**
 * Outputs in input order. The first failing image fails the batch (the engine isolates it), but
 * only once the images still converting have finished: a conversion left running would overlap the
 * thread's next task, and libvips' error text is shared by the process's conversions.
 */
export default async function thumbnail(batch: InputRecord[]): Promise<OutputRecord<Buffer>[]> {
  const out: OutputRecord<Buffer>[] = new Array(batch.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < batch.length) {
      const i = next++;
      try {
        out[i] = await convert(batch[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, lane));
  if (failure !== undefined) throw failure.error;
  return out;
}
