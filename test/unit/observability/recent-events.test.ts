/** The status page's event ring keeps the newest `capacity` events, newest first, and counts all. */
import { RecentEvents } from '../../../src/observability/recent-events';

const event = (i: number) => ({ time: i, kind: 'dead-letter' as const, message: `m${i}` });

test('keeps events newest first below capacity', () => {
  const ring = new RecentEvents(3);
  expect(ring.newestFirst()).toEqual([]);
  ring.push(event(1));
  ring.push(event(2));
  expect(ring.newestFirst().map((e) => e.time)).toEqual([2, 1]);
});

test('overwrites the oldest events once full, at every wrap position', () => {
  const ring = new RecentEvents(3);
  for (let i = 1; i <= 10; i++) {
    ring.push(event(i));
    const expected = [i, i - 1, i - 2].filter((n) => n >= 1);
    expect(ring.newestFirst().map((e) => e.time)).toEqual(expected);
  }
  expect(ring.total).toBe(10);
});

test('rejects a capacity below one', () => {
  expect(() => new RecentEvents(0)).toThrow(RangeError);
  expect(() => new RecentEvents(1.5)).toThrow(RangeError);
});
