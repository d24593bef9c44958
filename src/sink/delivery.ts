/**
 * Delivery of finished work: applies onFailure to the records that used up their retries
 * (dead-letter, skip, or halt the partition), produces the outputs and dead letters, and
 * completes the records once the broker acknowledged all of them.
 */
import type { Batch } from '../batching/batcher.js';
import type { Completion } from '../commit/completion.js';
import type { TurbineConfig } from '../config/load.js';
import type { DeadLetter } from '../dispatch/batch-runner.js';
import type { EncodedOutput } from '../dispatch/codec.js';
import { planFailures } from '../dispatch/failure-policy.js';
import type { StateEntries } from '../dispatch/task.js';
import { TurbineError } from '../errors.js';
import type { Emit, EngineCounters } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import { type ConsumedRecord, partitionId } from '../types.js';
import { buildMessages, type ChangelogTarget, changelogMessages, type OutputTopics } from './output-messages.js';
import type { DeliveryGroup, OutboundMessage } from './sink.js';

/** A batch's keyed-state changes (null deletes) and the input offset that made each. */
export interface StateDelta {
  changes: StateEntries;
  offsets: ReadonlyMap<string, number>;
}

export interface DeliveryOptions {
  config: Pick<TurbineConfig, 'onFailure'>;
  topics: OutputTopics;
  /** Keyed state: the changelog topic that state changes are produced to. */
  changelog: ChangelogTarget | undefined;
  registry: PartitionRegistry;
  completion: Completion;
  /** Hands messages to the producer (or to the open transaction). */
  send: (messages: OutboundMessage[]) => void;
  metrics: Metrics;
  logger: Logger;
  counters: EngineCounters;
  emit: Emit;
  /** onFailure fail: a record failed for good; the engine stops. */
  fail: (error: TurbineError) => void;
}

export class Delivery {
  private recordFailure: TurbineError | undefined;

  constructor(private readonly o: DeliveryOptions) {}

  /**
   * Produces the outputs of `records` (a batch, or part of one, in offset order) and applies
   * onFailure to their dead letters; once all is acknowledged the records are complete.
   * `deadLetters` index into `records`.
   */
  deliver(
    batch: Batch,
    inputRecords: ConsumedRecord[],
    inputOutputs: EncodedOutput[][],
    inputDeadLetters: DeadLetter[],
    state?: StateDelta,
  ): void {
    const { registry, completion } = this.o;
    let records = inputRecords;
    let outputsOf = inputOutputs;
    let deadLetters = inputDeadLetters;
    let skipped: DeadLetter[] = [];
    const id = partitionId(batch.topic, batch.partition);
    const haltAt = registry.haltedAt.get(id);
    if (deadLetters.length > 0 || haltAt !== undefined) {
      const plan = planFailures(
        this.o.config.onFailure,
        records.map((r) => r.offset),
        deadLetters,
        haltAt,
      );
      if (plan.haltAt !== undefined) registry.haltedAt.set(id, plan.haltAt);
      if (plan.stop) this.stopOnFailure(batch, records[plan.stop.index]!, plan.stop);
      deadLetters = plan.deadLetter;
      skipped = plan.skip;
      if (plan.drop.length > 0) {
        // Halted: nothing at or past the failed record is produced or completed.
        completion.finish(
          batch,
          false,
          plan.drop.map((i) => records[i]!),
        );
        const position = new Map(plan.keep.map((i, j) => [i, j]));
        const reindex = (d: DeadLetter) => ({ ...d, index: position.get(d.index)! });
        deadLetters = deadLetters.map(reindex);
        skipped = skipped.map(reindex);
        outputsOf = plan.keep.map((i) => outputsOf[i]!);
        records = plan.keep.map((i) => records[i]!);
        if (records.length === 0) return;
      }
    }
    const group: DeliveryGroup = {
      remaining: 0,
      // Exactly-once: a group settles as failed when its transaction aborts.
      onAcked: () => completion.finish(batch, group.failed !== true, records),
      onDropped: () => completion.finish(batch, false, records),
    };
    const messages = buildMessages(this.o.topics, batch, records, outputsOf, deadLetters, group);
    if (state && this.o.changelog && state.changes.length > 0) {
      messages.push(...changelogMessages(this.o.changelog, batch, state.changes, state.offsets, group));
      this.o.metrics.stateChangelogRecords.inc(state.changes.length);
    }
    for (const dl of deadLetters) this.onDeadLettered(batch, records[dl.index]!, dl);
    for (const dl of skipped) this.onSkipped(batch, records[dl.index]!, dl);
    if (messages.length === 0) {
      completion.finish(batch, true, records);
      return;
    }
    group.remaining = messages.length;
    this.o.send(messages);
  }

  private onDeadLettered(batch: Batch, record: ConsumedRecord, dl: DeadLetter): void {
    this.o.counters.deadLettered++;
    this.o.metrics.recordsDeadLettered.inc({ topic: batch.topic, code: dl.code });
    this.o.logger.warn(failureFields(batch, record, dl), 'record dead-lettered');
    this.o.emit('deadLettered', {
      topic: batch.topic,
      partition: batch.partition,
      offset: record.offset,
      code: dl.code,
    });
  }

  private onSkipped(batch: Batch, record: ConsumedRecord, dl: DeadLetter): void {
    this.o.counters.skipped++;
    this.o.metrics.recordsSkipped.inc({ topic: batch.topic, code: dl.code });
    this.o.logger.warn(
      failureFields(batch, record, dl),
      'record skipped (onFailure skip): dropped without a dead-letter copy',
    );
    this.o.emit('skipped', { topic: batch.topic, partition: batch.partition, offset: record.offset, code: dl.code });
  }

  /** onFailure fail: the partition is halted at the record (by deliver); stop the engine once. */
  private stopOnFailure(batch: Batch, record: ConsumedRecord, dl: DeadLetter): void {
    const where = `${batch.topic}/${batch.partition}@${record.offset}`;
    const error = new TurbineError(
      'RECORD_FAILED',
      `record ${where} failed ${dl.attempts} attempt(s) with ${dl.code}: ${dl.message}; onFailure is fail, so the engine stops without committing it`,
      {
        details: { code: dl.code, topic: batch.topic, partition: batch.partition, offset: record.offset },
      },
    );
    if (this.recordFailure) {
      this.o.logger.error({ ...error.details, attempts: dl.attempts }, 'another record failed while stopping');
      return;
    }
    this.recordFailure = error;
    this.o.fail(error);
  }
}

/** Log fields naming a record that used up its retries. */
function failureFields(batch: Batch, record: ConsumedRecord, dl: DeadLetter): Record<string, unknown> {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: record.offset,
    code: dl.code,
    attempts: dl.attempts,
    err: dl.message,
  };
}
