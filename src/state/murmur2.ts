/**
 * Kafka's default partitioner for keyed records: murmur2 of the key bytes, made positive, modulo
 * the partition count (Java's Utils.murmur2 and toPositive; librdkafka's murmur2_random, which
 * Turbine's producer and load generator use). The state query finds a key's partition with it.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const fours = length & ~3;
  for (let i = 0; i < fours; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The 1-3 trailing bytes, highest first (Java's switch with fall-through).
  const rest = length & 3;
  if (rest > 0) {
    if (rest >= 3) h ^= data[fours + 2]! << 16;
    if (rest >= 2) h ^= data[fours + 1]! << 8;
    h ^= data[fours]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives `key` among `partitions`. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
