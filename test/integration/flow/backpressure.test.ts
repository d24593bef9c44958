/**
 * Backpressure: while workers are held, records in flight never exceed maxInFlightRecords;
 * the engine stops taking records at once, pauses its partitions when that lasts (1 s), and
 * resumes them once the held work completes.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  sleep,
  verifyTopics,
  waitFor,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(120_000);

test('held workers: in-flight stays within the bound, partitions pause then resume', async () => {
  const { input, output, drop } = await freshTopics('bp', 3);
  const count = 6_000;
  const bound = 500;
  await produceRecords(input, count);
  const gate = join(tmpdir(), `${input}.gate`);
  rmSync(gate, { force: true });
  const engine = makeEngine(
    {
      input,
      output,
      group: randomName('g'),
      worker: join(FIXTURES, 'gated.js'),
      maxInFlightRecords: bound,
      batchMaxRecords: 50,
    },
    { GATE_FILE: gate },
  );
  const events: string[] = [];
  engine.on('paused', () => events.push('paused'));
  engine.on('resumed', () => events.push('resumed'));
  await engine.start();

  await waitFor('pause', () => events.includes('paused'));
  // Held long enough for an unbounded consumer to have read everything.
  await sleep(2000);
  const held = engine.snapshot();
  expect(held.inFlightRecords).toBeLessThanOrEqual(bound);
  expect(held.consumed).toBeLessThanOrEqual(bound);
  expect(held.pausedPartitions).toBe(3);

  writeFileSync(gate, 'open');
  await waitProcessed(engine, count);
  await engine.close();
  rmSync(gate, { force: true });
  const done = engine.snapshot();
  expect(done.peakInFlightRecords).toBeLessThanOrEqual(bound);
  expect(events).toContain('resumed');
  // The held period paused once; once work flows, a briefly full engine stops taking records
  // without pausing (a pause makes librdkafka drop and refetch its prefetched messages).
  expect(done.pauses).toBeGreaterThanOrEqual(1);
  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ inputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
