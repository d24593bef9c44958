/**
 * When to restart an engine process that exited without being asked to: after 1 s, doubling
 * per consecutive crash up to 30 s, so a process that fails at once (a broken worker, a lost
 * broker, onFailure fail on a poison record) does not spin. A run that lasted a minute counts as
 * healthy: the next crash starts again at 1 s.
 */

export interface RestartPolicyOptions {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the backoff. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { initialMs: 1000, maxMs: 30_000, healthyAfterMs: 60_000 };

/** Delay before the restart that follows the `consecutive`-th crash in a row (1-based). */
export function restartDelayMs(consecutive: number, o: RestartPolicyOptions = DEFAULT_RESTART_POLICY): number {
  const exponent = Math.max(0, consecutive - 1);
  // The exponent is capped so that a long crash loop cannot make the product Infinity.
  return Math.min(o.maxMs, o.initialMs * 2 ** Math.min(exponent, 30));
}

/** One process slot's crash history. */
export class RestartPolicy {
  private consecutive = 0;

  constructor(private readonly o: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** A crash after a run of `ranMs`: the delay before restarting. */
  onCrash(ranMs: number): number {
    if (ranMs >= this.o.healthyAfterMs) this.consecutive = 0;
    this.consecutive++;
    return restartDelayMs(this.consecutive, this.o);
  }

  /** Crashes in a row so far (0 after a healthy run's crash was counted anew). */
  get crashesInARow(): number {
    return this.consecutive;
  }
}
