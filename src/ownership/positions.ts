/**
 * Where each owned partition's consumption stands, for the records the consumer hands over:
 *
 * - live (no entry): records go on;
 * - checking: exactly-once start check. Records are held until the group's committed offset is
 *   known; the first one must sit there, else the partition is re-positioned to it;
 * - seeking: "from offset X on": everything fetched is dropped until the seek to X is done
 *   (X = -1: the first dropped offset, i.e. where the consumer stood).
 *
 * Pure bookkeeping; the repositioner performs the seeks and the start check reads the offsets.
 */
import type { PartitionId } from '../types.js';

/** `seek`: dropped, and this record showed the start check that the partition must seek. */
export type Admission = 'accept' | 'hold' | 'drop' | 'seek';

/**
 * Who asked for a seek: the start check (performed at once, by requestSeek) or a re-positioning
 * whose owner performs it when its own work allows (an aborted transaction seeks after the
 * abort and the state restore, never before).
 */
export type SeekOrigin = 'start' | 'reposition';

interface Checking<T> {
  kind: 'checking';
  /** Identifies this check: a partition revoked and assigned again gets a new one. */
  generation: number;
  /** The group's committed offset; null when it has none; undefined while being read. */
  expected: number | null | undefined;
  held: T[];
  /** More records came than the hold bound: they were dropped, so a seek is needed. */
  overflowed: boolean;
  /** The first offset the consumer delivered, -1 before any. */
  firstSeen: number;
}

interface Seeking {
  kind: 'seeking';
  /** Offset to seek to; -1 until the first dropped record tells where the consumer stood. */
  target: number;
  /** Changes whenever the target does, so a seek finishing late cannot end a newer one. */
  generation: number;
  origin: SeekOrigin;
}

export interface DueSeek {
  id: PartitionId;
  offset: number;
  generation: number;
}

/** A partition the consumer started away from its committed offset (exactly-once start check). */
export interface StartMove {
  id: PartitionId;
  startedAt: number;
  committed: number;
}

export class Positions<T extends { offset: number }> {
  private readonly entries = new Map<PartitionId, Checking<T> | Seeking>();
  private generation = 0;
  private moves: StartMove[] = [];

  /** `holdMax`: records held per partition while its start check runs. */
  constructor(private readonly holdMax: number) {}

  /** Partitions not live; the consume path skips all checks while this is 0. */
  get size(): number {
    return this.entries.size;
  }

  /** Holds a newly assigned partition's records until settleCheck() gives its start offset; returns the check's token. */
  check(id: PartitionId): number {
    const generation = ++this.generation;
    this.entries.set(id, {
      kind: 'checking',
      generation,
      expected: undefined,
      held: [],
      overflowed: false,
      firstSeen: -1,
    });
    return generation;
  }

  /** Whether `id` is under a start check (the one `token` names, if given). */
  isChecking(id: PartitionId, token?: number): boolean {
    const entry = this.entries.get(id);
    return entry?.kind === 'checking' && (token === undefined || entry.generation === token);
  }

  /** From now on drop what is fetched for `id` until a seek to `target` (-1: the first dropped offset) is done. */
  seek(id: PartitionId, target: number, origin: SeekOrigin = 'reposition'): void {
    this.entries.set(id, { kind: 'seeking', target, generation: ++this.generation, origin });
  }

  /** What to do with a consumed record of `id`. */
  admit(id: PartitionId, record: T): Admission {
    const entry = this.entries.get(id);
    if (entry === undefined) return 'accept';
    if (entry.kind === 'seeking') {
      if (entry.target < 0) entry.target = record.offset;
      return 'drop';
    }
    if (entry.firstSeen < 0) entry.firstSeen = record.offset;
    if (entry.expected === undefined) {
      if (entry.held.length < this.holdMax) entry.held.push(record);
      else entry.overflowed = true;
      return 'hold';
    }
    return this.compare(id, entry, record.offset) ? 'accept' : 'seek';
  }

  /**
   * The start offset of a checked partition is known (null: the group has none, so wherever the
   * consumer started is right). Returns the held records to process now, or none when the
   * partition started elsewhere and now seeks (or nothing was consumed yet).
   */
  settleCheck(id: PartitionId, expected: number | null, token?: number): T[] {
    const entry = this.entries.get(id);
    if (entry?.kind !== 'checking' || (token !== undefined && entry.generation !== token)) return [];
    entry.expected = expected;
    const held = entry.held;
    entry.held = [];
    if (held.length > 0) return this.compare(id, entry, held[0]!.offset) ? held : [];
    if (entry.firstSeen >= 0) this.seek(id, expected ?? entry.firstSeen, 'start');
    return [];
  }

  /** True (and live) when `offset` is where the partition should start; else it starts seeking there. */
  private compare(id: PartitionId, entry: Checking<T>, offset: number): boolean {
    const wanted = entry.expected ?? entry.firstSeen;
    if (offset === wanted && !entry.overflowed) {
      this.entries.delete(id);
      return true;
    }
    if (entry.expected !== null && entry.expected !== undefined && entry.firstSeen !== entry.expected)
      this.moves.push({ id, startedAt: entry.firstSeen, committed: entry.expected });
    this.seek(id, wanted, 'start');
    return false;
  }

  /** Start checks that found their partition away from its committed offset since the last call. */
  takeMoves(): StartMove[] {
    const moves = this.moves;
    if (moves.length > 0) this.moves = [];
    return moves;
  }

  /** The target of a seeking partition (-1: not known yet), else undefined. */
  targetOf(id: PartitionId): number | undefined {
    const entry = this.entries.get(id);
    return entry?.kind === 'seeking' ? entry.target : undefined;
  }

  /**
   * Seeks to perform now: every seeking partition, or only those of `origin`. Those with target
   * -1 consumed nothing and need none.
   */
  due(origin?: SeekOrigin): DueSeek[] {
    const out: DueSeek[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.kind !== 'seeking' || (origin !== undefined && entry.origin !== origin)) continue;
      out.push({ id, offset: entry.target, generation: entry.generation });
    }
    return out;
  }

  /** These seeks are done: their partitions are live again, unless re-targeted since. */
  done(seeks: readonly DueSeek[]): void {
    for (const s of seeks) {
      const entry = this.entries.get(s.id);
      if (entry?.kind === 'seeking' && entry.generation === s.generation) this.entries.delete(s.id);
    }
  }

  /** Forgets a partition (revoked). */
  forget(id: PartitionId): void {
    this.entries.delete(id);
  }
}
