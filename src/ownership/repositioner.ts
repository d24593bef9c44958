/**
 * The one way a partition's consumption is moved: "from offset X on, drop what was fetched and
 * seek". Used by the exactly-once start check (a partition that started away from its committed
 * offset), aborted transactions (re-read from the committed offsets) and fatal producer errors
 * (re-read from the commit point). Re-positioning bumps the partition's epoch, so results of
 * the old one are dropped when they return; drops what the batcher, reorderer and key parking
 * hold for it; and drops everything fetched for it until the seek is done (positions.ts).
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Source, TopicPartition } from '../source/source.js';
import type { PartitionId } from '../types.js';
import type { PartitionRegistry } from './partition-registry.js';
import type { DueSeek, SeekOrigin } from './positions.js';

/** A seek requested by the start check that failed is tried again after this long. */
const SEEK_RETRY_MS = 1_000;

export interface RepositionerOptions {
  registry: PartitionRegistry;
  source: () => Source | undefined;
  /** Drops the batched, ordered and parked work of matching partitions (released, never completed). */
  dropWork: (match: (id: PartitionId) => boolean) => void;
  logger: Logger;
}

export type Position = TopicPartition & { offset: number };

export class Repositioner {
  private seeking = false;
  private again = false;
  private stopped = false;

  constructor(private readonly o: RepositionerOptions) {}

  /**
   * Marks partitions to restart at their target offset (-1: where the consumer stands, i.e.
   * the first offset fetched next): a new epoch each, in-flight work dropped, fetched records
   * dropped until seekNow() moved them. A partition under its start check keeps it: nothing of
   * it was processed, and the check decides where it starts.
   */
  reposition(targets: ReadonlyMap<PartitionId, number>): void {
    const { registry } = this.o;
    const moved = new Set<PartitionId>();
    for (const [id, target] of targets) {
      if (!registry.get(id) || registry.positions.isChecking(id)) continue;
      registry.renew(id, target >= 0 ? target : undefined);
      registry.positions.seek(id, target);
      moved.add(id);
    }
    if (moved.size > 0) this.o.dropWork((id) => moved.has(id));
  }

  /**
   * Seeks every partition waiting for it. The consume loop stops first and the consume() call
   * in progress returns (its records are dropped), then each seeks; librdkafka discards what
   * was fetched before a seek. Rejects if a seek failed; the targets stay for the next try.
   * `origin`: only the seeks it asked for (the start check must not move a partition whose
   * aborted transaction is still being rolled back).
   */
  async seekNow(origin?: SeekOrigin): Promise<Position[]> {
    const source = this.o.source();
    const { registry } = this.o;
    if (!source) return [];
    for (const move of registry.positions.takeMoves())
      this.o.logger.warn(
        { partition: move.id, startedAt: move.startedAt, committed: move.committed },
        'consumer started a partition away from its committed offset; moving it back',
      );
    let due: DueSeek[] = [];
    const positions: Position[] = [];
    // Targets are read once the consume() call in flight returned: records it dropped may set
    // the target of a partition that had consumed nothing before.
    await source.rewind(() => {
      due = registry.positions.due(origin);
      for (const d of due) {
        const s = registry.get(d.id);
        if (s && d.offset >= 0) positions.push({ topic: s.topic, partition: s.partition, offset: d.offset });
      }
      return positions;
    });
    registry.positions.done(due);
    if (positions.length > 0)
      this.o.logger.info({ partitions: positions.map((p) => `${p.partition}@${p.offset}`) }, 'partitions rewound');
    return positions;
  }

  /** The start check's seeks, soon, retrying failures; calls made while a pass runs join the next one. */
  requestSeek(): void {
    if (this.stopped) return;
    if (this.seeking) {
      this.again = true;
      return;
    }
    this.seeking = true;
    this.again = false;
    this.seekNow('start')
      .catch(async (error: unknown) => {
        this.o.logger.warn({ err: errorMessage(error), retryInMs: SEEK_RETRY_MS }, 'seek failed; retrying');
        await new Promise((r) => setTimeout(r, SEEK_RETRY_MS));
        this.again = true;
      })
      .finally(() => {
        this.seeking = false;
        if (this.again && this.o.registry.positions.due('start').length > 0) this.requestSeek();
      });
  }

  /** No more requested seeks (shutdown). */
  stop(): void {
    this.stopped = true;
  }
}
