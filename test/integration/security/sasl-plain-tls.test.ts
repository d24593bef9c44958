/**
 * `turbine run` reaches a SASL_SSL listener with SASL/PLAIN over TLS (the broker certificate signed
 * by a CA made for the test), its client properties given as TURBINE_KAFKA_* variables: every
 * record is processed and verified, the engine drains on SIGTERM, and the password appears
 * neither in its logs, nor in /metrics, nor in /status.json.
 */
import { runThroughSasl, secureKafka } from '../../helpers/secure-kafka';

jest.setTimeout(150_000);

test('SASL/PLAIN over TLS, password from the environment: records flow and the password stays secret', async () => {
  const kafka = await secureKafka();
  const run = await runThroughSasl(kafka, 'PLAIN', 2000, 'env');
  expect(run.produced).toBeGreaterThanOrEqual(2000);
  expect(run.exitCode).toBe(0);
  expect(run.report).toMatchObject({ inputs: 2000, lost: 0, duplicates: 0, orderViolations: 0 });
  expect(run.log).toContain('"sasl.mechanisms":"PLAIN","sasl.username":"turbine-it","sasl.password":"[redacted]"');
  for (const text of [run.log, run.metrics, run.status]) expect(text).not.toContain(kafka.password);
});
