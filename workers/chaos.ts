/**
 * Sample worker `chaos`, used by the chaos suite (chaos/, docs/chaos.md): echoes each record
 * (same key, same value) after burning SPIN_US microseconds of CPU (as workers/spin.ts, default 100), except records
 * whose JSON value carries a marker:
 *   {"chaos":"throw"}  the batch throws (the engine retries, isolates and dead-letters the record)
 *   {"chaos":"hang"}   the thread loops forever (the task timeout aborts it; dead-lettered)
 * Undecodable values never reach it: the engine dead-letters them before the worker runs.
 */
import type { InputRecord, OutputRecord } from '../src/types.js';
import { burn, spinUs } from './spin.js';

function markerOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { chaos?: unknown }).chaos : undefined;
}

export default function chaos(batch: InputRecord[]): OutputRecord[] {
  const out: OutputRecord[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i]!;
    const marker = markerOf(record.value);
    if (marker === 'throw') throw new Error(`chaos: throw marker at offset ${record.offset}`);
    if (marker === 'hang') for (;;) {}
    burn(spinUs);
    out[i] = { key: record.key, value: record.value };
  }
  return out;
}
