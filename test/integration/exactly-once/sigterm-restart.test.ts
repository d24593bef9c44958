/**
 * Exactly-once: SIGTERM mid-stream drains in-flight work and commits the last transaction before
 * exiting 0, so read_committed readers are not left waiting at an open transaction; a restarted
 * engine continues from the committed offsets with nothing lost or duplicated.
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, verifyTopics } from '../../helpers/kafka';

jest.setTimeout(180_000);

// transaction.timeout.ms stays at librdkafka's 60 s: a transaction left open by the drain would
// block the read_committed reads below (20 s budget) instead of being aborted quickly.
const engineFlags = ['--guarantee', 'exactly-once', '--batch-max-records', '100', '--max-in-flight-records', '1000'];
const READ_TIMEOUT_MS = 20_000;

test('SIGTERM commits the last transaction and exits 0; a restart finishes with no loss or duplicate', async () => {
  const { input, output, drop } = await freshTopics('eos-term', 4);
  const group = randomName('g');
  const count = 10_000;
  await produceRecords(input, count);

  const first = startCli({ input, output, group, env: { SPIN_US: '500' } }, engineFlags);
  expect(await waitProduced(first.port, 500)).toBeGreaterThanOrEqual(500);
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  expect(first.log()).toContain('"drained":true');
  expect(first.log()).not.toContain('last transaction not committed');

  const partial = await verifyTopics(input, output, 'partition', 'read_committed', READ_TIMEOUT_MS);
  expect(partial.outputs).toBeGreaterThan(0);
  expect(partial.lost).toBeGreaterThan(0);
  expect(partial.duplicates).toBe(0);

  const second = startCli({ input, output, group, env: { SPIN_US: '500' } }, engineFlags);
  const deadline = Date.now() + 90_000;
  let report = await verifyTopics(input, output, 'partition', 'read_committed', READ_TIMEOUT_MS);
  while (report.lost > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    report = await verifyTopics(input, output, 'partition', 'read_committed', READ_TIMEOUT_MS);
  }
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(report).toMatchObject({ inputs: count, outputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
