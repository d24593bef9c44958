/**
 * Bounds the `turbine run` process's garbage. Behind a backlog it cannot absorb, records wait
 * seconds in flight, so their objects and message Buffers outlive V8's young generation and are
 * freed only by a major collection, which V8 schedules late: in a 10-minute soak above capacity
 * the main thread's heap reached 1 GiB in use (live set about 150 MiB) and its external memory
 * 2.4 GiB, and RSS 4.2 GiB, because freed malloc memory stays with the process. When the heap in
 * use plus external memory passes the high-water mark, the governor runs a full collection (a
 * second one shortly after: V8 frees ArrayBuffer memory on the collection after the one that
 * found it dead), at most once per `minIntervalMs`. The mark then moves to twice what the two
 * collections left, read a second later (never below the configured mark), so a live set above
 * the mark is not collected over and over: with a fixed mark of 512 MiB and a live set of
 * ~650 MiB, forced collections every second took the main thread and consumption fell from 7,000
 * to a few hundred records/s.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryReading {
  heapUsed: number;
  external: number;
}

export interface GcGovernorOptions {
  highWaterBytes: number;
  /** At most one forced collection per this many ms. */
  minIntervalMs: number;
  usage: () => MemoryReading;
  collect: () => void;
  /** Called after each forced collection with the reading that triggered it. */
  onCollect?: (reading: MemoryReading) => void;
}

/** The policy, without timers: `check(now)` collects when the reading is over the mark. */
export class GcGovernor {
  private lastAt = Number.NEGATIVE_INFINITY;
  private followUpAt: number | undefined;
  /** When to read what the forced collections left (ArrayBuffers are swept after a delay). */
  private measureAt: number | undefined;
  private mark: number;

  constructor(private readonly options: GcGovernorOptions) {
    this.mark = options.highWaterBytes;
  }

  /** The current trigger, in bytes: the configured mark, or twice the memory the last forced collection left. */
  get markBytes(): number {
    return this.mark;
  }

  /** Returns true when it collected. */
  check(now: number): boolean {
    const o = this.options;
    if (this.followUpAt !== undefined && now >= this.followUpAt) {
      this.followUpAt = undefined;
      o.collect();
      this.measureAt = now + MEASURE_AFTER_MS;
      return true;
    }
    if (this.measureAt !== undefined) {
      if (now < this.measureAt) return false;
      this.measureAt = undefined;
      const left = o.usage();
      this.mark = Math.max(o.highWaterBytes, 2 * (left.heapUsed + left.external));
      return false;
    }
    if (now - this.lastAt < o.minIntervalMs) return false;
    const reading = o.usage();
    if (reading.heapUsed + reading.external <= this.mark) return false;
    this.lastAt = now;
    o.collect();
    this.followUpAt = now + FOLLOW_UP_MS;
    o.onCollect?.(reading);
    return true;
  }
}

/** Delay of the second collection, which frees the ArrayBuffers the first one found dead. */
const FOLLOW_UP_MS = 200;
/** After the second collection, how long until the freed memory shows in the reading. */
const MEASURE_AFTER_MS = 1000;
const CHECK_EVERY_MS = 200;

/** V8's gc(), exposed at runtime (the flag must be set before the function is looked up). */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Starts checking every 200 ms; returns a stop function. highWaterMb 0: does nothing. */
export function startGcGovernor(highWaterMb: number, onCollect: (reading: MemoryReading) => void): { stop(): void } {
  if (highWaterMb <= 0) return { stop: () => undefined };
  const governor = new GcGovernor({
    highWaterBytes: highWaterMb * 1024 * 1024,
    minIntervalMs: 5000,
    usage: () => process.memoryUsage(),
    collect: exposeGc(),
    onCollect,
  });
  const timer = setInterval(() => governor.check(Date.now()), CHECK_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
