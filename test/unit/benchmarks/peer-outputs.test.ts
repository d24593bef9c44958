// A peer's records/s is counted on its output topic: the source records whose output the broker
// appended inside the peer's timed window, whatever the peer counted itself.
import {
  countDelivered,
  deliveredPerSec,
  type OutputStamp,
  peerWindow,
} from '../../../benchmarks/harness/peer-outputs';

const stamp = (appendedAtMs: number, partition?: number, offset?: number): OutputStamp => ({
  appendedAtMs,
  source: partition === undefined ? undefined : `${partition}:${offset}`,
});

describe('countDelivered', () => {
  it('counts the outputs appended at or before the end of the window and leaves later ones out', () => {
    const count = countDelivered([stamp(100, 0, 0), stamp(200, 0, 1), stamp(201, 1, 0)], 200);
    expect(count).toEqual({ outputs: 3, inWindow: 2, duplicates: 0, withoutLineage: 0 });
  });

  it('counts a source record processed twice once, inside the window or not', () => {
    const count = countDelivered([stamp(100, 0, 0), stamp(150, 0, 0), stamp(300, 0, 0), stamp(120, 0, 1)], 200);
    expect(count).toEqual({ outputs: 4, inWindow: 2, duplicates: 2, withoutLineage: 0 });
  });

  it('counts outputs without lineage (kcat) one by one', () => {
    const count = countDelivered([stamp(100), stamp(100), stamp(250)], 200);
    expect(count).toEqual({ outputs: 3, inWindow: 2, duplicates: 0, withoutLineage: 3 });
  });

  it('leaves an output without a timestamp out of the window', () => {
    expect(countDelivered([stamp(Number.POSITIVE_INFINITY, 0, 0)], 200).inWindow).toBe(0);
  });
});

describe('peerWindow', () => {
  it('reads both instants from the JSON line', () => {
    expect(peerWindow({ firstConsumedAtMs: 1000, lastAckedAtMs: 4000 })).toEqual({
      firstConsumedAtMs: 1000,
      lastAckedAtMs: 4000,
    });
  });

  it('names a JSON line without them or with an empty window', () => {
    expect(peerWindow({ perSec: 5 })).toMatch(/no firstConsumedAtMs/);
    expect(peerWindow(undefined)).toMatch(/no firstConsumedAtMs/);
    expect(peerWindow({ firstConsumedAtMs: 4000, lastAckedAtMs: 4000 })).toMatch(/empty timed window/);
  });
});

describe('deliveredPerSec', () => {
  const window = { firstConsumedAtMs: 10_000, lastAckedAtMs: 13_889 };

  it('divides the outputs in the window by its length, not by what the peer claims', () => {
    // The Parallel Consumer peer's old line: 5,499 "records" in 3,889 ms, where 2,000 outputs were
    // in the window and the rest were acknowledged while it closed.
    const outputs = [
      ...Array.from({ length: 2000 }, (_, i) => stamp(10_001 + (i % 3888), i % 12, i)),
      ...Array.from({ length: 3499 }, (_, i) => stamp(14_000 + i, i % 12, 2000 + i)),
    ];
    const result = deliveredPerSec(countDelivered(outputs, window.lastAckedAtMs), window, 2000);
    expect(result).toEqual({ perSec: (2000 * 1000) / 3889 });
  });

  it('refuses a run whose topic holds fewer outputs in the window than the peer was asked for', () => {
    const outputs = Array.from({ length: 1999 }, (_, i) => stamp(11_000, 0, i));
    const result = deliveredPerSec(countDelivered(outputs, window.lastAckedAtMs), window, 2000);
    expect(result).toEqual({
      notRun: 'its output topic holds 1999 of 2000 outputs appended by the end of its timed window',
    });
  });
});
