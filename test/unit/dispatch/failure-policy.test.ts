import type { DeadLetter } from '../../../src/dispatch/batch-runner.js';
import { planFailures } from '../../../src/dispatch/failure-policy.js';

const dead = (index: number, code: DeadLetter['code'] = 'WORKER_FAILED'): DeadLetter => ({
  index,
  code,
  message: 'boom',
  attempts: 3,
  firstFailureAt: 1,
  lastFailureAt: 2,
});

const offsets = [10, 11, 12, 13, 14];

describe('planFailures', () => {
  it('dlq: every record goes on and every dead letter is produced', () => {
    const plan = planFailures('dlq', offsets, [dead(1), dead(3)], undefined);
    expect(plan).toMatchObject({ keep: [0, 1, 2, 3, 4], drop: [], skip: [], stop: null, haltAt: undefined });
    expect(plan.deadLetter.map((d) => d.index)).toEqual([1, 3]);
  });

  it('skip: the failed records are dropped without a copy but still go on (complete)', () => {
    const plan = planFailures('skip', offsets, [dead(2, 'DECODE_ERROR')], undefined);
    expect(plan).toMatchObject({ keep: [0, 1, 2, 3, 4], drop: [], deadLetter: [], stop: null, haltAt: undefined });
    expect(plan.skip.map((d) => [d.index, d.code])).toEqual([[2, 'DECODE_ERROR']]);
  });

  it('fail: halts at the lowest failed offset; it and everything after it is dropped', () => {
    const plan = planFailures('fail', offsets, [dead(3), dead(1)], undefined);
    expect(plan.haltAt).toBe(11);
    expect(plan.stop?.index).toBe(1);
    expect(plan.keep).toEqual([0]);
    expect(plan.drop).toEqual([1, 2, 3, 4]);
    expect(plan.deadLetter).toEqual([]);
    expect(plan.skip).toEqual([]);
  });

  it('fail: a halted partition drops records at or past the halt, even without failures', () => {
    const plan = planFailures('fail', offsets, [], 12);
    expect(plan).toMatchObject({ keep: [0, 1], drop: [2, 3, 4], stop: null, haltAt: 12 });
  });

  it('fail: a failure below the current halt lowers it and stops again; one above it does not', () => {
    expect(planFailures('fail', offsets, [dead(0)], 12)).toMatchObject({ haltAt: 10, keep: [], stop: { index: 0 } });
    expect(planFailures('fail', offsets, [dead(4)], 12)).toMatchObject({ haltAt: 12, keep: [0, 1], stop: null });
  });

  it('dlq and skip keep dead letters of records before a halt left by another policy run', () => {
    const plan = planFailures('dlq', offsets, [dead(0), dead(4)], 12);
    expect(plan.deadLetter.map((d) => d.index)).toEqual([0]);
    expect(plan.drop).toEqual([2, 3, 4]);
  });
});
