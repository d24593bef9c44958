/**
 * The thumbnail sample worker in-process: JPEG and PNG in, WebP of at most 128 px on the long
 * side out (never enlarged, EXIF orientation applied) with headers that describe both images;
 * corrupt bytes, another format or a non-Buffer value throw an error naming the offset.
 */
import sharp from 'sharp';
import type { InputRecord } from '../../../src/types';
import thumbnail, { makeThumbnail } from '../../../workers/thumbnail';

function record(value: unknown, offset = 0): InputRecord {
  return { key: Buffer.from('img'), value, headers: {}, topic: 't', partition: 0, offset, timestamp: 0 };
}

function gradient(width: number, height: number) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + (i >> 9)) & 255;
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

describe('makeThumbnail', () => {
  it('turns a landscape JPEG into a 128-wide WebP with headers for both images', async () => {
    const jpeg = await gradient(800, 600).jpeg({ quality: 85 }).toBuffer();
    const made = await makeThumbnail(jpeg);
    const decoded = await sharp(made.data).metadata();
    expect(decoded).toMatchObject({ format: 'webp', width: 128, height: 96 });
    expect(made.headers).toEqual({
      'thumbnail.width': '128',
      'thumbnail.height': '96',
      'thumbnail.format': 'webp',
      'thumbnail.bytes': String(made.data.length),
      'thumbnail.source-width': '800',
      'thumbnail.source-height': '600',
      'thumbnail.source-format': 'jpeg',
      'thumbnail.source-bytes': String(jpeg.length),
    });
  });

  it('fits a portrait PNG to 128 high', async () => {
    const png = await gradient(300, 600).png().toBuffer();
    const made = await makeThumbnail(png);
    expect(made.headers).toMatchObject({
      'thumbnail.width': '64',
      'thumbnail.height': '128',
      'thumbnail.source-format': 'png',
    });
  });

  it('does not enlarge a small image', async () => {
    const made = await makeThumbnail(await gradient(40, 30).png().toBuffer());
    expect(made.headers).toMatchObject({ 'thumbnail.width': '40', 'thumbnail.height': '30' });
  });

  it('applies the EXIF orientation: a landscape JPEG tagged "rotate 90" gives a portrait thumbnail', async () => {
    const jpeg = await gradient(400, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const made = await makeThumbnail(jpeg);
    expect(made.headers).toMatchObject({
      'thumbnail.width': '64',
      'thumbnail.height': '128',
      'thumbnail.source-width': '200',
      'thumbnail.source-height': '400',
    });
  });

  it('refuses formats other than JPEG, PNG and WebP', async () => {
    const gif = await gradient(20, 20).gif().toBuffer();
    await expect(makeThumbnail(gif)).rejects.toThrow('unsupported image format gif');
  });
});

describe('thumbnail worker', () => {
  it('returns one WebP output per input with its key and headers', async () => {
    const jpeg = await gradient(256, 256).jpeg().toBuffer();
    const out = await thumbnail([record(jpeg), record(jpeg, 1)]);
    expect(out).toHaveLength(2);
    expect(out[1]!.key).toEqual(Buffer.from('img'));
    expect((await sharp(out[1]!.value).metadata()).format).toBe('webp');
    expect(out[1]!.headers?.['thumbnail.width']).toBe('128');
  });

  it('keeps input order while two images of a batch convert at once', async () => {
    // Sizes differ so the conversions finish out of order; each output must still match its input.
    const sizes = [
      [900, 600],
      [64, 40],
      [300, 800],
      [50, 50],
      [700, 200],
    ] as const;
    const images = await Promise.all(sizes.map(([w, h]) => gradient(w, h).png().toBuffer()));
    const out = await thumbnail(images.map((image, i) => record(image, i)));
    expect(out.map((o) => o.headers?.['thumbnail.source-width'])).toEqual(sizes.map(([w]) => String(w)));
  });

  it('fails the batch only after the images still converting have finished', async () => {
    const big = await gradient(2000, 1500).jpeg().toBuffer();
    let settled = 0;
    const original = sharp.prototype.toBuffer;
    const spy = jest.spyOn(sharp.prototype, 'toBuffer').mockImplementation(function (this: sharp.Sharp, ...args) {
      return (original.apply(this, args as never) as Promise<unknown>).finally(() => settled++) as never;
    });
    try {
      // Offset 1 fails at once (no image); offset 0, converting beside it, must finish first.
      await expect(thumbnail([record(big, 0), record(Buffer.from('no image'), 1)])).rejects.toThrow(/^offset 1:/);
      expect(settled).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('throws naming the offset for a truncated JPEG', async () => {
    const jpeg = await gradient(400, 300).jpeg().toBuffer();
    const cut = jpeg.subarray(0, jpeg.length >> 1);
    await expect(thumbnail([record(jpeg), record(cut, 41)])).rejects.toThrow(
      /^offset 41: not a decodable image \(\d+ bytes\): truncated JPEG: no end-of-image marker \(FF D9\)$/,
    );
  });

  it('throws naming the offset for bytes that are no image', async () => {
    await expect(thumbnail([record(Buffer.from('hello, not an image'), 7)])).rejects.toThrow(
      'offset 7: not a decodable image (19 bytes)',
    );
  });

  it('asks for --input-format raw when the value is not a Buffer', async () => {
    await expect(thumbnail([record({ not: 'bytes' }, 3)])).rejects.toThrow(
      'offset 3: expected raw image bytes (run with --input-format raw), got object',
    );
  });
});
