/**
 * In-flight accounting and the pause/resume decision. Records count from consumption until
 * their outputs are acknowledged (or they are dead-lettered). Above either bound the engine
 * pauses its partitions; it resumes once both are back under the resume fraction, so it does
 * not flap on every batch.
 */
export interface FlowLimits {
  maxRecords: number;
  maxBytes: number;
  /** Resume when in-flight falls to this fraction of the bounds. */
  resumeFraction?: number;
  /**
   * Pause only after the bounds have been reached continuously this long. Until then the engine
   * simply stops asking the consumer for records: pausing makes librdkafka drop its prefetched
   * messages and refetch on resume, which measured here cost up to a second per cycle.
   */
  pauseAfterMs?: number;
}

export class FlowControl {
  private records = 0;
  private bytes = 0;
  private paused = false;
  private fullSince: number | undefined;
  private readonly limits: Required<FlowLimits>;
  /** Highest in-flight record count seen; tests assert it never passes the bound. */
  peakRecords = 0;
  /** Highest in-flight bytes seen. */
  peakBytes = 0;
  /** Moving mean of a consumed record's size (key + value), bytes; 0 before the first. */
  private meanRecordBytes = 0;

  constructor(limits: FlowLimits) {
    this.limits = { resumeFraction: 0.5, pauseAfterMs: 0, ...limits };
  }

  add(records: number, bytes: number): void {
    this.records += records;
    this.bytes += bytes;
    if (this.records > this.peakRecords) this.peakRecords = this.records;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    if (records > 0) {
      const size = bytes / records;
      // The mean of about the last 16 records: quick to follow a change of payload size.
      this.meanRecordBytes =
        this.meanRecordBytes === 0 ? size : this.meanRecordBytes + (size - this.meanRecordBytes) / 16;
    }
  }

  release(records: number, bytes: number): void {
    this.records -= records;
    this.bytes -= bytes;
  }

  /**
   * Records the consumer may still take without passing either bound. The byte room is counted
   * in records of the mean recent size, so large payloads (images: 100 KB each) stop the
   * consumer near maxBytes instead of one consume call (up to 4,096 records) past it; a record
   * larger than the mean can still pass the bound by its excess.
   */
  get room(): number {
    const bytesLeft = this.limits.maxBytes - this.bytes;
    if (bytesLeft <= 0) return 0;
    const recordsLeft = Math.max(0, this.limits.maxRecords - this.records);
    if (this.meanRecordBytes === 0) return recordsLeft;
    return Math.min(recordsLeft, Math.max(1, Math.floor(bytesLeft / this.meanRecordBytes)));
  }

  /** True while either bound is reached: the consumer must not take more records. */
  get full(): boolean {
    return this.records >= this.limits.maxRecords || this.bytes >= this.limits.maxBytes;
  }

  /** When a pause falls due if the bounds stay reached, or undefined when not full or paused. */
  get pauseDueAt(): number | undefined {
    return this.paused || this.fullSince === undefined ? undefined : this.fullSince + this.limits.pauseAfterMs;
  }

  /** 'pause' or 'resume' when the state should change, else null. */
  decide(now = Date.now()): 'pause' | 'resume' | null {
    if (!this.full) this.fullSince = undefined;
    else if (this.fullSince === undefined) this.fullSince = now;
    if (!this.paused && this.fullSince !== undefined && now - this.fullSince >= this.limits.pauseAfterMs) {
      this.paused = true;
      return 'pause';
    }
    if (
      this.paused &&
      this.records <= this.limits.maxRecords * this.limits.resumeFraction &&
      this.bytes <= this.limits.maxBytes * this.limits.resumeFraction
    ) {
      this.paused = false;
      return 'resume';
    }
    return null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get inFlightRecords(): number {
    return this.records;
  }

  get inFlightBytes(): number {
    return this.bytes;
  }
}
