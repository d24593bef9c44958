/**
 * `turbine loadgen --format image`: JPEGs and PNGs generated locally of 20–500 KB whose bytes
 * decode to what they say, the same for the same seed; corrupt variants all fail decoding the
 * way the thumbnail worker decodes, and the value generator counts the ones it sends.
 */
import sharp from 'sharp';
import {
  corruptImages,
  type GeneratedImage,
  generateImages,
  IMAGE_MAX_BYTES,
  IMAGE_MIN_BYTES,
  ImageValues,
} from '../../../src/cli/loadgen-images';

jest.setTimeout(30_000);

let images: GeneratedImage[];
beforeAll(async () => {
  images = await generateImages(6, 5);
});

describe('generated images', () => {
  it('are JPEG and PNG files of 20–500 KB that decode to their stated size', async () => {
    expect(new Set(images.map((image) => image.format))).toEqual(new Set(['jpeg', 'png']));
    for (const image of images) {
      expect(image.bytes.length).toBeGreaterThanOrEqual(IMAGE_MIN_BYTES);
      expect(image.bytes.length).toBeLessThanOrEqual(IMAGE_MAX_BYTES);
      const metadata = await sharp(image.bytes).metadata();
      expect(metadata).toMatchObject({ format: image.format, width: image.width, height: image.height });
    }
  });

  it('are the same for the same seed', async () => {
    // Seed 3 starts with a small PNG: cheap to make twice.
    const [first] = await generateImages(1, 3);
    const [again] = await generateImages(1, 3);
    expect(again!.bytes.equals(first!.bytes)).toBe(true);
    expect(again!.bytes.equals(images[0]!.bytes)).toBe(false);
  });
});

describe('corrupt images', () => {
  it('all fail decoding with failOn warning', async () => {
    const corrupt = await corruptImages(images, 5);
    expect(corrupt.length).toBeGreaterThan(6);
    for (const bytes of corrupt) {
      await expect(sharp(bytes, { failOn: 'warning' }).webp().toBuffer()).rejects.toThrow();
    }
  });
});

describe('ImageValues', () => {
  it('sends the images again and again, and a counted share of corrupt ones', () => {
    const good = images.map((image) => image.bytes);
    const bad: Buffer[] = [Buffer.from('bad-1'), Buffer.from('bad-2')];
    const values = new ImageValues(good, bad, 1, 0.05);
    let corrupt = 0;
    for (let i = 0; i < 4000; i++) {
      const value = values.next();
      if (bad.includes(value)) corrupt++;
      else expect(good).toContain(value);
    }
    expect(corrupt).toBe(values.corrupted);
    expect(corrupt).toBeGreaterThan(120);
    expect(corrupt).toBeLessThan(280);
  });

  it('sends no corrupt value at rate 0', () => {
    const values = new ImageValues([Buffer.from('a')], [Buffer.from('bad')], 1, 0);
    for (let i = 0; i < 100; i++) expect(values.next().toString()).toBe('a');
    expect(values.corrupted).toBe(0);
  });
});
