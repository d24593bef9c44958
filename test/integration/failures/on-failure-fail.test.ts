/**
 * With --on-failure fail, a record that uses up its retries stops `turbine run`: it exits
 * non-zero with a log line naming the code, topic, partition and offset; the records before it
 * are produced, nothing goes to the dead-letter topic, and the committed offset of its
 * partition does not pass it (a restart reads it again).
 */
import { join } from 'node:path';
import { startCli } from '../../helpers/cli';
import { committedOffsets, FIXTURES, freshTopics, produceRecords, randomName, readTopic } from '../../helpers/kafka';

jest.setTimeout(120_000);

test('a record failing every retry stops the engine without committing it', async () => {
  const { input, output, drop } = await freshTopics('onfail', 1);
  const group = randomName('g');
  const count = 300;
  const poisonAt = 180;
  await produceRecords(input, count, {
    value: (i) => Buffer.from(JSON.stringify(i === poisonAt ? { i, poison: true } : { i })),
  });
  const inputs = await readTopic(input);
  const poisonOffset = inputs.find((r) => JSON.parse(r.value!.toString()).i === poisonAt)!.offset;

  const cli = startCli({ input, output, group }, [
    '--worker',
    join(FIXTURES, 'poison.js'),
    '--on-failure',
    'fail',
    '--retry-max-attempts',
    '2',
    '--retry-initial-ms',
    '10',
    '--batch-max-records',
    '20',
    '--commit-interval-ms',
    '100',
  ]);
  const code = await cli.exited;
  expect(code).not.toBe(0);
  const line = cli
    .log()
    .split('\n')
    .find((l) => l.includes('RECORD_FAILED'));
  expect(line).toBeDefined();
  expect(line).toContain('WORKER_FAILED');
  expect(line).toContain(`${input}/0@${poisonOffset}`);

  const [committed] = await committedOffsets(group, input, 1);
  expect(committed).toBeLessThanOrEqual(poisonOffset);
  const outputs = await readTopic(output);
  const produced = new Set(outputs.map((o) => Number(o.headers['turbine.source.offset'])));
  for (const r of inputs) if (r.offset < poisonOffset) expect(produced.has(r.offset)).toBe(true);
  expect(produced.has(poisonOffset)).toBe(false);
  expect(await readTopic(`${input}.dlq`)).toHaveLength(0);
  await drop();
});
