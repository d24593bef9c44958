/**
 * Bounds the `turbine run` process's garbage. Behind a backlog it cannot absorb, records wait
 * seconds in flight, so their objects and message Buffers outlive V8's young generation and are
 * freed only by a major collection, which V8 schedules late: in a 10-minute soak above capacity
 * the main thread's heap reached 1 GiB in use (live set about 150 MiB) and its external memory
 * 2.4 GiB, and RSS 4.2 GiB, because freed malloc memory stays with the process. When the heap in
 * use plus external memory passes the high-water mark, the governor runs a full collection (a
 * second one shortly after: V8 frees ArrayBuffer memory on the collection after the one that
 * found it dead), at most once per `minIntervalMs`.
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

  constructor(private readonly options: GcGovernorOptions) {}

  /** Returns true when it collected. */
  check(now: number): boolean {
    const o = this.options;
    if (this.followUpAt !== undefined && now >= this.followUpAt) {
      this.followUpAt = undefined;
      o.collect();
      return true;
    }
    if (now - this.lastAt < o.minIntervalMs) return false;
    const reading = o.usage();
    if (reading.heapUsed + reading.external <= o.highWaterBytes) return false;
    this.lastAt = now;
    o.collect();
    this.followUpAt = now + FOLLOW_UP_MS;
    o.onCollect?.(reading);
    return true;
  }
}

/** Delay of the second collection, which frees the ArrayBuffers the first one found dead. */
const FOLLOW_UP_MS = 200;
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
    minIntervalMs: 1000,
    usage: () => process.memoryUsage(),
    collect: exposeGc(),
    onCollect,
  });
  const timer = setInterval(() => governor.check(Date.now()), CHECK_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
