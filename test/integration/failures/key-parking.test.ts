/**
 * Key mode parks only the key of a record whose retries are running: while it waits for its next
 * attempt, later records of other keys of the same partition are produced, its own key's later
 * records wait behind it (per-key order holds), the committed offset never passes it, and once
 * it succeeds nothing is lost.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  committedOffsets,
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  verifyTopics,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(180_000);

test('a failing record parks its key only; other keys flow and the commit point waits for it', async () => {
  const { input, output, drop } = await freshTopics('park', 1);
  const group = randomName('g');
  const count = 400;
  const keys = 6;
  const failIndex = 60;
  const failTimes = 4;
  await produceRecords(input, count, { keys });
  const countFile = join(mkdtempSync(join(tmpdir(), 'park-')), 'attempts');
  const engine = makeEngine(
    {
      input,
      output,
      group,
      worker: join(FIXTURES, 'fail-times.js'),
      ordering: 'key',
      keyLanes: 4,
      batchMaxRecords: 20,
      // Four failures with these delays keep the key parked for seconds.
      retryMaxAttempts: 8,
      retryInitialMs: 400,
      retryMaxMs: 2000,
      commitIntervalMs: 100,
    },
    { FAIL_INDEX: String(failIndex), FAIL_TIMES: String(failTimes), FAIL_COUNT_FILE: countFile },
  );
  let parkedOffset = -1;
  let unparked = false;
  engine.on('parked', (p: { offset: number }) => {
    if (parkedOffset < 0) parkedOffset = p.offset;
  });
  engine.on('unparked', () => {
    unparked = true;
  });
  await engine.start();

  // While parked: read the group's committed offset from the broker, again and again.
  const committedWhileParked: number[] = [];
  while (parkedOffset < 0) await new Promise((r) => setTimeout(r, 20));
  while (!unparked) {
    const [committed] = await committedOffsets(group, input, 1);
    if (!unparked) committedWhileParked.push(committed!);
  }
  await waitProcessed(engine, count);
  await engine.close();

  // The record failed failTimes attempts and succeeded on the next.
  expect(readFileSync(countFile, 'utf8')).toHaveLength(failTimes + 1);
  expect(committedWhileParked.length).toBeGreaterThan(0);
  for (const c of committedWhileParked) expect(c).toBeLessThanOrEqual(parkedOffset);

  const outputs = await readTopic(output);
  const parkedKey = `key-${failIndex % keys}`;
  const parkedOutput = outputs.find((o) => Number(o.headers['turbine.source.offset']) === parkedOffset)!;
  expect(parkedOutput.key).toBe(parkedKey);
  // Outputs of other keys from after the parked record were produced before it...
  const overtaking = outputs.filter(
    (o) =>
      o.key !== parkedKey &&
      Number(o.headers['turbine.source.offset']) > parkedOffset &&
      o.offset < parkedOutput.offset,
  );
  expect(overtaking.length).toBeGreaterThan(0);
  // ...while none of its own key's later records overtook it.
  const ownLater = outputs.filter(
    (o) => o.key === parkedKey && Number(o.headers['turbine.source.offset']) > parkedOffset,
  );
  expect(ownLater.length).toBeGreaterThan(0);
  for (const o of ownLater) expect(o.offset).toBeGreaterThan(parkedOutput.offset);

  const report = await verifyTopics(input, output, 'key');
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  const [finalCommit] = await committedOffsets(group, input, 1);
  expect(finalCommit).toBe(count);
  await drop();
});
