/**
 * A record whose Confluent header names a schema id the registry does not know (404, error code
 * 40403) is dead-lettered as SCHEMA_ID_UNKNOWN at once, without retries, while the records
 * around it (registered ids) are processed.
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
  schemaById,
  schemaText,
} from '../../helpers/registry';

jest.setTimeout(90_000);

const UNKNOWN_ID = 2_000_000_000;

test('an unknown schema id is dead-lettered with SCHEMA_ID_UNKNOWN', async () => {
  await requireRegistry();
  expect((await schemaById(UNKNOWN_ID)).errorCode).toBe(40403);
  const { input, output, drop } = await freshTopics('reg-unknown', 1);
  const id = await registerSchema(`${input}-value`, schemaText('reading-v2.avsc'));
  const type = avroType('reading-v2.avsc');
  const count = 50;
  await produceRecords(input, count, {
    partitions: 1,
    value: (i) => framed(i === 10 ? UNKNOWN_ID : id, type, { id: i, sensor: 's', celsius: 1, site: 'a' }),
  });
  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: `${FIXTURES}/poison.js`,
    inputFormat: 'avro',
    schemaRegistry: REGISTRY_URL,
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  const outputs = await readTopic(output);
  expect(outputs).toHaveLength(count - 1);
  const dead = await readTopic(`${input}.dlq`);
  expect(dead).toHaveLength(1);
  expect(dead[0]!.headers['turbine.error.code']).toBe('SCHEMA_ID_UNKNOWN');
  expect(dead[0]!.headers['turbine.error.message']).toContain(String(UNKNOWN_ID));
  expect(dead[0]!.headers['turbine.source.offset']).toBe('10');
  await drop();
});
