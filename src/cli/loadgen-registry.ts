/**
 * `turbine loadgen --format avro --schema-registry URL`: registers the generator's schema under
 * the topic's value subject (`<topic>-value`) before anything is sent, so the records carry the
 * registry's id instead of the fixed id 1. Basic auth and a CA file come from the engine's
 * variables (TURBINE_SCHEMA_REGISTRY_USERNAME, _PASSWORD, _CA).
 */
import { RegistryClient } from '../registry/registry-client.js';
import { readOutputSchema, registerSchema, valueSubject } from '../registry/registry-setup.js';

export async function registerLoadgenSchema(
  url: string,
  topic: string,
  schemaPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const client = new RegistryClient({
    url,
    username: env.TURBINE_SCHEMA_REGISTRY_USERNAME || undefined,
    password: env.TURBINE_SCHEMA_REGISTRY_PASSWORD || undefined,
    caFile: env.TURBINE_SCHEMA_REGISTRY_CA || undefined,
    timeoutMs: 10_000,
  });
  try {
    return await registerSchema(client, valueSubject(topic), readOutputSchema(schemaPath), `--schema ${schemaPath}`);
  } finally {
    client.close();
  }
}
