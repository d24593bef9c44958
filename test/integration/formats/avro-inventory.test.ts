/**
 * Avro input in the Confluent wire format is decoded in the workers: stock movements from the
 * load generator (avro) run through the inventory sample worker and come out as JSON levels,
 * one per movement, with alerts on their own topic; a record without the wire-format header is
 * dead-lettered as DECODE_ERROR.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runLoadgen } from '../../../src/cli/loadgen';
import {
  createTopics,
  dropTopics,
  makeEngine,
  produceRecords,
  ROOT,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';

jest.setTimeout(90_000);

const quiet = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

test('avro stock movements → inventory levels; a non-avro record is dead-lettered', async () => {
  const input = randomName('avro-in');
  const output = randomName('avro-out');
  const alerts = randomName('avro-alerts');
  await createTopics([
    { name: input, partitions: 3 },
    { name: output, partitions: 3 },
    { name: alerts, partitions: 3 },
  ]);
  const count = 3_000;
  const load = await runLoadgen(
    { brokers: '127.0.0.1:9092', topic: input, count, format: 'avro', keys: 50, partitions: 3 },
    { stdout: quiet(), stderr: quiet() },
  );
  expect(load.acked).toBe(count);
  await produceRecords(input, 1, { value: () => Buffer.from('{"sku":"not avro"}') });
  const engine = makeEngine(
    {
      input,
      output,
      group: randomName('g'),
      worker: join(ROOT, 'dist', 'workers', 'inventory.js'),
      inputFormat: 'avro',
      inputSchema: join(ROOT, 'workers', 'schemas', 'stock-movement.avsc'),
    },
    { ALERT_TOPIC: alerts, INVENTORY_START: '30' },
  );
  await engine.start();
  await waitProcessed(engine, count + 1);
  await engine.close();

  const levels = await readTopic(output);
  expect(levels).toHaveLength(count);
  const level = JSON.parse(levels[0]!.value!.toString()) as { type: string; sku: string; level: number };
  expect(level.type).toBe('stock-level');
  expect(level.sku).toMatch(/^SKU-\d+$/);
  const alertRecords = await readTopic(alerts);
  expect(alertRecords.length).toBeGreaterThan(0);
  expect(alertRecords.every((a) => (JSON.parse(a.value!.toString()) as { type: string }).type === 'low-stock')).toBe(
    true,
  );
  const dead = await readTopic(`${input}.dlq`);
  expect(dead).toHaveLength(1);
  expect(dead[0]!.headers['turbine.error.code']).toBe('DECODE_ERROR');
  await dropTopics([input, output, alerts, `${input}.dlq`]);
});
