/**
 * A schema registry that does not answer stops the start: `turbine run --schema-registry` at a
 * closed port exits 1 with SCHEMA_REGISTRY_FAILED, naming the option and the URL, before Kafka is
 * touched; a value that is not an http(s) URL is a configuration error (exit 2) naming the option.
 */
import { createServer } from 'node:net';
import { runTurbine } from '../../helpers/cli';
import { FIXTURES, randomName } from '../../helpers/kafka';
import { schemaPath } from '../../helpers/registry';

jest.setTimeout(60_000);

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const args = (registry: string) => [
  '--input',
  randomName('in'),
  '--output',
  randomName('out'),
  '--group',
  randomName('g'),
  '--worker',
  `${FIXTURES}/poison.js`,
  '--metrics-port',
  '0',
  '--input-format',
  'avro',
  '--output-format',
  'avro',
  '--output-schema',
  schemaPath('reading-v2.avsc'),
  '--schema-registry',
  registry,
];

test('an unreachable registry at start is exit 1 naming --schema-registry', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const started = Date.now();
  const run = runTurbine('run', args(url));
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('SCHEMA_REGISTRY_FAILED');
  expect(run.stderr).toContain('--schema-registry');
  expect(run.stderr).toContain(url);
  expect(run.stderr).toContain('ECONNREFUSED');
  expect(Date.now() - started).toBeLessThan(30_000);
});

test('a registry value that is not an http(s) URL is exit 2 naming the option', () => {
  const run = runTurbine('run', args('ftp://registry:8081'));
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('schemaRegistry (--schema-registry, TURBINE_SCHEMA_REGISTRY)');
});
