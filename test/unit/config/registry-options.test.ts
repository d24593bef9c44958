import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { TurbineError } from '../../../src/errors.js';

const required = { brokers: 'localhost:9092', input: 'in', output: 'out', group: 'g', worker: './w.js' };
const avroIn = { ...required, inputFormat: 'avro', schemaRegistry: 'http://registry:8081' };

function message(flags: Record<string, unknown>): string {
  try {
    loadConfig({ flags });
  } catch (error) {
    expect(error).toBeInstanceOf(TurbineError);
    expect((error as TurbineError).code).toBe('CONFIG_INVALID');
    return (error as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'turbine-registry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schema registry options', () => {
  it('defaults to no registry, and then avro input still needs inputSchema', () => {
    const c = loadConfig({ flags: required });
    expect(c.schemaRegistry).toBe('');
    expect(c.schemaRegistryTimeoutMs).toBe(10_000);
    expect(message({ ...required, inputFormat: 'avro' })).toContain(
      'inputSchema (--input-schema, TURBINE_INPUT_SCHEMA)',
    );
  });

  it('with a registry, avro input needs no inputSchema', () => {
    const c = loadConfig({ flags: avroIn });
    expect(c.schemaRegistry).toBe('http://registry:8081');
    expect(c.inputSchema).toBeUndefined();
  });

  it('comes from TURBINE_SCHEMA_REGISTRY* variables', () => {
    const c = loadConfig({
      flags: { ...required, inputFormat: 'avro' },
      env: {
        TURBINE_SCHEMA_REGISTRY: 'https://r.example:443/apis/ccompat/v7',
        TURBINE_SCHEMA_REGISTRY_USERNAME: 'u',
        TURBINE_SCHEMA_REGISTRY_PASSWORD: 'p',
      },
    });
    expect(c.schemaRegistry).toBe('https://r.example:443/apis/ccompat/v7');
    expect(c.schemaRegistryUsername).toBe('u');
    expect(c.schemaRegistryPassword).toBe('p');
  });

  it('refuses a value that is not an http(s) URL, naming the option', () => {
    expect(message({ ...avroIn, schemaRegistry: 'registry:8081' })).toContain(
      'schemaRegistry (--schema-registry, TURBINE_SCHEMA_REGISTRY): must be empty or an http(s):// URL',
    );
  });

  it('needs an avro format and the confluent wire format', () => {
    expect(message({ ...required, schemaRegistry: 'http://r:1' })).toContain(
      'is only used with inputFormat or outputFormat avro',
    );
    expect(message({ ...avroIn, avroWireFormat: 'plain' })).toContain(
      'avroWireFormat (--avro-wire-format, TURBINE_AVRO_WIRE_FORMAT): accepted values with schemaRegistry are confluent',
    );
  });

  it('checks credentials and the CA file', () => {
    expect(message({ ...required, schemaRegistryUsername: 'u' })).toContain('is only used with schemaRegistry');
    expect(message({ ...avroIn, schemaRegistryPassword: 'p' })).toContain(
      'schemaRegistryUsername (--schema-registry-username, TURBINE_SCHEMA_REGISTRY_USERNAME): is required',
    );
    expect(message({ ...avroIn, schemaRegistryCa: join(dir, 'none.pem') })).toContain('must name a readable PEM file');
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'x');
    expect(message({ ...avroIn, schemaRegistryCa: ca })).toContain('is only used with an https:// schemaRegistry');
    expect(
      loadConfig({ flags: { ...avroIn, schemaRegistry: 'https://r:8081', schemaRegistryCa: ca } }).schemaRegistryCa,
    ).toBe(ca);
  });

  it('bounds the timeout', () => {
    expect(message({ ...avroIn, schemaRegistryTimeoutMs: '5' })).toContain('schemaRegistryTimeoutMs');
  });
});
