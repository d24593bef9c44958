/**
 * Exactly-once: starts newly assigned partitions at the group's committed offset, read here
 * rather than trusted to librdkafka. librdkafka 2.12 fetches it with require_stable; while a
 * crashed owner's transaction holding offsets is open, the broker answers
 * UNSTABLE_OFFSET_COMMIT, and if the assignment changes while that fetch is in flight (the
 * second round of a cooperative rebalance), librdkafka re-queues the partition with offset
 * INVALID and starts it at auto.offset.reset (rdkafka_assignment.c,
 * rd_kafka_assignment_apply_offsets): every record since the beginning would be processed
 * again. Records consumed meanwhile are held (positions.ts); if the first one sits at the
 * committed offset (or the group has none) they go on, else the partition is re-positioned there.
 * With keyed state the partitions' state is restored first (state/restorer.ts), meanwhile too.
 */
import type Kafka from 'node-rdkafka';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Source, TopicPartition } from '../source/source.js';
import { type PartitionId, partitionId } from '../types.js';
import type { PartitionRegistry } from './partition-registry.js';
import type { Repositioner } from './repositioner.js';

/** How long one committed-offset query may wait: it waits while a crashed owner's transaction is open. */
const START_CHECK_TIMEOUT_MS = 5_000;

export interface StartCheckOptions {
  registry: PartitionRegistry;
  source: () => Source | undefined;
  repositioner: Repositioner;
  /** Held records that may go on, handed back to intake. */
  admit: (messages: Kafka.Message[]) => void;
  closed: () => boolean;
  /** Keyed state: restores the partitions' state; their records are held until it is done. */
  prepare?: (tps: readonly TopicPartition[]) => Promise<void>;
  logger: Logger;
}

export class StartCheck {
  constructor(private readonly o: StartCheckOptions) {}

  async run(tps: readonly TopicPartition[]): Promise<void> {
    const { registry } = this.o;
    const positions = registry.positions;
    const tokens = new Map<PartitionId, number>();
    for (const tp of tps) {
      const id = partitionId(tp.topic, tp.partition);
      tokens.set(id, positions.check(id));
    }
    const mine = (tp: TopicPartition) => {
      const id = partitionId(tp.topic, tp.partition);
      return positions.isChecking(id, tokens.get(id));
    };
    if (this.o.prepare) {
      try {
        await this.o.prepare(tps.filter(mine));
      } catch (error) {
        // Only when closing: nothing of these partitions may be processed without its state.
        this.o.logger.warn({ err: errorMessage(error) }, 'state restore abandoned (closing)');
        return;
      }
    }
    let delay = 500;
    for (;;) {
      const source = this.o.source();
      const pending = tps.filter(mine);
      if (!source || pending.length === 0 || this.o.closed()) return;
      try {
        const committed = await source.committed(pending, START_CHECK_TIMEOUT_MS);
        let seek = false;
        for (const c of committed) {
          const id = partitionId(c.topic, c.partition);
          // null: the group has no committed offset; the consumer's startFrom position is right.
          const expected = c.offset !== undefined && c.offset >= 0 ? c.offset : null;
          const released = positions.settleCheck(id, expected, tokens.get(id));
          if (released.length > 0) this.o.admit(released);
          else if (positions.targetOf(id) !== undefined) seek = true;
        }
        if (seek) this.o.repositioner.requestSeek();
        return;
      } catch (error) {
        if (tps.filter(mine).length === 0) return;
        this.o.logger.warn(
          { err: errorMessage(error), partitions: pending.map((t) => t.partition), retryInMs: delay },
          'could not read the committed offsets of assigned partitions; retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }
}
