/**
 * With a schema registry, ids are real on both sides: `turbine loadgen --schema-registry`
 * registers its schema under <input>-value and writes that id; the engine decodes the records
 * with the writer schema it fetches (no inputSchema), registers outputSchema under
 * <output>-value at start, and every output's header carries an id that a plain HTTP GET to the
 * registry resolves to the output schema, which decodes the output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import avro from 'avsc';
import { runLoadgen } from '../../../src/cli/loadgen';
import { FIXTURES, freshTopics, makeEngine, ROOT, randomName, readTopic, waitProcessed } from '../../helpers/kafka';
import { REGISTRY_URL, requireRegistry, schemaById } from '../../helpers/registry';

jest.setTimeout(90_000);

const quiet = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

const STOCK_SCHEMA = join(ROOT, 'workers', 'schemas', 'stock-movement.avsc');

test('loadgen and engine write registry ids that resolve to their schemas', async () => {
  await requireRegistry();
  const { input, output, drop } = await freshTopics('reg-ids', 2);
  const count = 1_000;
  const load = await runLoadgen(
    { brokers: '127.0.0.1:9092', topic: input, count, format: 'avro', keys: 20, schemaRegistry: REGISTRY_URL },
    { stdout: quiet(), stderr: quiet() },
  );
  expect(load.acked).toBe(count);
  const inputs = await readTopic(input);
  const inputIds = new Set(inputs.map((r) => r.value!.readUInt32BE(1)));
  expect(inputIds.size).toBe(1);
  const [inputId] = [...inputIds];
  expect((await schemaById(inputId!)).status).toBe(200);

  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: `${FIXTURES}/poison.js`,
    inputFormat: 'avro',
    outputFormat: 'avro',
    outputSchema: STOCK_SCHEMA,
    schemaRegistry: REGISTRY_URL,
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();

  const outputs = await readTopic(output);
  expect(outputs).toHaveLength(count);
  const ids = new Set(outputs.map((r) => r.value!.readUInt32BE(1)));
  expect(ids.size).toBe(1);
  const [outputId] = [...ids];
  const fetched = await schemaById(outputId!);
  expect(fetched.status).toBe(200);
  const type = avro.Type.forSchema(JSON.parse(fetched.schema!) as avro.Schema);
  // The registered output schema is the file's, and it decodes every output to its input.
  expect(type.equals(avro.Type.forSchema(JSON.parse(readFileSync(STOCK_SCHEMA, 'utf8')) as avro.Schema))).toBe(true);
  const seqs = outputs.map((r) => (type.fromBuffer(r.value!.subarray(5)) as { seq: number }).seq).sort((a, b) => a - b);
  expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));

  // The subject the engine registered is <output>-value, and its latest version has that id.
  const latest = (await (await fetch(`${REGISTRY_URL}/subjects/${output}-value/versions/latest`)).json()) as {
    id: number;
  };
  expect(latest.id).toBe(outputId);
  await drop();
});
