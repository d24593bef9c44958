/**
 * An output schema that breaks its subject's compatibility rule is refused at start: with v1 of
 * a schema registered under <output>-value (BACKWARD, scripts/registry.sh), `turbine run` with an
 * outputSchema that adds a field without a default exits 1 with SCHEMA_INCOMPATIBLE naming the
 * subject, before any record is consumed.
 */

import { runTurbine } from '../../helpers/cli';
import { FIXTURES, freshTopics, randomName } from '../../helpers/kafka';
import { REGISTRY_URL, registerSchema, requireRegistry, schemaPath, schemaText } from '../../helpers/registry';

jest.setTimeout(60_000);

test('turbine run refuses an output schema incompatible with its subject', async () => {
  await requireRegistry();
  const { input, output, drop } = await freshTopics('reg-incompatible', 1);
  await registerSchema(`${output}-value`, schemaText('reading-v1.avsc'));
  const run = runTurbine('run', [
    '--input',
    input,
    '--output',
    output,
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
    schemaPath('reading-v1-required-site.avsc'),
    '--schema-registry',
    REGISTRY_URL,
  ]);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('SCHEMA_INCOMPATIBLE');
  expect(run.stderr).toContain(`subject ${output}-value`);
  expect(run.stderr).toContain('reading-v1-required-site.avsc');
  // The compatible next version is still accepted: the refusal was the schema's, not the registry's.
  await expect(registerSchema(`${output}-value`, schemaText('reading-v2.avsc'))).resolves.toBeGreaterThan(0);
  await drop();
});
