/**
 * Review texts from the load generator (--format text) run through the text sample worker: each
 * output is exactly what the same analysis computes locally for its input (tokens, top terms,
 * sentiment, score), keyed like its input; the reviews the generator cut short on purpose
 * (--corrupt-rate) are dead-lettered as DECODE_ERROR; nothing else is missing.
 */
import { join } from 'node:path';
import { analyseReview, type Review } from '../../../workers/text';
import { freshTopics, makeEngine, ROOT, randomName, readTopic, waitProcessed } from '../../helpers/kafka';
import { generateQuietly } from '../../helpers/loadgen';

jest.setTimeout(120_000);

test('every review analysed as a local run of the same function does; corrupt ones dead-lettered', async () => {
  const { input, output, drop } = await freshTopics('text', 3);
  const count = 2_000;
  const load = await generateQuietly({ topic: input, count, format: 'text', keys: 40, seed: 11, corruptRate: 0.01 });
  expect(load.acked).toBe(count);
  expect(load.corrupt).toBeGreaterThan(0);
  expect(load.valueSize).toBeGreaterThan(100);

  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: join(ROOT, 'dist', 'workers', 'text.js'),
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  const inputs = await readTopic(input);
  const outputs = await readTopic(output);
  const dead = await readTopic(`${input}.dlq`);
  expect(inputs).toHaveLength(count);
  expect(dead).toHaveLength(load.corrupt);
  expect(dead.every((d) => d.headers['turbine.error.code'] === 'DECODE_ERROR')).toBe(true);
  expect(outputs).toHaveLength(count - load.corrupt);

  const byPosition = new Map(inputs.map((r) => [`${r.partition}:${r.offset}`, r]));
  const expected = new Map<string, unknown>();
  for (const record of inputs) {
    try {
      expected.set(
        `${record.partition}:${record.offset}`,
        analyseReview(JSON.parse(record.value!.toString()) as Review),
      );
    } catch {
      // A corrupt review: it must be among the dead letters, checked below.
    }
  }
  for (const out of outputs) {
    const position = `${out.headers['turbine.source.partition']}:${out.headers['turbine.source.offset']}`;
    expect(JSON.parse(out.value!.toString())).toEqual(expected.get(position));
    expect(out.key).toBe(byPosition.get(position)!.key);
  }
  for (const d of dead) {
    expect(expected.has(`${d.headers['turbine.source.partition']}:${d.headers['turbine.source.offset']}`)).toBe(false);
  }
  // Outputs and dead letters together cover every input once.
  const covered = new Set([
    ...outputs.map((o) => `${o.headers['turbine.source.partition']}:${o.headers['turbine.source.offset']}`),
    ...dead.map((d) => `${d.headers['turbine.source.partition']}:${d.headers['turbine.source.offset']}`),
  ]);
  expect(covered.size).toBe(count);
  const sentiments = new Set(outputs.map((o) => (JSON.parse(o.value!.toString()) as { sentiment: string }).sentiment));
  expect(sentiments).toEqual(new Set(['positive', 'negative', 'neutral']));
  await drop();
});
