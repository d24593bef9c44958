/**
 * Keyed state keeps the parallelism inside a partition: batches of one partition whose keys are
 * disjoint run side by side on different threads, while a batch sharing a key with an in-flight
 * batch waits for it. A slow counting worker shows both: per key its outputs count 1, 2, 3...
 * with no gap or repeat (overlapping batches never ran together), and batches of the
 * spread-out first half overlapped in time.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

const SPREAD = 600;
const HOT = 600;

test('disjoint batches of a partition run side by side; overlapping ones wait', async () => {
  const { input, output, drop } = await freshTopics('state-overlap', 1);
  const group = randomName('g');
  // First half: 300 keys in turn, so neighbouring batches share no key. Second half: 3 hot keys.
  await produceRecords(input, SPREAD, { keys: 300 });
  await produceRecords(input, HOT, { keys: 3, startIndex: SPREAD });
  const batchLog = join(mkdtempSync(join(tmpdir(), 'turbine-overlap-')), 'batches.log');
  const engine = makeEngine(
    {
      input,
      output,
      group,
      worker: join(FIXTURES, 'slow-counter.js'),
      guarantee: 'exactly-once',
      stateStore: 'counts',
      batchMaxRecords: 20,
      batchTargetMs: 0,
      poolSize: 2,
    },
    { SLOW_MS: '2', BATCH_LOG: batchLog },
  );
  await engine.start();
  await waitProcessed(engine, SPREAD + HOT);
  const delayed = (await engine.metrics.stateBatchesDelayed.get()).values[0]?.value ?? 0;
  await engine.close();

  // Per key, in input order: counts 1..n, each once.
  const outputs = await readTopic(output, 30_000, 'read_committed');
  expect(outputs).toHaveLength(SPREAD + HOT);
  const byKey = new Map<string, Array<{ count: number; offset: number }>>();
  for (const o of outputs) {
    const v = JSON.parse(o.value!.toString()) as { key: string; count: number; offset: number };
    byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);
  }
  for (const [key, list] of byKey) {
    const counts = list.sort((a, b) => a.offset - b.offset).map((v) => v.count);
    expect({ key, counts }).toEqual({ key, counts: counts.map((_, i) => i + 1) });
  }
  // The hot keys made batches wait for one another.
  expect(delayed).toBeGreaterThan(0);
  // Batches of the spread half (disjoint keys) ran at the same time on the two threads.
  const batches = readFileSync(batchLog, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' ').map(Number) as [number, number, number, number]);
  const spread = batches.filter(([, last]) => last < SPREAD);
  const overlapping = spread.filter(([first, , start, end]) =>
    spread.some(([f, , s, e]) => f !== first && s < end && start < e),
  );
  console.log(
    `batches: ${batches.length}, delayed by a shared key: ${delayed}, spread batches run side by side: ${overlapping.length} of ${spread.length}`,
  );
  expect(overlapping.length).toBeGreaterThan(0);
  await drop();
});
