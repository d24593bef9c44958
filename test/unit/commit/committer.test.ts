/**
 * The final commit of partitions being handed over or left: every commit point is sent (an
 * interval commit marked done may still have been refused), and a refusal because the group is
 * rebalancing is retried until it is accepted or the deadline passes; other errors end it at once.
 */
import Kafka from 'node-rdkafka';
import { Registry } from 'prom-client';
import { Committer } from '../../../src/commit/committer';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { PartitionRegistry } from '../../../src/ownership/partition-registry';
import type { Source } from '../../../src/source/source';

const codes = Kafka.CODES.ERRORS;

function kafkaError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function setup(failures: Error[]) {
  const committedAt = new Map<number, number>();
  const state = (partition: number, point: number, committed: number) => ({
    topic: 'in',
    partition,
    commitPoint: () => point,
    // Nothing moved since the interval commit: a plain commit would send nothing.
    pendingCommit: () => (point > committed ? point : null),
    markCommitted: (offset: number) => committedAt.set(partition, offset),
  });
  const states = [state(0, 120, 120), state(1, 75, 70)];
  const registry = {
    states: () => states.values(),
    get: (id: string) => states.find((s) => `in:${s.partition}` === id),
  } as unknown as PartitionRegistry;
  const sent: Array<Array<{ partition: number; offset: number }>> = [];
  const source = {
    commitSync: (offsets: Array<{ partition: number; offset: number }>) => {
      sent.push(offsets.map(({ partition, offset }) => ({ partition, offset })));
      const failure = failures.shift();
      if (failure) throw failure;
    },
  } as unknown as Source;
  const committer = new Committer({
    registry,
    source: () => source,
    metrics: createMetrics(new Registry(), false),
    logger: createLogger('silent'),
    emit: () => undefined,
  });
  return { committer, sent, committedAt };
}

describe('Committer.commitFinal', () => {
  test('sends every commit point, also those an interval commit already sent', async () => {
    const { committer, sent, committedAt } = setup([]);
    expect(await committer.commitFinal(undefined, Date.now() + 1000)).toBe(true);
    expect(sent).toEqual([
      [
        { partition: 0, offset: 120 },
        { partition: 1, offset: 75 },
      ],
    ]);
    expect([...committedAt]).toEqual([
      [0, 120],
      [1, 75],
    ]);
  });

  test('retries while the group rebalances, until the commit is accepted', async () => {
    const { committer, sent } = setup([
      kafkaError(codes.ERR_ILLEGAL_GENERATION, 'Broker: Specified group generation id is not valid'),
      kafkaError(codes.ERR_REBALANCE_IN_PROGRESS, 'Broker: Group rebalance in progress'),
    ]);
    expect(await committer.commitFinal(['in:1'], Date.now() + 5000)).toBe(true);
    expect(sent).toEqual([
      [{ partition: 1, offset: 75 }],
      [{ partition: 1, offset: 75 }],
      [{ partition: 1, offset: 75 }],
    ]);
  });

  test('gives up at the deadline, and at once on other errors', async () => {
    const refused = () => kafkaError(codes.ERR_ILLEGAL_GENERATION, 'refused');
    const late = setup(Array.from({ length: 100 }, refused));
    const started = Date.now();
    expect(await late.committer.commitFinal(undefined, started + 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(late.sent.length).toBeGreaterThan(1);

    const lost = setup([kafkaError(codes.ERR__STATE, 'Local: Erroneous state')]);
    expect(await lost.committer.commitFinal(undefined, Date.now() + 5000)).toBe(false);
    expect(lost.sent).toHaveLength(1);
  });
});
