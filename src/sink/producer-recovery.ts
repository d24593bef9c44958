/**
 * Recovery from a fatal producer error (RD_KAFKA_RESP_ERR__FATAL, e.g. the idempotent
 * producer's sequence state is lost): the producer must be replaced, and whatever it had not
 * acknowledged may or may not be written. Commit what is complete (acknowledged before the
 * error), re-position every partition with work in flight to its commit point (new epochs: late
 * results are dropped), and go on with a new producer. Outputs since the commit point may
 * appear twice (at-least-once).
 */
import type { Committer } from '../commit/committer.js';
import { errorMessage, TurbineError } from '../errors.js';
import type { Emit, EngineCounters } from '../observability/engine-events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { Position, Repositioner } from '../ownership/repositioner.js';
import type { PartitionId } from '../types.js';
import type { Sink } from './sink.js';

export interface ProducerRecoveryOptions {
  registry: PartitionRegistry;
  committer: Committer;
  repositioner: Repositioner;
  sink: () => Sink | undefined;
  /** Whether the engine runs or drains (recovery makes no sense before or after). */
  active: () => boolean;
  connectTimeoutMs: number;
  counters: EngineCounters;
  metrics: Metrics;
  logger: Logger;
  emit: Emit;
  fail: (error: unknown) => void;
}

export class ProducerRecovery {
  /** One recovery at a time: a second fatal error while one runs is part of the same failure. */
  private recovering = false;

  constructor(private readonly o: ProducerRecoveryOptions) {}

  async recover(error: unknown): Promise<void> {
    const sink = this.o.sink();
    if (!sink || this.recovering || !this.o.active()) return;
    this.recovering = true;
    this.o.counters.producerRecoveries++;
    this.o.metrics.producerRecoveries.inc();
    this.o.committer.commitSync();
    const targets = new Map<PartitionId, number>();
    const rewound: Position[] = [];
    for (const [id, s] of this.o.registry.entries()) {
      const point = s.commitPoint();
      // An idle partition has nothing in flight: it goes on where it is.
      if (point === null || s.idle) continue;
      targets.set(id, point);
      rewound.push({ topic: s.topic, partition: s.partition, offset: point });
    }
    this.o.logger.error(
      { code: 'KAFKA_PRODUCER_FATAL', err: errorMessage(error), rewound },
      'fatal producer error: producer re-created, in-flight work dropped, partitions rewound to their commit point',
    );
    this.o.emit('producerRecovered', { rewound });
    this.o.repositioner.reposition(targets);
    try {
      await Promise.all([sink.replaceProducer(this.o.connectTimeoutMs), this.o.repositioner.seekNow()]);
    } catch (cause) {
      this.o.fail(
        new TurbineError(
          'KAFKA_PRODUCER_FATAL',
          `recovery from a fatal producer error failed: ${errorMessage(cause)}`,
          {
            cause,
          },
        ),
      );
    } finally {
      this.recovering = false;
    }
  }
}
