/**
 * Piscina task for benchmarks/thumbnail-concurrency.ts: runs the thumbnail sample worker over a
 * batch of image bytes (the worker reads THUMBNAIL_CONCURRENCY from the pool's env at load).
 */
import type { InputRecord } from '../../src/types.js';
import thumbnail from '../../workers/thumbnail.js';

export default async function run(images: Uint8Array[]): Promise<number> {
  const batch: InputRecord[] = images.map((bytes, offset) => ({
    key: null,
    value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    headers: {},
    topic: 'bench',
    partition: 0,
    offset,
    timestamp: 0,
  }));
  return (await thumbnail(batch)).length;
}
