/**
 * The one re-positioning path: a partition moved "from offset X on" gets a new epoch, loses its
 * in-flight work, drops what is fetched until its seek lands, and is sought exactly once per pass.
 */
import type Kafka from 'node-rdkafka';
import { createLogger } from '../../../src/observability/logger';
import { PartitionRegistry } from '../../../src/ownership/partition-registry';
import { Repositioner } from '../../../src/ownership/repositioner';
import type { Source, TopicPartition } from '../../../src/source/source';

type Seek = TopicPartition & { offset: number };

/** A consumer stand-in: rewind() runs the target callback (as after the in-flight consume returned) and records the seeks. */
function fakeSource(fail = false) {
  const seeks: Seek[] = [];
  const source = {
    async rewind(positions: () => Seek[]) {
      const ps = positions();
      if (fail) throw new Error('seek failed');
      seeks.push(...ps);
    },
  };
  return { source: source as unknown as Source, seeks };
}

const message = (partition: number, offset: number) => ({ topic: 't', partition, offset }) as Kafka.Message;

function setup(fail = false) {
  const registry = new PartitionRegistry();
  registry.assign([
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]);
  const { source, seeks } = fakeSource(fail);
  const dropped: string[] = [];
  const repositioner = new Repositioner({
    registry,
    source: () => source,
    dropWork: (match) => dropped.push(...['t:0', 't:1'].filter(match)),
    logger: createLogger('silent'),
  });
  return { registry, repositioner, seeks, dropped };
}

describe('Repositioner', () => {
  it('renews the epoch, drops in-flight work and fetched records, then seeks once', async () => {
    const { registry, repositioner, seeks, dropped } = setup();
    const before = registry.get('t:0')!;
    before.track(100);
    before.track(101);
    repositioner.reposition(new Map([['t:0', 100]]));
    const after = registry.get('t:0')!;
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(registry.isCurrent('t', 0, before.epoch)).toBe(false);
    expect(after.commitPoint()).toBe(100);
    expect(dropped).toEqual(['t:0']);
    // Records fetched before the seek are dropped; the other partition is untouched.
    expect(registry.positions.admit('t:0', message(0, 102))).toBe('drop');
    expect(registry.positions.admit('t:1', message(1, 7))).toBe('accept');
    expect(await repositioner.seekNow()).toEqual([{ topic: 't', partition: 0, offset: 100 }]);
    expect(seeks).toEqual([{ topic: 't', partition: 0, offset: 100 }]);
    expect(registry.positions.admit('t:0', message(0, 100))).toBe('accept');
    expect(after.accepts(99)).toBe(false);
    expect(after.accepts(100)).toBe(true);
    // Nothing is due any more: a second pass seeks nothing.
    expect(await repositioner.seekNow()).toEqual([]);
  });

  it('with an unknown target, re-reads from the first offset dropped before the seek', async () => {
    const { registry, repositioner, seeks } = setup();
    repositioner.reposition(new Map([['t:1', -1]]));
    registry.positions.admit('t:1', message(1, 42));
    registry.positions.admit('t:1', message(1, 43));
    await repositioner.seekNow();
    expect(seeks).toEqual([{ topic: 't', partition: 1, offset: 42 }]);
  });

  it('leaves a partition under its start check to the check', () => {
    const { registry, repositioner, dropped } = setup();
    const epoch = registry.get('t:0')!.epoch;
    registry.positions.check('t:0');
    repositioner.reposition(new Map([['t:0', 5]]));
    expect(registry.get('t:0')!.epoch).toBe(epoch);
    expect(registry.positions.isChecking('t:0')).toBe(true);
    expect(dropped).toEqual([]);
  });

  it('keeps the targets when a seek fails, for the next pass', async () => {
    const { registry, repositioner } = setup(true);
    repositioner.reposition(new Map([['t:0', 9]]));
    await expect(repositioner.seekNow()).rejects.toThrow('seek failed');
    expect(registry.positions.targetOf('t:0')).toBe(9);
    expect(registry.positions.admit('t:0', message(0, 9))).toBe('drop');
  });

  it("the start check's seek requests leave a re-positioning's seek to its owner", async () => {
    const { registry, repositioner, seeks } = setup();
    repositioner.reposition(new Map([['t:0', 5]]));
    const token = registry.positions.check('t:1');
    registry.positions.admit('t:1', message(1, 0));
    registry.positions.settleCheck('t:1', 30, token);
    repositioner.requestSeek();
    await new Promise((r) => setImmediate(r));
    expect(seeks).toEqual([{ topic: 't', partition: 1, offset: 30 }]);
    // t:0 (an aborted transaction, say) still drops what is fetched until its owner seeks it.
    expect(registry.positions.admit('t:0', message(0, 5))).toBe('drop');
    await repositioner.seekNow();
    expect(seeks).toEqual([
      { topic: 't', partition: 1, offset: 30 },
      { topic: 't', partition: 0, offset: 5 },
    ]);
  });

  it('ignores partitions it does not own', () => {
    const { registry, repositioner, dropped } = setup();
    repositioner.reposition(new Map([['t:9', 1]]));
    expect(registry.positions.size).toBe(0);
    expect(dropped).toEqual([]);
  });
});

describe('PartitionRegistry.whenSettled', () => {
  it('resolves as soon as the last pending offset completes, without polling', async () => {
    const registry = new PartitionRegistry();
    registry.assign([{ topic: 't', partition: 0 }]);
    const s = registry.get('t:0')!;
    s.track(1);
    s.track(2);
    let settled: boolean | undefined;
    const wait = registry
      .whenSettled(() => ['t:0'], 60_000)
      .then((v) => {
        settled = v;
      });
    s.complete([1]);
    registry.progress();
    await Promise.resolve();
    expect(settled).toBeUndefined();
    s.complete([2]);
    registry.progress();
    await wait;
    expect(settled).toBe(true);
  });

  it('resolves false at the deadline, and a halted partition counts as settled at its halt offset', async () => {
    const registry = new PartitionRegistry();
    registry.assign([{ topic: 't', partition: 0 }]);
    const s = registry.get('t:0')!;
    s.track(1);
    s.track(2);
    expect(await registry.whenSettled(() => ['t:0'], 10)).toBe(false);
    s.complete([1]);
    registry.haltedAt.set('t:0', 2);
    expect(await registry.whenSettled(() => ['t:0'], 10)).toBe(true);
  });

  it('a released partition is settled', async () => {
    const registry = new PartitionRegistry();
    registry.assign([{ topic: 't', partition: 0 }]);
    registry.get('t:0')!.track(1);
    const wait = registry.whenSettled(() => ['t:0'], 60_000);
    registry.release(['t:0']);
    expect(await wait).toBe(true);
  });
});
