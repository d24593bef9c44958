/**
 * Exactly-once: an engine whose transactions cannot commit (its outputs are larger than the
 * output topic accepts; see test/helpers/uncommittable.ts) still ends on SIGTERM within its
 * shutdown deadline: exit 1, with a log line naming what could not complete. Before, a
 * revocation left pending in librdkafka's consumer close kept the process alive for good.
 */
import { waitFor } from '../../helpers/kafka';
import { startUncommittableEngine } from '../../helpers/uncommittable';

jest.setTimeout(120_000);

const SHUTDOWN_TIMEOUT_MS = 10_000;

test('SIGTERM ends an engine that cannot commit within the deadline, exit 1, naming the last transaction', async () => {
  const stuck = await startUncommittableEngine(['--shutdown-timeout-ms', String(SHUTDOWN_TIMEOUT_MS)]);
  try {
    stuck.engine.child.kill('SIGTERM');
    // Generous bound: the deadline plus the time a loaded machine takes to stop a Node process.
    await waitFor('the engine to exit', () => stuck.ended() !== undefined, SHUTDOWN_TIMEOUT_MS + 20_000);
    expect(stuck.ended()).toEqual({ code: 1, signal: null });
    expect(stuck.engine.log()).toContain('shutdown incomplete; not completed:');
    expect(stuck.engine.log()).toContain('commit of the last transaction');
  } finally {
    await stuck.cleanUp();
  }
});
