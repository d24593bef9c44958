import { runTurbine } from '../../helpers/cli';
import { expectedLevels, movements, produceMovements, STATEFUL_INVENTORY } from '../../helpers/inventory';
import { freshTopics, makeEngine, randomName, waitProcessed } from '../../helpers/kafka';

jest.setTimeout(120_000);

function query(group: string, key: string) {
  const r = runTurbine('query', ['--group', group, '--store', 'levels', '--key', key]);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim()) as { found: boolean; value?: Record<string, number>; partition: number };
}

test('turbine query reads committed levels from the changelog after the engine stopped', async () => {
  const { input, output, drop } = await freshTopics('state-query', 3);
  const group = randomName('g');
  const list = movements(1500, 10, 3);
  await produceMovements(input, list);
  const engine = makeEngine({ input, output, group, ...STATEFUL_INVENTORY, batchMaxRecords: 30 });
  await engine.start();
  await waitProcessed(engine, list.length);
  await engine.close();

  const expected = expectedLevels(list);
  for (const sku of ['SKU-0', 'SKU-4', 'SKU-9']) {
    const answer = query(group, sku);
    expect(answer.found).toBe(true);
    for (const wh of ['WH-1', 'WH-2']) {
      const seq = expected.get(`${sku}/${wh}`);
      expect(answer.value?.[wh]).toBe(seq ? seq[seq.length - 1] : undefined);
    }
  }
  expect(query(group, 'no-such-sku')).toMatchObject({ found: false });
  await drop();
});
