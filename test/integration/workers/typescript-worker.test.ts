/**
 * A worker module written in TypeScript loads directly (compiled on load in the worker thread)
 * and its outputs reach the output topic.
 */
import { join } from 'node:path';
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(60_000);

test('a .ts worker runs without a build step', async () => {
  const { input, output, drop } = await freshTopics('ts', 1);
  await produceRecords(input, 200, { keys: 10 });
  const engine = makeEngine({ input, output, group: randomName('g'), worker: join(FIXTURES, 'upper-worker.ts') });
  await engine.start();
  await waitProcessed(engine, 200);
  await engine.close();
  const outputs = await readTopic(output);
  expect(outputs).toHaveLength(200);
  const first = JSON.parse(outputs[0]!.value!.toString()) as { i: number; upper: string };
  expect(first).toEqual({ i: 0, key: 'key-0', upper: 'KEY-0' });
  await drop();
});
