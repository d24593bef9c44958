/** A crashed engine process restarts after 1 s, doubling to 30 s, and a minute of running resets it. */
import { RestartPolicy, restartDelayMs } from '../../../src/supervisor/restart-policy.js';

test('the delay doubles from 1 s per crash in a row, up to 30 s', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => restartDelayMs(n))).toEqual([
    1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
  ]);
  expect(restartDelayMs(1_000_000)).toBe(30_000);
});

test('crashes in a row back off; a run of a minute starts again at 1 s', () => {
  const policy = new RestartPolicy();
  expect([500, 100, 2000, 59_999].map((ran) => policy.onCrash(ran))).toEqual([1000, 2000, 4000, 8000]);
  expect(policy.crashesInARow).toBe(4);
  expect(policy.onCrash(60_000)).toBe(1000);
  expect(policy.onCrash(10)).toBe(2000);
});
