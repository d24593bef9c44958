/**
 * Key mode: records of one partition are spread over lanes by a hash of their key, so records of
 * one key always share a lane (and keep their order) while different keys proceed in parallel.
 */
import type { ConsumedRecord, Ordering } from '../types.js';

/** 32-bit FNV-1a over the key bytes; null keys share lane 0. */
export function keyLane(key: Buffer | null, lanes: number): number {
  if (key === null || lanes <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

/** The lane a record belongs to: its partition, or its partition and key lane in key mode. */
export function laneOf(record: ConsumedRecord, ordering: Ordering, lanes: number): string {
  const base = `${record.topic}:${record.partition}`;
  return ordering === 'key' ? `${base}#${keyLane(record.key, lanes)}` : base;
}
