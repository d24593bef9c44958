/**
 * Keyed state: the inventory worker's stock levels carry over from batch to batch (small
 * batches, many per SKU), so every level it emits is the fold of that SKU/warehouse's movements
 * so far, and GET /state/<store>/<key> answers each SKU's current levels from its owner.
 */
import { randomPort } from '../../helpers/cli';
import {
  expectedLevels,
  levelMismatches,
  movements,
  outputLevels,
  produceMovements,
  START_LEVEL,
  STATEFUL_INVENTORY,
} from '../../helpers/inventory';
import { freshTopics, makeEngine, randomName, readTopic, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(180_000);

test('levels fold across batches, and the owner answers state queries', async () => {
  const { input, output, drop } = await freshTopics('state-levels', 3);
  const group = randomName('g');
  const list = movements(3000, 25);
  await produceMovements(input, list);
  const port = randomPort();
  const engine = makeEngine({
    input,
    output,
    group,
    ...STATEFUL_INVENTORY,
    batchMaxRecords: 20,
    metricsPort: port,
    metricsHost: '127.0.0.1',
  });
  await engine.start();
  await waitProcessed(engine, list.length);

  const expected = expectedLevels(list);
  // Each SKU's state holds its warehouses' final levels, answered by this instance (it owns all).
  for (let k = 0; k < 25; k++) {
    const res = await fetch(`http://127.0.0.1:${port}/state/levels/SKU-${k}`);
    const body = (await res.json()) as { key: string; value: Record<string, number>; sourceOffset: number };
    expect(res.status).toBe(200);
    expect(body.key).toBe(`SKU-${k}`);
    expect(body.sourceOffset).toBeGreaterThanOrEqual(0);
    for (const wh of ['WH-1', 'WH-2']) {
      const seq = expected.get(`SKU-${k}/${wh}`);
      expect(body.value[wh]).toBe(seq ? seq[seq.length - 1] : undefined);
    }
  }
  expect((await fetch(`http://127.0.0.1:${port}/state/levels/no-such-sku`)).status).toBe(404);
  expect((await fetch(`http://127.0.0.1:${port}/state/other/SKU-1`)).status).toBe(404);
  const delayed = (await engine.metrics.stateBatchesDelayed.get()).values[0]?.value ?? 0;
  console.log(`batches that waited for a key held by a running batch: ${delayed}`);
  expect(engine.snapshot().stateKeys).toBe(25);
  await engine.close();

  const outputs = await readTopic(output, 30_000, 'read_committed');
  const actual = outputLevels(outputs);
  expect(levelMismatches(expected, actual)).toEqual([]);
  // Not a per-batch total: levels move well away from the start value.
  expect([...actual.values()].some((seq) => Math.abs(seq[seq.length - 1]! - START_LEVEL) > 20)).toBe(true);
  // Every change went to the changelog, compacted, with the input's partition count.
  const changelog = await readTopic(`${group}-levels-changelog`, 30_000, 'read_committed');
  expect(changelog.length).toBeGreaterThan(0);
  await drop();
});
