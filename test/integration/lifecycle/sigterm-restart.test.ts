/**
 * SIGTERM mid-stream drains in-flight work, commits and exits 0; a restarted engine continues
 * from the committed offsets, so nothing is lost, nothing is duplicated and order holds.
 */
import { startCli, waitProduced } from '../../helpers/cli';
import { freshTopics, produceRecords, randomName, verifyTopics } from '../../helpers/kafka';

jest.setTimeout(180_000);

// 500 µs per record on 2 threads is about 2.5 s of work, and at most 1,000 records are in
// flight, so a SIGTERM after the first outputs lands mid-stream.
const engineFlags = ['--batch-max-records', '100', '--max-in-flight-records', '1000'];

test('SIGTERM drains and exits 0; a restart finishes with nothing lost or duplicated', async () => {
  const { input, output, drop } = await freshTopics('term', 4);
  const group = randomName('g');
  const count = 10_000;
  await produceRecords(input, count);

  const first = startCli({ input, output, group, env: { SPIN_US: '500' } }, engineFlags);
  expect(await waitProduced(first.port, 500)).toBeGreaterThanOrEqual(500);
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  expect(first.log()).toContain('"drained":true');

  const partial = await verifyTopics(input, output);
  expect(partial.outputs).toBeGreaterThan(0);
  expect(partial.lost).toBeGreaterThan(0);
  expect(partial.duplicates).toBe(0);

  const second = startCli({ input, output, group, env: { SPIN_US: '500' } }, engineFlags);
  const deadline = Date.now() + 90_000;
  let report = await verifyTopics(input, output);
  while (report.lost > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    report = await verifyTopics(input, output);
  }
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(report).toMatchObject({ inputs: count, lost: 0, duplicates: 0, orderViolations: 0 });
  await drop();
});
