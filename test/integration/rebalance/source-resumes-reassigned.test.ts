/**
 * A partition the source paused, then lost in a cooperative rebalance and got back when the
 * other consumer left, is fetched again. librdkafka keeps a partition's pause flag across
 * unassign and a later assign (librdkafka#1849), so the Source resumes what it is assigned
 * unless flow control holds it paused. Driven step by step: nothing here depends on timing.
 */
import type Kafka from 'node-rdkafka';
import { createLogger } from '../../../src/observability/logger';
import { Source, type TopicPartition } from '../../../src/source/source';
import { BROKERS, createTopics, dropTopics, produceRecords, randomName, waitFor } from '../../helpers/kafka';

jest.setTimeout(180_000);

const PARTITIONS = 4;

function makeSource(topic: string, group: string, name: string): Source {
  return new Source({
    brokers: BROKERS,
    group,
    topic,
    clientId: name,
    startFrom: 'earliest',
    kafka: {},
    logger: createLogger('warn'),
  });
}

test('a paused partition that is revoked and assigned again delivers new records', async () => {
  const topic = randomName('sr-in');
  const group = randomName('g');
  await createTopics([{ name: topic, partitions: PARTITIONS }]);

  // A: owns every partition to begin with; records the values it receives per partition.
  const a = makeSource(topic, group, 'a');
  const ownedA = new Set<number>();
  const revokedA: number[] = [];
  const returnedA: number[] = [];
  const valuesA = new Map<number, string[]>();
  await a.connect(15_000);
  a.start({
    holdsPaused: () => false,
    onAssign: (tps) => {
      for (const tp of tps) {
        if (revokedA.includes(tp.partition)) returnedA.push(tp.partition);
        ownedA.add(tp.partition);
      }
    },
    onRevoke: (tps) => {
      for (const tp of tps) {
        ownedA.delete(tp.partition);
        revokedA.push(tp.partition);
      }
      a.releaseRevoked(tps);
    },
    onMessages: (msgs: Kafka.Message[]) => {
      for (const m of msgs) valuesA.set(m.partition, [...(valuesA.get(m.partition) ?? []), String(m.value)]);
    },
  });
  const b = makeSource(topic, group, 'b');
  let bGone = false;
  try {
    await waitFor('a owning every partition', () => ownedA.size === PARTITIONS, 60_000);
    const all: TopicPartition[] = [...ownedA].map((partition) => ({ topic, partition }));
    // What flow control does when the in-flight bound is reached.
    a.pause(all);

    // B joins: the cooperative-sticky assignor moves some of A's (paused) partitions to it.
    const ownedB = new Set<number>();
    await b.connect(15_000);
    b.start({
      holdsPaused: () => false,
      onAssign: (tps) => {
        for (const tp of tps) ownedB.add(tp.partition);
      },
      onRevoke: (tps) => {
        for (const tp of tps) ownedB.delete(tp.partition);
        b.releaseRevoked(tps);
      },
      onMessages: () => undefined,
    });
    await waitFor('b owning some of a’s partitions', () => ownedB.size > 0 && revokedA.length > 0, 60_000);
    const lost = [...revokedA];
    expect(lost.every((p) => ownedB.has(p) && !ownedA.has(p))).toBe(true);
    // Flow control resumes only what the engine still owns; the lost partitions keep their flag.
    a.resume([...ownedA].map((partition) => ({ topic, partition })));

    // B leaves: A is assigned the lost partitions again.
    await b.stop();
    await b.disconnect();
    bGone = true;
    await waitFor('a owning every partition again', () => ownedA.size === PARTITIONS, 60_000);
    expect([...returnedA].sort((x, y) => x - y)).toEqual([...lost].sort((x, y) => x - y));

    // Records produced now to every partition must reach A, the returned partitions included.
    await produceRecords(topic, PARTITIONS * 5, {
      partitions: PARTITIONS,
      value: (i) => Buffer.from(`after-${i}`),
    });
    const deliveredAfter = () =>
      [...Array(PARTITIONS).keys()].map((p) => (valuesA.get(p) ?? []).filter((v) => v.startsWith('after-')).length);
    await waitFor('a receiving the new records', () => deliveredAfter().every((n) => n === 5), 30_000).catch(
      () => undefined,
    );
    // New records per partition, in partition order (a stuck returned partition shows 0); the
    // returned partitions are in the object only so that a failure names them.
    expect({ returned: lost.sort((x, y) => x - y), delivered: deliveredAfter() }).toEqual({
      returned: lost.sort((x, y) => x - y),
      delivered: [5, 5, 5, 5],
    });
  } finally {
    if (!bGone) {
      await b.stop();
      await b.disconnect(5000);
    }
    await a.stop();
    await a.disconnect();
    await dropTopics([topic]);
  }
});
