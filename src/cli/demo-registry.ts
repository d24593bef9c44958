/**
 * `turbine demo --schema-registry URL` (inventory): the load generator writes Avro stock
 * movements with the id its schema gets under `<input>-value`, the engine decodes them with the
 * writer schema it fetches by that id, and the inventory check reads the movements back through
 * the registry too: the schema it decodes with is the one a GET of the records' id returns.
 */
import avro from 'avsc';
import { TurbineError } from '../errors.js';
import { RegistryClient } from '../registry/registry-client.js';
import { readOutputSchema, registerSchema, valueSubject } from '../registry/registry-setup.js';
import { schemaIdOf } from '../registry/wire-format.js';
import type { DemoWorkload } from './demo-workloads.js';
import { defaultSchemaPath } from './loadgen-values.js';

/** The inventory workload with Avro movements through the registry; the reader schema is the bundled file. */
export function throughRegistry(workload: DemoWorkload, url: string): DemoWorkload {
  if (workload.name !== 'inventory')
    throw new TurbineError(
      'CONFIG_INVALID',
      `--schema-registry applies to --workload inventory only (got ${workload.name})`,
      {
        details: { flag: 'schema-registry' },
      },
    );
  return {
    ...workload,
    engine: { ...workload.engine, inputFormat: 'avro', inputSchema: defaultSchemaPath(), schemaRegistry: url },
    load: { ...workload.load, format: 'avro', schemaRegistry: url },
  };
}

/**
 * A decoder of the input topic's movements for the check: the id under `<input>-value` (looked
 * up, the schema being registered already), its schema fetched by a GET of that id, and every
 * record's header checked against it.
 */
export async function registryMovementDecoder(
  url: string,
  input: string,
): Promise<{ schemaId: number; decode: (value: Buffer) => unknown }> {
  const client = new RegistryClient({ url, timeoutMs: 10_000 });
  try {
    const subject = valueSubject(input);
    const schemaId = await registerSchema(
      client,
      subject,
      readOutputSchema(defaultSchemaPath()),
      'the stock movement schema',
    );
    const type = avro.Type.forSchema(JSON.parse((await client.schemaById(schemaId)).schema) as avro.Schema);
    return {
      schemaId,
      decode: (value) => {
        const id = schemaIdOf(value);
        if (id !== schemaId) throw new Error(`movement with schema id ${id}, expected ${schemaId} (${subject})`);
        return type.fromBuffer(value.subarray(5));
      },
    };
  } finally {
    client.close();
  }
}
