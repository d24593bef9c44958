/**
 * Results of an older assignment epoch are never produced or committed: instance A holds
 * batches of a partition that is revoked while they run; its drain deadline passes, the
 * partition moves to B, which processes it from the last commit. When A's held batches finally
 * complete, their results are dropped, so the output has no duplicates and nothing is lost.
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
} from '../../helpers/kafka';

jest.setTimeout(120_000);

test('a revoked partition whose work outlives the drain deadline: stale results dropped', async () => {
  const { input, output, drop } = await freshTopics('epoch', 2);
  const group = randomName('g');
  const count = 400;
  await produceRecords(input, count, { partitions: 2 });
  const gate = join(tmpdir(), `${input}.gate`);
  rmSync(gate, { force: true });

  const a = makeEngine(
    { input, output, group, worker: join(FIXTURES, 'gated.js'), batchMaxRecords: 20, rebalanceDrainTimeoutMs: 500 },
    { GATE_FILE: gate },
  );
  const revoked: number[] = [];
  a.on('revoked', (tps: Array<{ partition: number }>) => revoked.push(...tps.map((t) => t.partition)));
  await a.start();
  await waitFor('A holding every record', () => a.snapshot().consumed === count);

  const b = makeEngine({ input, output, group, batchMaxRecords: 20 }, { SPIN_US: '0' });
  await b.start();
  await waitFor('A releasing a partition after its drain deadline', () => revoked.length > 0);
  await waitFor('B processing the moved partition', () => b.snapshot().produced >= count / 2, 60_000);

  // Now A's held batches complete, including those of the partition it no longer owns.
  writeFileSync(gate, 'open');
  await waitFor('A finishing its own partition', () => a.snapshot().inFlightRecords === 0, 60_000);
  await sleep(500);
  await b.close();
  await a.close();
  rmSync(gate, { force: true });

  expect(a.snapshot().produced).toBe(count / 2);
  const report = await verifyTopics(input, output);
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
