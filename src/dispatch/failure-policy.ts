/**
 * What happens to records that used up their retries (`onFailure`):
 *   dlq  → produced to the dead-letter topic, then complete (the partition moves on);
 *   skip → dropped without a dead-letter copy, complete at once (counted and logged);
 *   fail → the partition halts at the first such record: it and every later record of the
 *          partition are neither produced nor completed, so the commit point never reaches it,
 *          and the engine stops once the records before it are done.
 * Pure: the engine applies the plan (produce, count, log, stop).
 */
import type { DeadLetter } from './batch-runner.js';

export type OnFailure = 'dlq' | 'fail' | 'skip';

export interface FailurePlan {
  /** Indices to go on with (outputs produced, dead letters or skips applied), in input order. */
  keep: number[];
  /** Indices at or past the halt offset: not produced, never complete. */
  drop: number[];
  /** Dead letters to produce (dlq), among kept records. */
  deadLetter: DeadLetter[];
  /** Dead letters dropped without a copy (skip), among kept records. */
  skip: DeadLetter[];
  /** With fail: the failing record that set a new, lower halt offset (null if none did). */
  stop: DeadLetter | null;
  /** The partition's halt offset after this plan (undefined: not halted). */
  haltAt: number | undefined;
}

/**
 * Plans a set of records of one partition (offsets in input order, dead letters indexing them)
 * under `policy`, given the partition's current halt offset.
 */
export function planFailures(
  policy: OnFailure,
  offsets: ArrayLike<number>,
  deadLetters: readonly DeadLetter[],
  haltAt: number | undefined,
): FailurePlan {
  let halt = haltAt;
  let stop: DeadLetter | null = null;
  if (policy === 'fail') {
    for (const dl of deadLetters) {
      const offset = offsets[dl.index]!;
      if (halt === undefined || offset < halt) {
        halt = offset;
        stop = dl;
      }
    }
  }
  const keep: number[] = [];
  const drop: number[] = [];
  for (let i = 0; i < offsets.length; i++) (halt !== undefined && offsets[i]! >= halt ? drop : keep).push(i);
  const kept = (dl: DeadLetter) => halt === undefined || offsets[dl.index]! < halt;
  return {
    keep,
    drop,
    deadLetter: policy === 'dlq' ? deadLetters.filter(kept) : [],
    skip: policy === 'skip' ? deadLetters.filter(kept) : [],
    stop,
    haltAt: halt,
  };
}
