/**
 * One input topic holds Avro records written with two versions of a schema (v1, then v2 with a
 * promoted field and a new one); the engine decodes each record with its own writer schema from
 * the registry, resolved to the reader schema given as inputSchema: v1 records get the reader's
 * defaults, v2 records keep what they carry, and the field the reader dropped is gone.
 */
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';
import {
  avroType,
  framed,
  REGISTRY_URL,
  registerSchema,
  requireRegistry,
  schemaPath,
  schemaText,
} from '../../helpers/registry';

jest.setTimeout(90_000);

interface Reading {
  id: number;
  celsius: number;
  site: string;
  note: string | null;
  sensor?: string;
}

test('records of schema v1 and v2 in one topic are read with the reader schema', async () => {
  await requireRegistry();
  const { input, output, drop } = await freshTopics('reg-versions', 2);
  const subject = `${input}-value`;
  const v1 = await registerSchema(subject, schemaText('reading-v1.avsc'));
  const v2 = await registerSchema(subject, schemaText('reading-v2.avsc'));
  expect(v2).not.toBe(v1);
  const v1Type = avroType('reading-v1.avsc');
  const v2Type = avroType('reading-v2.avsc');
  const count = 400;
  // Versions interleave inside batches: every third record is v1.
  await produceRecords(input, count, {
    partitions: 2,
    value: (i) =>
      i % 3 === 0
        ? framed(v1, v1Type, { id: i, sensor: `s-${i}`, celsius: 20.5 })
        : framed(v2, v2Type, { id: i, sensor: `s-${i}`, celsius: 21.25, site: `site-${i % 5}` }),
  });

  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: `${FIXTURES}/poison.js`,
    inputFormat: 'avro',
    inputSchema: schemaPath('reading-reader.avsc'),
    schemaRegistry: REGISTRY_URL,
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  const outputs = (await readTopic(output)).map((r) => JSON.parse(r.value!.toString()) as Reading);
  expect(outputs).toHaveLength(count);
  const byId = new Map(outputs.map((r) => [r.id, r]));
  for (let i = 0; i < count; i++) {
    const r = byId.get(i)!;
    expect(r.sensor).toBeUndefined();
    expect(r.note).toBeNull();
    if (i % 3 === 0) expect(r).toMatchObject({ celsius: 20.5, site: 'unknown' });
    else expect(r).toMatchObject({ celsius: 21.25, site: `site-${i % 5}` });
  }
  expect(await readTopic(`${input}.dlq`, 5_000).catch(() => [])).toHaveLength(0);
  await drop();
});
