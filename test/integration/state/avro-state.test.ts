/**
 * A store with an Avro state schema: the changelog holds each SKU's levels as Avro binary (a
 * plain reader decodes them with the schema file), a restarted instance restores them from it and
 * folds on, so every level a read_committed reader sees is exact; and `turbine query` with the
 * same schema answers a key's committed value, and `turbine verify --state-store` checks them all.
 */
import { join } from 'node:path';
import { loadAvroType } from '../../../src/serde/serde';
import { runTurbine } from '../../helpers/cli';
import {
  expectedLevels,
  levelMismatches,
  movements,
  outputLevels,
  produceMovements,
  START_LEVEL,
  STATEFUL_INVENTORY,
} from '../../helpers/inventory';
import { freshTopics, makeEngine, ROOT, randomName, readTopic, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(180_000);

const SCHEMA = join(ROOT, 'workers', 'schemas', 'sku-levels.avsc');

test('Avro state values: changelog in Avro, restored after a restart, levels exact', async () => {
  const { input, output, drop } = await freshTopics('state-avro', 3);
  const group = randomName('g');
  const list = movements(4000, 30, 5);
  const half = list.length / 2;
  const flags = { input, output, group, ...STATEFUL_INVENTORY, stateSchema: SCHEMA, batchMaxRecords: 25 };

  await produceMovements(input, list.slice(0, half));
  const first = makeEngine(flags);
  await first.start();
  await waitProcessed(first, half);
  await first.close();

  // The changelog holds Avro binary, not JSON text: the schema decodes every value.
  const type = loadAvroType(SCHEMA);
  const changelog = await readTopic(`${group}-levels-changelog`, 30_000, 'read_committed');
  expect(changelog.length).toBeGreaterThan(0);
  for (const record of changelog) {
    expect(record.value![0]).not.toBe('{'.charCodeAt(0));
    const levels = type.fromBuffer(record.value!) as Record<string, number>;
    expect(Object.keys(levels).every((wh) => /^WH-\d$/.test(wh))).toBe(true);
  }

  // A new instance restores the Avro state and folds the second half on top of it.
  await produceMovements(input, list.slice(half));
  const second = makeEngine(flags);
  await second.start();
  await waitProcessed(second, list.length - half);
  const restored = (await second.metrics.stateRestoredRecords.get()).values[0]?.value ?? 0;
  await second.close();
  expect(restored).toBeGreaterThan(0);
  const expected = expectedLevels(list);
  expect(levelMismatches(expected, outputLevels(await readTopic(output, 30_000, 'read_committed')))).toEqual([]);

  // turbine query decodes with the same schema.
  const sku = list[list.length - 1]!.sku;
  const queried = runTurbine('query', ['--group', group, '--store', 'levels', '--key', sku, '--state-schema', SCHEMA]);
  expect(queried.status).toBe(0);
  const line = queried.stdout;
  const answer = JSON.parse(line) as { found: boolean; value: Record<string, number> };
  expect(answer.found).toBe(true);
  for (const wh of ['WH-1', 'WH-2']) {
    const seq = expected.get(`${sku}/${wh}`);
    expect(answer.value[wh]).toBe(seq ? seq[seq.length - 1] : undefined);
  }
  expect(Object.values(answer.value).some((level) => level !== START_LEVEL)).toBe(true);

  // turbine verify --state-store reads the Avro changelog with the same schema: all levels match.
  const verified = runTurbine('verify', [
    ...['--input', input, '--output', output, '--state-store', 'levels', '--group', group],
    ...['--state-schema', SCHEMA, '--quiet'],
  ]);
  expect(verified.status).toBe(0);
  const report = verified.stdout;
  const state = (JSON.parse(report) as { state: { outputMismatches: number; stateMismatches: number; keys: number } })
    .state;
  expect(state).toMatchObject({ outputMismatches: 0, stateMismatches: 0, keys: 30 });
  await drop();
});
