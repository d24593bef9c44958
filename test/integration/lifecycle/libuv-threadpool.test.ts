/**
 * An engine process sizes libuv's thread pool from its worker pool (two per worker thread plus
 * two, config/threadpool.ts) before anything uses it, unless UV_THREADPOOL_SIZE was set: Node's
 * 4 threads, shared by every worker thread, capped image conversions at 4 at once whatever the
 * pool size. Checked by what libuv really started: two engines alike but for the variable, and
 * the difference in their thread counts once both are running.
 */
import { readdirSync } from 'node:fs';
import { type CliEngine, startCli } from '../../helpers/cli';
import { freshTopics, randomName, sleep, waitFor } from '../../helpers/kafka';

jest.setTimeout(90_000);

const startedLine = (engine: CliEngine) =>
  engine
    .log()
    .split('\n')
    .find((line) => line.includes('"engine started"'));

async function started(engine: CliEngine): Promise<{ libuvThreads: number; threads: number }> {
  await waitFor('the engine to start', () => startedLine(engine) !== undefined).catch((error: Error) => {
    throw new Error(`${error.message}; its log:\n${engine.log()}`);
  });
  // A moment for the threads started with the engine (pool, librdkafka's) to settle.
  await sleep(1_000);
  const threads = readdirSync(`/proc/${engine.child.pid}/task`).length;
  return { libuvThreads: (JSON.parse(startedLine(engine)!) as { libuvThreads: number }).libuvThreads, threads };
}

test('libuv thread pool: 2 per worker thread + 2 by default, the operator’s UV_THREADPOOL_SIZE kept', async () => {
  const { input, output, drop } = await freshTopics('uvpool', 2);
  const sized = startCli({ input, output, group: randomName('g') }, ['--pool-size', '3']);
  const chosen = startCli({ input, output, group: randomName('g'), env: { UV_THREADPOOL_SIZE: '4' } }, [
    '--pool-size',
    '3',
  ]);
  try {
    const [a, b] = await Promise.all([started(sized), started(chosen)]);
    expect(a.libuvThreads).toBe(8);
    expect(b.libuvThreads).toBe(4);
    // libuv starts its whole pool at first use: 8 threads against 4, all else alike.
    expect(a.threads - b.threads).toBe(4);
  } finally {
    for (const engine of [sized, chosen]) engine.child.kill('SIGTERM');
    await Promise.all([sized.exited, chosen.exited]);
    await drop();
  }
});
