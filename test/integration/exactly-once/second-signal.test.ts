/**
 * Exactly-once: a second SIGTERM during a drain that cannot finish (the transactions cannot
 * commit) ends the process at once, by that signal. process.exit() could not: Node waits for its
 * libuv threads on exit, and librdkafka may hold one.
 */
import { waitFor } from '../../helpers/kafka';
import { startUncommittableEngine } from '../../helpers/uncommittable';

jest.setTimeout(120_000);

test('a second SIGTERM ends a draining exactly-once engine at once', async () => {
  const stuck = await startUncommittableEngine();
  try {
    stuck.engine.child.kill('SIGTERM');
    await waitFor('the drain to start', () => stuck.engine.log().includes('"msg":"draining"'), 10_000);
    stuck.engine.child.kill('SIGTERM');
    // The drain alone would take its 30 s deadline; the bound leaves room for a loaded machine.
    await waitFor('the engine to exit', () => stuck.ended() !== undefined, 15_000);
    expect(stuck.ended()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(stuck.engine.log()).toContain('second signal: exiting without drain');
    expect(stuck.engine.log()).not.toContain('engine closed');
  } finally {
    await stuck.cleanUp();
  }
});
