/**
 * The local Schema Registry of the registry tests (scripts/registry.sh: Apicurio Registry, its
 * Confluent-compatible API), reached with plain HTTP requests rather than Turbine's own client,
 * so what the tests check is what any other registry user would see.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { FIXTURES } from './kafka';

export const REGISTRY_URL = process.env.TURBINE_TEST_SCHEMA_REGISTRY ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export function schemaPath(name: string): string {
  return join(FIXTURES, 'schemas', name);
}

export function schemaText(name: string): string {
  return JSON.stringify(JSON.parse(readFileSync(schemaPath(name), 'utf8')));
}

export function avroType(name: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(readFileSync(schemaPath(name), 'utf8')) as avro.Schema);
}

/** Fails with the command to run when the registry does not answer. */
export async function requireRegistry(): Promise<void> {
  try {
    const res = await fetch(`${REGISTRY_URL}/config`);
    if (res.ok) return;
    throw new Error(`HTTP ${res.status}`);
  } catch (error) {
    throw new Error(
      `no Schema Registry at ${REGISTRY_URL} (${(error as Error).message}); start it with npm run registry:up (npm test does)`,
    );
  }
}

/** POST /subjects/{subject}/versions: the schema's global id. */
export async function registerSchema(subject: string, schema: string): Promise<number> {
  const res = await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE },
    body: JSON.stringify({ schema }),
  });
  const body = (await res.json()) as { id?: number; message?: string };
  if (!res.ok || typeof body.id !== 'number')
    throw new Error(`registering under ${subject}: HTTP ${res.status} ${body.message}`);
  return body.id;
}

/** GET /schemas/ids/{id}: the status and the schema text, if any. */
export async function schemaById(id: number): Promise<{ status: number; schema?: string; errorCode?: number }> {
  const res = await fetch(`${REGISTRY_URL}/schemas/ids/${id}`);
  const body = (await res.json()) as { schema?: string; error_code?: number };
  return {
    status: res.status,
    ...(body.schema !== undefined ? { schema: body.schema } : {}),
    ...(body.error_code !== undefined ? { errorCode: body.error_code } : {}),
  };
}

/** A value in the Confluent wire format: magic byte 0, the id, the Avro body. */
export function framed(id: number, type: avro.Type, value: unknown): Buffer {
  const body = type.toBuffer(value);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
}
