/**
 * Keyed state across rebalances: a second instance joins mid-stream and leaves again. On each
 * revoke the open transaction (outputs, state changes, offsets) commits and the partition's state
 * is dropped; the new owner restores it from the changelog before processing. Every stock level a
 * read_committed reader sees is the fold of its movements.
 */

import { keyPartition } from '../../../src/state/murmur2';
import {
  expectedLevels,
  levelMismatches,
  movements,
  outputLevels,
  produceMovements,
  STATEFUL_INVENTORY,
} from '../../helpers/inventory';
import { freshTopics, makeEngine, randomName, readTopic, sleep, waitFor } from '../../helpers/kafka';

jest.setTimeout(180_000);

test('a second instance joins and leaves: state moves with its partitions, levels stay exact', async () => {
  const { input, output, drop } = await freshTopics('state-rb', 6);
  const group = randomName('g');
  const list = movements(9000, 60, 5);
  const third = list.length / 3;
  await produceMovements(input, list.slice(0, third));
  const flags = {
    input,
    output,
    group,
    ...STATEFUL_INVENTORY,
    transactionIntervalMs: 100,
    batchMaxRecords: 25,
  };
  const a = makeEngine(flags);
  await a.start();
  await waitFor('a consuming', () => a.snapshot().consumed > 300, 60_000);

  const b = makeEngine(flags);
  await b.start();
  await waitFor('b owning partitions', () => b.snapshot().assignedPartitions > 0, 60_000);
  await produceMovements(input, list.slice(third, 2 * third));
  await waitFor('b processing', () => b.snapshot().consumed > 100, 60_000);
  // A keeps only the state of the partitions it still owns: none of those it gave to B.
  const keysOwnedByA = () => {
    const owned = new Set(a.snapshot().partitions.map((p) => p.partition));
    return Array.from({ length: 60 }, (_, k) => keyPartition(Buffer.from(`SKU-${k}`), 6)).filter((p) => owned.has(p))
      .length;
  };
  await waitFor("a holding only its own partitions' state", () => a.snapshot().stateKeys <= keysOwnedByA(), 60_000);
  await b.close();
  await waitFor('a owning all partitions again', () => a.snapshot().assignedPartitions === 6, 60_000);
  await produceMovements(input, list.slice(2 * third));

  const expected = expectedLevels(list);
  const deadline = Date.now() + 90_000;
  let mismatches = ['not read yet'];
  while (mismatches.length > 0 && Date.now() < deadline) {
    await sleep(1000);
    mismatches = levelMismatches(expected, outputLevels(await readTopic(output, 30_000, 'read_committed')));
  }
  const restored = (await a.metrics.stateRestoredRecords.get()).values[0]?.value ?? 0;
  await a.close();
  expect(mismatches).toEqual([]);
  // A restored the partitions it got back from B, from what B had written.
  expect(restored).toBeGreaterThan(0);
  await drop();
});
