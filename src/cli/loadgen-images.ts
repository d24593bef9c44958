/**
 * Images for `turbine loadgen --format image`: a small set of JPEG and PNG files generated
 * locally with sharp (no downloads) from a seed, then sent again and again, so that loadgen
 * costs no image encoding per record. Each image is a smooth gradient with waves and grain; its
 * size in bytes is drawn on a log scale from 20 KB to 500 KB (like photos and screenshots on a
 * shop or a forum) and reached by adjusting the pixel count, two JPEGs for every PNG.
 *
 * With --corrupt-rate, that share of values is a corrupt copy of one of the images (cut short,
 * garbage over its middle, or random bytes). Each corrupt variant is checked to fail decoding as
 * the thumbnail worker decodes (sharp, failOn warning), so the count loadgen reports is the count
 * a dead-letter topic should show.
 *
 * sharp is loaded on first use only: `turbine run` and the other commands never load libvips.
 */
import type SharpType from 'sharp';
import { type SeededRandom, seededRandom } from './seeded-random.js';

export const IMAGE_MIN_BYTES = 20_000;
export const IMAGE_MAX_BYTES = 500_000;
/** Distinct images generated and cycled through. */
const IMAGE_COUNT = 24;
const CORRUPT_VARIANTS = 12;
const ASPECTS = [4 / 3, 3 / 2, 16 / 9, 1, 3 / 4, 2 / 3] as const;
/** Adjustments of the pixel count towards the wanted byte size. */
const MAX_ATTEMPTS = 6;

export interface GeneratedImage {
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  bytes: Buffer;
}

function loadSharp(): typeof SharpType {
  return require('sharp') as typeof SharpType;
}

/** One image's look: colours, gradient, waves and grain, fixed by its own seed. */
interface Recipe {
  base: [number, number, number];
  gradientX: [number, number, number];
  gradientY: [number, number, number];
  frequencyX: number;
  frequencyY: number;
  phase: number;
  grain: number;
  /** Colour step: 1 keeps every level; PNGs get 8..24, flat bands as in drawings and screenshots. */
  step: number;
  noiseSeed: number;
}

function recipe(random: SeededRandom, format: 'jpeg' | 'png'): Recipe {
  const triple = (scale: number, offset: number): [number, number, number] => [
    offset + random.next() * scale,
    offset + random.next() * scale,
    offset + random.next() * scale,
  ];
  return {
    base: triple(200, 20),
    gradientX: triple(2, -1),
    gradientY: triple(2, -1),
    frequencyX: 0.004 + random.next() * 0.05,
    frequencyY: 0.004 + random.next() * 0.05,
    phase: random.next() * 2 * Math.PI,
    // PNG is lossless: grain and smooth shades cost it about two bytes a pixel, so PNGs get
    // none and flat colour bands instead (screenshots, drawings).
    grain: format === 'png' ? 0 : 4 + random.next() * 36,
    step: format === 'png' ? random.int(8, 24) : 1,
    noiseSeed: random.int(1, 0x7fffffff),
  };
}

const SINE_STEPS = 4096;
/** One period of sine in SINE_STEPS steps: a table look-up per pixel instead of Math.sin, which
 * is slow inside a vm context (jest) and adds nothing a generated image needs. */
const SINE = Float64Array.from({ length: SINE_STEPS }, (_, step) => Math.sin((2 * Math.PI * step) / SINE_STEPS));
const STEPS_PER_RADIAN = SINE_STEPS / (2 * Math.PI);

/** sin(radians) from the table; radians may be negative. */
function sine(radians: number): number {
  return SINE[((radians * STEPS_PER_RADIAN) | 0) & (SINE_STEPS - 1)]!;
}

/** Raw RGB pixels of `look` at width × height. */
function paint(look: Recipe, width: number, height: number): Buffer {
  const pixels = Buffer.allocUnsafe(width * height * 3);
  // A clamped view: writes below 0 or above 255 store 0 or 255.
  const clamped = new Uint8ClampedArray(pixels.buffer, pixels.byteOffset, pixels.length);
  let noise = look.noiseSeed >>> 0 || 1;
  let at = 0;
  for (let y = 0; y < height; y++) {
    const v = (y / height) * 128;
    for (let x = 0; x < width; x++) {
      const u = (x / width) * 128;
      const wave =
        40 * sine(x * look.frequencyX + y * look.frequencyY + look.phase) +
        25 * sine(x * look.frequencyY * 1.7 - y * look.frequencyX * 0.9);
      for (let channel = 0; channel < 3; channel++) {
        noise ^= noise << 13;
        noise ^= noise >>> 17;
        noise ^= noise << 5;
        const grain = (((noise & 255) - 128) / 128) * look.grain;
        let value = look.base[channel]! + look.gradientX[channel]! * u + look.gradientY[channel]! * v + wave + grain;
        if (look.step > 1) value -= value % look.step;
        clamped[at++] = value;
      }
    }
  }
  return pixels;
}

async function encode(
  sharp: typeof SharpType,
  look: Recipe,
  format: 'jpeg' | 'png',
  quality: number,
  width: number,
  height: number,
): Promise<Buffer> {
  const image = sharp(paint(look, width, height), { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg({ quality }).toBuffer() : image.png({ compressionLevel: 6 }).toBuffer();
}

/** Width and height of about `pixels` pixels at `aspect`, each side from 32 to 6000. */
function dimensions(pixels: number, aspect: number): [number, number] {
  const width = Math.round(Math.sqrt(pixels * aspect));
  const clamp = (side: number) => Math.max(32, Math.min(6000, side));
  return [clamp(width), clamp(Math.round(width / aspect))];
}

/** One image whose size is near a log-uniform target in [IMAGE_MIN_BYTES, IMAGE_MAX_BYTES]. */
async function generateImage(sharp: typeof SharpType, random: SeededRandom): Promise<GeneratedImage> {
  const format = random.next() < 2 / 3 ? 'jpeg' : 'png';
  const look = recipe(random, format);
  const aspect = random.pick(ASPECTS);
  const quality = random.int(75, 92);
  // Keep away from the bounds so that the adjustment below lands inside them.
  const target = random.logUniform(IMAGE_MIN_BYTES * 1.25, IMAGE_MAX_BYTES * 0.8);
  // Bytes per pixel of these recipes, measured: about 0.2 for the JPEGs, 0.1 to 0.2 for the PNGs.
  let pixels = target / (format === 'jpeg' ? 0.2 : 0.12);
  let best: GeneratedImage | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [width, height] = dimensions(pixels, aspect);
    const bytes = await encode(sharp, look, format, quality, width, height);
    best = { format, width, height, bytes };
    const ratio = bytes.length / target;
    if (ratio > 0.8 && ratio < 1.25) break;
    pixels *= Math.min(4, Math.max(0.25, 1 / ratio));
  }
  const size = best!.bytes.length;
  if (size < IMAGE_MIN_BYTES || size > IMAGE_MAX_BYTES) {
    // Not reached with the recipes above; say so rather than send an image outside the promise.
    throw new Error(`generated a ${format} of ${size} bytes, outside ${IMAGE_MIN_BYTES}..${IMAGE_MAX_BYTES}`);
  }
  return best!;
}

/** `count` images from `seed`, the same ones for the same seed and sharp version. */
export async function generateImages(count: number, seed: number): Promise<GeneratedImage[]> {
  const sharp = loadSharp();
  const random = seededRandom(seed);
  const images: GeneratedImage[] = [];
  for (let i = 0; i < count; i++) images.push(await generateImage(sharp, seededRandom(random.int(1, 0x7fffffff))));
  return images;
}

/** True when sharp cannot turn `bytes` into a thumbnail the way the thumbnail worker does. */
async function failsToDecode(sharp: typeof SharpType, bytes: Buffer): Promise<boolean> {
  try {
    await sharp(bytes, { failOn: 'warning' }).resize(128, 128, { fit: 'inside' }).webp().toBuffer();
    return false;
  } catch {
    return true;
  }
}

/** Corrupt copies of `images`: cut short, garbage over the middle, or random bytes. */
export async function corruptImages(images: readonly GeneratedImage[], seed: number): Promise<Buffer[]> {
  const sharp = loadSharp();
  const random = seededRandom(seed ^ 0x5bd1e995);
  const variants: Buffer[] = [];
  for (let attempt = 0; variants.length < CORRUPT_VARIANTS && attempt < CORRUPT_VARIANTS * 4; attempt++) {
    const source = random.pick(images).bytes;
    let bytes: Buffer;
    const kind = attempt % 3;
    if (kind === 0) {
      bytes = Buffer.from(source.subarray(0, Math.floor(source.length * (0.3 + random.next() * 0.4))));
    } else if (kind === 1) {
      bytes = Buffer.from(source);
      const from = Math.floor(bytes.length * 0.3);
      for (let i = from; i < from + Math.max(64, bytes.length >> 3); i++) bytes[i] = random.int(0, 255);
    } else {
      bytes = Buffer.alloc(random.int(IMAGE_MIN_BYTES, 60_000));
      for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(0, 255);
    }
    if (await failsToDecode(sharp, bytes)) variants.push(bytes);
  }
  return variants;
}

/** Value generator for `--format image` (a ValueGenerator of loadgen-values.ts). */
export class ImageValues {
  /** Values sent corrupt on purpose. */
  corrupted = 0;
  private readonly random: SeededRandom;

  constructor(
    private readonly images: readonly Buffer[],
    private readonly corrupt: readonly Buffer[],
    seed: number,
    private readonly corruptRate: number,
  ) {
    this.random = seededRandom(seed);
  }

  next(): Buffer {
    if (this.corruptRate > 0 && this.corrupt.length > 0 && this.random.next() < this.corruptRate) {
      this.corrupted++;
      return this.random.pick(this.corrupt);
    }
    return this.random.pick(this.images);
  }
}

/** The image set and its corrupt variants for `seed`; generating them takes a few seconds. */
export async function createImageValues(seed: number, corruptRate: number): Promise<ImageValues> {
  const images = await generateImages(IMAGE_COUNT, seed);
  const corrupt = corruptRate > 0 ? await corruptImages(images, seed) : [];
  return new ImageValues(
    images.map((image) => image.bytes),
    corrupt,
    seed,
    corruptRate,
  );
}
