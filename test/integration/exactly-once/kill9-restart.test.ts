/**
 * Exactly-once: a crash (kill -9) mid-stream and a restart leave no duplicate and no gap for a
 * read_committed reader. Outputs and input offsets commit in one transaction, so the restarted
 * engine resumes exactly after the last committed transaction, and the crashed instance's open
 * transaction is aborted by the broker (transaction.timeout.ms, lowered here to keep the test short).
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, readTopic, verifyTopics } from '../../helpers/kafka';

jest.setTimeout(240_000);

const engineFlags = [
  '--guarantee',
  'exactly-once',
  '--transaction-interval-ms',
  '100',
  '--batch-max-records',
  '100',
  '--max-in-flight-records',
  '1000',
  '--kafka',
  'transaction.timeout.ms=10000',
];

test('kill -9 then restart in exactly-once mode: read_committed sees every output once, in order', async () => {
  const { input, output, drop } = await freshTopics('eos-kill', 4);
  const group = randomName('g');
  const count = 10_000;
  await produceRecords(input, count);

  const first = startCli({ input, output, group, env: { SPIN_US: '500' } }, engineFlags);
  expect(await waitProduced(first.port, 2000)).toBeGreaterThanOrEqual(2000);
  first.child.kill('SIGKILL');
  await first.exited;
  // Outputs of the open transaction were written to the log: an uncommitted reader sees them.
  const uncommitted = await readTopic(output, 30_000, 'read_uncommitted');
  expect(uncommitted.length).toBeGreaterThanOrEqual(2000);

  const second = startCli({ input, output, group, env: { SPIN_US: '500' } }, engineFlags);
  expect(await waitProduced(second.port, 1)).toBeGreaterThanOrEqual(1);
  const deadline = Date.now() + 120_000;
  let report = await verifyTopics(input, output, 'partition', 'read_committed', 60_000);
  while (report.lost > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    report = await verifyTopics(input, output, 'partition', 'read_committed', 60_000);
  }
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  // The replayed records did go to the log twice; the aborted copies are what read_committed hides.
  const raw = await readTopic(output, 30_000, 'read_uncommitted');
  expect(raw.length).toBeGreaterThanOrEqual(count);
  expect(second.log()).toContain('"guarantee":"exactly-once"');
  await drop();
});
