/**
 * A fixed-size ring of the latest notable events (dead letters, errors, rebalances) for the
 * status page. Pushing is O(1) and never allocates beyond the capacity, so a burst of dead
 * letters costs no more memory than a quiet hour; older entries are overwritten.
 */

export type StatusEventKind = 'started' | 'assigned' | 'revoked' | 'dead-letter' | 'error';

export interface StatusEvent {
  /** Wall-clock time in epoch milliseconds. */
  time: number;
  kind: StatusEventKind;
  message: string;
}

export class RecentEvents {
  private readonly slots: Array<StatusEvent | undefined>;
  private next = 0;
  private size = 0;
  /** Events pushed since creation, including those overwritten. */
  total = 0;

  constructor(readonly capacity = 20) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.slots = new Array<StatusEvent | undefined>(capacity);
  }

  push(event: StatusEvent): void {
    this.slots[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    this.total++;
  }

  /** The kept events, newest first. */
  newestFirst(): StatusEvent[] {
    const out: StatusEvent[] = [];
    for (let i = 1; i <= this.size; i++) out.push(this.slots[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }
}
