/**
 * Sample worker `spin`: burns SPIN_US microseconds of real CPU per record (default 100), then
 * emits one output per input with the same key and value. Tests and benchmarks use it as a
 * calibrated stand-in for real work: W µs per record caps one thread at 10⁶/W records/s.
 */
import type { InputRecord, OutputRecord } from '../src/types.js';

export const spinUs = Number.parseInt(process.env.SPIN_US ?? '100', 10);
if (!Number.isFinite(spinUs) || spinUs < 0)
  throw new Error(`SPIN_US must be a non-negative integer, got ${process.env.SPIN_US}`);

/** Busy-waits for `microseconds` of CPU time on this thread. */
export function burn(microseconds: number): void {
  if (microseconds <= 0) return;
  const end = process.hrtime.bigint() + BigInt(microseconds) * 1000n;
  while (process.hrtime.bigint() < end) {
    // busy: the point is to use the CPU
  }
}

export default function spin(batch: InputRecord[]): OutputRecord[] {
  const out: OutputRecord[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i]!;
    burn(spinUs);
    out[i] = { key: record.key, value: record.value };
  }
  return out;
}
