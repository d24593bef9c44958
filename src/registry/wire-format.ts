/**
 * The Confluent wire format of a value: magic byte 0, the schema's global id as a 4-byte
 * big-endian integer, then the Avro binary body. Pure functions, used on the main thread (to
 * know which writer schemas a batch needs) and in workers (to pick the decoder).
 */
export const CONFLUENT_HEADER_BYTES = 5;

/** The schema id of a framed value, or -1 when the value is null or carries no Confluent header. */
export function schemaIdOf(value: Uint8Array | null): number {
  if (value === null || value.length < CONFLUENT_HEADER_BYTES || value[0] !== 0) return -1;
  return ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0;
}

/** The distinct schema ids of the records' framed values, in first-seen order (a batch usually has one or two). */
export function schemaIdsOf(records: ReadonlyArray<{ readonly value: Uint8Array | null }>): number[] {
  const ids: number[] = [];
  let last = -1;
  for (let i = 0; i < records.length; i++) {
    const id = schemaIdOf(records[i]!.value);
    if (id === -1 || id === last) continue;
    last = id;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}
