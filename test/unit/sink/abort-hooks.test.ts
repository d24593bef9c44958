import type { PartitionRegistry } from '../../../src/ownership/partition-registry.js';
import type { Repositioner } from '../../../src/ownership/repositioner.js';
import { abortHooks } from '../../../src/sink/exactly-once.js';
import type { Sink } from '../../../src/sink/sink.js';
import type { TopicPartition } from '../../../src/source/source.js';
import { partitionId } from '../../../src/types.js';

/**
 * A registry of owned partitions (rewindOffset = 10 × partition) that a test can assign to and
 * revoke from; re-positioning marks a partition seeking until its seek, as Positions does.
 */
function fakeRegistry(owned: number[]) {
  const parts = new Set(owned);
  const seeking = new Set<string>();
  const registry = {
    entries: () => [...parts].map((p) => [partitionId('in', p), { rewindOffset: p * 10 }] as const)[Symbol.iterator](),
    list: () => [...parts].map((partition) => ({ topic: 'in', partition, paused: false })),
    positions: { targetOf: (id: string) => (seeking.has(id) ? 0 : undefined) },
  };
  return {
    registry: registry as unknown as PartitionRegistry,
    seeking,
    assign: (p: number) => parts.add(p),
    revoke: (p: number) => {
      parts.delete(p);
      seeking.delete(partitionId('in', p));
    },
  };
}

function setup(owned: number[]) {
  const { registry, seeking, assign, revoke } = fakeRegistry(owned);
  const calls: string[] = [];
  const restored: TopicPartition[][] = [];
  const repositioned: Array<Map<string, number>> = [];
  const hooks = abortHooks({
    registry,
    sink: { failOutstanding: () => calls.push('failOutstanding') } as unknown as Sink,
    repositioner: {
      reposition: (targets: Map<string, number>) => {
        repositioned.push(new Map(targets));
        for (const id of targets.keys()) seeking.add(id);
      },
      seekNow: async () => {
        calls.push('seekNow');
        return [];
      },
    } as unknown as Repositioner,
    restoreState: async (tps) => {
      calls.push('restoreState');
      restored.push([...tps]);
    },
  });
  return { hooks, assign, revoke, calls, restored, repositioned };
}

describe('exactly-once abort hooks', () => {
  it('re-positions every owned partition to its rewind offset, then restores exactly those and seeks', async () => {
    const t = setup([0, 2]);
    t.hooks.invalidate();
    expect(t.repositioned).toEqual([
      new Map([
        [partitionId('in', 0), 0],
        [partitionId('in', 2), 20],
      ]),
    ]);
    await t.hooks.rewind();
    expect(t.calls).toEqual(['failOutstanding', 'restoreState', 'seekNow']);
    expect(t.restored).toEqual([
      [
        { topic: 'in', partition: 0, paused: false },
        { topic: 'in', partition: 2, paused: false },
      ],
    ]);
  });

  it('does not restore a partition assigned between the abort and its rewind (its records go on; a restore would undo their changes)', async () => {
    const t = setup([2]);
    t.hooks.invalidate();
    t.assign(1);
    await t.hooks.rewind();
    expect(t.restored.map((tps) => tps.map((tp) => tp.partition))).toEqual([[2]]);
  });

  it('skips a partition revoked (or revoked and assigned again) before the rewind; a retried rewind restores the same partitions', async () => {
    const t = setup([0, 1, 2, 4]);
    t.hooks.invalidate();
    t.revoke(0);
    t.assign(3);
    t.revoke(4);
    t.assign(4);
    await t.hooks.rewind();
    await t.hooks.rewind();
    expect(t.restored.map((tps) => tps.map((tp) => tp.partition))).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });
});
