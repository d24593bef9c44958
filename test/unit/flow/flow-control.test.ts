import { FlowControl } from '../../../src/flow/flow-control.js';

describe('FlowControl', () => {
  it('pauses at the record bound and resumes only under the resume fraction', () => {
    const flow = new FlowControl({ maxRecords: 100, maxBytes: 1_000_000 });
    flow.add(99, 99);
    expect(flow.decide()).toBeNull();
    expect(flow.room).toBe(1);
    flow.add(1, 1);
    expect(flow.decide()).toBe('pause');
    expect(flow.isPaused).toBe(true);
    // Already paused: no second pause.
    expect(flow.decide()).toBeNull();
    // Under the bound but above half of it: stay paused (hysteresis, no flapping).
    flow.release(30, 30);
    expect(flow.inFlightRecords).toBe(70);
    expect(flow.decide()).toBeNull();
    flow.release(19, 19);
    expect(flow.decide()).toBeNull();
    flow.release(1, 1);
    expect(flow.inFlightRecords).toBe(50);
    expect(flow.decide()).toBe('resume');
    expect(flow.isPaused).toBe(false);
    expect(flow.decide()).toBeNull();
  });

  it('pauses at the byte bound and needs both bounds under the fraction to resume', () => {
    const flow = new FlowControl({ maxRecords: 100, maxBytes: 1000, resumeFraction: 0.25 });
    flow.add(2, 999);
    expect(flow.decide()).toBeNull();
    flow.add(1, 1);
    expect(flow.inFlightBytes).toBe(1000);
    expect(flow.decide()).toBe('pause');
    // Bytes are at the bound: no room even though records are far from theirs.
    expect(flow.room).toBe(0);
    flow.release(0, 700);
    expect(flow.decide()).toBeNull();
    flow.release(0, 50);
    expect(flow.inFlightBytes).toBe(250);
    expect(flow.decide()).toBe('resume');
  });

  it('stays paused while records are above the fraction even when bytes are low', () => {
    const flow = new FlowControl({ maxRecords: 10, maxBytes: 1000 });
    flow.add(10, 10);
    expect(flow.decide()).toBe('pause');
    flow.release(4, 10);
    expect(flow.inFlightBytes).toBe(0);
    expect(flow.decide()).toBeNull();
    flow.release(1, 0);
    expect(flow.decide()).toBe('resume');
  });

  it('never reports negative room', () => {
    const flow = new FlowControl({ maxRecords: 10, maxBytes: 1000 });
    expect(flow.room).toBe(10);
    flow.add(25, 10);
    expect(flow.room).toBe(0);
    flow.add(0, 5000);
    expect(flow.room).toBe(0);
    flow.release(25, 5010);
    expect(flow.room).toBe(10);
  });

  it('tracks the peak of in-flight records', () => {
    const flow = new FlowControl({ maxRecords: 100, maxBytes: 1_000_000 });
    expect(flow.peakRecords).toBe(0);
    flow.add(40, 0);
    flow.add(30, 0);
    flow.release(50, 0);
    flow.add(10, 0);
    expect(flow.inFlightRecords).toBe(30);
    expect(flow.peakRecords).toBe(70);
  });
});

describe('pauseAfterMs: full first stops intake, pauses only if it lasts', () => {
  test('no pause before the delay, pause once it has passed, none if it drained meanwhile', () => {
    const flow = new FlowControl({ maxRecords: 10, maxBytes: 1_000_000, pauseAfterMs: 1000 });
    flow.add(10, 10);
    expect(flow.full).toBe(true);
    expect(flow.room).toBe(0);
    expect(flow.decide(5_000)).toBeNull();
    expect(flow.pauseDueAt).toBe(6_000);
    expect(flow.decide(5_999)).toBeNull();
    expect(flow.decide(6_000)).toBe('pause');
    expect(flow.pauseDueAt).toBeUndefined();
    flow.release(10, 10);
    expect(flow.decide(6_100)).toBe('resume');

    // Full again, but it drains before the delay: never paused, and the clock restarts.
    flow.add(10, 10);
    expect(flow.decide(7_000)).toBeNull();
    flow.release(1, 1);
    expect(flow.decide(7_500)).toBeNull();
    expect(flow.pauseDueAt).toBeUndefined();
    flow.add(1, 1);
    expect(flow.decide(7_600)).toBeNull();
    expect(flow.pauseDueAt).toBe(8_600);
  });

  it('counts the byte room in records of the recent mean size, so large records stop near the byte bound', () => {
    const KB = 1024;
    const flow = new FlowControl({ maxRecords: 4096, maxBytes: 1024 * KB });
    // Nothing seen yet: only the record bound applies.
    expect(flow.room).toBe(4096);
    for (let i = 0; i < 4; i++) flow.add(1, 100 * KB);
    // 624 KiB left at about 100 KiB a record: room for 6, not 4,092.
    expect(flow.room).toBe(6);
    flow.add(6, 600 * KB);
    expect(flow.room).toBe(1);
    expect(flow.peakBytes).toBe(1000 * KB);
    flow.add(1, 100 * KB);
    expect(flow.room).toBe(0);
    // Small records after large ones: the mean follows within about a hundred records.
    flow.release(11, 1100 * KB);
    for (let i = 0; i < 128; i++) {
      flow.add(1, KB);
      flow.release(1, KB);
    }
    expect(flow.room).toBeGreaterThan(900);
  });
});
