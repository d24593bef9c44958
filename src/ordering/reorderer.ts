/**
 * Releases completed work in dispatch order per lane. A lane is a partition (partition mode)
 * or a key-hash lane of a partition (key mode); in unordered mode every slot releases at once.
 * Slots are completed in any order; release() hands them back in the order they were added.
 */
import { InvariantViolation } from '../errors.js';

export interface Slot<T, R> {
  readonly lane: string;
  readonly item: T;
  result: R | undefined;
  done: boolean;
  /** Set when its lane was dropped; completing it then releases nothing. */
  dropped: boolean;
}

export class Reorderer<T, R> {
  private readonly lanes = new Map<string, { slots: Slot<T, R>[]; head: number }>();
  private readonly ordered: boolean;

  constructor(ordered = true) {
    this.ordered = ordered;
  }

  add(lane: string, item: T): Slot<T, R> {
    const slot: Slot<T, R> = { lane, item, result: undefined, done: false, dropped: false };
    if (!this.ordered) return slot;
    let queue = this.lanes.get(lane);
    if (!queue) {
      queue = { slots: [], head: 0 };
      this.lanes.set(lane, queue);
    }
    queue.slots.push(slot);
    return slot;
  }

  /** Completes a slot and returns every slot now releasable in order (possibly none). */
  complete(slot: Slot<T, R>, result: R): Slot<T, R>[] {
    if (slot.dropped) return [];
    if (slot.done) throw new InvariantViolation('slot completed twice', { lane: slot.lane });
    slot.done = true;
    slot.result = result;
    if (!this.ordered) return [slot];
    const queue = this.lanes.get(slot.lane);
    if (!queue) throw new InvariantViolation('completed a slot of an unknown lane', { lane: slot.lane });
    const released: Slot<T, R>[] = [];
    while (queue.head < queue.slots.length && queue.slots[queue.head]!.done) {
      released.push(queue.slots[queue.head]!);
      queue.head++;
    }
    if (queue.head === queue.slots.length) this.lanes.delete(slot.lane);
    else if (queue.head > 1024) {
      queue.slots = queue.slots.slice(queue.head);
      queue.head = 0;
    }
    return released;
  }

  /** Slots added and not yet released. */
  get size(): number {
    let n = 0;
    for (const q of this.lanes.values()) n += q.slots.length - q.head;
    return n;
  }

  /**
   * Drops every unreleased slot of lanes matching the predicate (after a partition is lost).
   * Slots already completed are handed to onDoneDropped, since no later complete() sees them.
   */
  dropLanes(match: (lane: string) => boolean, onDoneDropped?: (slot: Slot<T, R>) => void): number {
    let dropped = 0;
    for (const [lane, q] of this.lanes) {
      if (match(lane)) {
        for (let i = q.head; i < q.slots.length; i++) {
          const slot = q.slots[i]!;
          slot.dropped = true;
          // Completed but waiting behind an earlier slot: nothing will complete it again.
          if (slot.done) onDoneDropped?.(slot);
        }
        dropped += q.slots.length - q.head;
        this.lanes.delete(lane);
      }
    }
    return dropped;
  }
}
