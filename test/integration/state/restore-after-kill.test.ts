/**
 * Keyed state survives a crash: an instance is killed (kill -9) mid-stream, a new one restores
 * the partitions' state from the changelog (read_committed: only changes whose transaction
 * committed) and goes on. For a read_committed reader every stock level is exactly the fold of
 * its movements: nothing applied twice, nothing lost, even though the killed instance's last
 * transaction held state changes too.
 */
import { join } from 'node:path';
import { startCli, waitProduced } from '../../helpers/cli';
import { expectedLevels, levelMismatches, movements, outputLevels, produceMovements } from '../../helpers/inventory';
import { freshTopics, ROOT, randomName, readTopic } from '../../helpers/kafka';

jest.setTimeout(240_000);

const flags = [
  '--worker',
  join(ROOT, 'dist', 'workers', 'inventory.js'),
  '--guarantee',
  'exactly-once',
  '--state-store',
  'levels',
  '--transaction-interval-ms',
  '100',
  '--batch-max-records',
  '50',
  '--kafka',
  'transaction.timeout.ms=10000',
];

test('kill -9 mid-stream, restart: levels restored from the changelog, each movement applied once', async () => {
  const { input, output, drop } = await freshTopics('state-kill', 4);
  const group = randomName('g');
  const list = movements(8000, 40, 11);
  await produceMovements(input, list);

  // A slow worker environment is not needed: kill as soon as some outputs are acknowledged.
  const first = startCli({ input, output, group }, flags);
  expect(await waitProduced(first.port, 1500)).toBeGreaterThanOrEqual(1500);
  first.child.kill('SIGKILL');
  await first.exited;

  const second = startCli({ input, output, group }, flags);
  const expected = expectedLevels(list);
  const deadline = Date.now() + 150_000;
  let mismatches: string[] = ['not read yet'];
  while (mismatches.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    mismatches = levelMismatches(expected, outputLevels(await readTopic(output, 30_000, 'read_committed')));
  }
  const log = second.log();
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(mismatches).toEqual([]);
  expect(log).toContain('keyed state restored from the changelog');
  await drop();
});
