/**
 * The inventory check after a stateful run: folds every stock movement of the input topic per
 * SKU/warehouse, then compares the fold with (1) the last stock level each SKU/warehouse got on
 * the output topic and (2) the level the state store holds for the SKU's record key. Both must
 * equal the start value plus the sum of its movements. The state side is injected: the demo asks
 * its running engine, `turbine verify --state-store` reads the store's changelog.
 */
import { TurbineError } from '../errors.js';
import { readToEnd } from '../kafka/read-to-end.js';
import { type InventoryCheck, InventoryFold, type StateLookup } from './inventory-fold.js';

export interface InventoryTopics {
  brokers: string;
  /** Passed-through librdkafka properties (TLS, SASL). */
  kafka?: Readonly<Record<string, string>>;
  clientId?: string;
  input: string;
  output: string;
  /** Input values that are not JSON (Avro through a schema registry): decoded to the movement object. */
  decodeInput?: (value: Buffer) => unknown;
}

/** Each topic is read within this long. */
const READ_TIMEOUT_MS = 120_000;

/** Reads both topics read_committed to their end (kafka/read-to-end.ts) and compares with `stateOf`. */
export async function checkInventory(t: InventoryTopics, start: number, stateOf: StateLookup): Promise<InventoryCheck> {
  const fold = new InventoryFold(start);
  const decode = t.decodeInput;
  await readTopic(t, t.input, (record) =>
    fold.addMovement(
      record.key,
      decode && record.value ? Buffer.from(JSON.stringify(decode(record.value)), 'utf8') : record.value,
    ),
  );
  await readTopic(t, t.output, (record) => fold.addOutput(record.value));
  return fold.compare(stateOf);
}

async function readTopic(t: InventoryTopics, topic: string, visit: Parameters<typeof readToEnd>[1]): Promise<void> {
  const unfinished = await readToEnd(
    {
      brokers: t.brokers,
      kafka: t.kafka,
      clientId: t.clientId ?? 'turbine-check',
      topic,
      deadlineMs: Date.now() + READ_TIMEOUT_MS,
    },
    visit,
  );
  // A partial read would show as mismatches that are not there: say what happened instead.
  if (unfinished.length > 0) {
    throw new TurbineError(
      'KAFKA_CONSUME_FAILED',
      `inventory check: ${topic} partitions ${unfinished.join(', ')} did not reach their end within ${READ_TIMEOUT_MS} ms`,
      { details: { topic, partitions: unfinished } },
    );
  }
}
