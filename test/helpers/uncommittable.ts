/**
 * An exactly-once `turbine run` whose transactions cannot commit: every output is larger than
 * the output topic's max.message.bytes, so the first transaction aborts, and the next commit
 * keeps failing with CONCURRENT_TRANSACTIONS (the broker seems unable to write the abort marker
 * there either). Resolves once the engine is stuck: a transaction aborted and the in-flight
 * bound is reached.
 */
import { type CliEngine, startCli } from './cli';
import { createTopics, dropTopics, produceRecords, randomName, waitFor } from './kafka';

export interface StuckEngine {
  engine: CliEngine;
  /** How the process ended, once its output streams closed ('close', not 'exit': the last log lines may still be in the pipe at 'exit'). */
  ended(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Kills the process if it still runs, and drops the topics. */
  cleanUp(): Promise<void>;
}

export async function startUncommittableEngine(extraFlags: string[] = []): Promise<StuckEngine> {
  const input = randomName('eos-stuck-in');
  const output = randomName('eos-stuck-out');
  await createTopics([
    { name: input, partitions: 4 },
    { name: output, partitions: 4, config: { 'max.message.bytes': '10' } },
  ]);
  await produceRecords(input, 20_000);
  const engine = startCli({ input, output, group: randomName('g'), env: { SPIN_US: '200' } }, [
    '--guarantee',
    'exactly-once',
    ...extraFlags,
  ]);
  let end: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  engine.child.once('close', (code, signal) => {
    end = { code, signal };
  });
  const stuck: StuckEngine = {
    engine,
    ended: () => end,
    cleanUp: async () => {
      if (end === undefined) engine.child.kill('SIGKILL');
      await dropTopics([input, output, `${input}.dlq`]);
    },
  };
  try {
    await waitFor('a transaction to abort', () => engine.log().includes('transaction must abort'), 60_000);
    // Stuck: the in-flight bound is reached and nothing in flight can complete.
    await waitFor('the in-flight bound', () => engine.log().includes('paused (in-flight bound reached)'), 60_000);
  } catch (error) {
    await stuck.cleanUp();
    throw error;
  }
  return stuck;
}
