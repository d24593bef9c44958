/**
 * `turbine run` logs in with SASL/SCRAM-SHA-512 over TLS (credentials stored in the KRaft metadata
 * when the broker's storage was formatted), its client properties read from a --config file: all
 * records reach the output topic exactly once and in order, and neither the logs, /metrics nor
 * /status.json reveal the password, which also never appears on the command line.
 */
import { runThroughSasl, secureKafka } from '../../helpers/secure-kafka';

jest.setTimeout(150_000);

test('SASL/SCRAM-SHA-512 over TLS, password from the config file: end to end, nothing leaked', async () => {
  const kafka = await secureKafka();
  const { report, log, metrics, status, exitCode } = await runThroughSasl(kafka, 'SCRAM-SHA-512', 1500, 'config-file');
  expect(report).toMatchObject({ inputs: 1500, outputs: 1500, lost: 0, duplicates: 0, orderViolations: 0 });
  expect(exitCode).toBe(0);
  expect(log).toContain('"sasl.mechanisms":"SCRAM-SHA-512"');
  expect(log).not.toContain('secret given with --kafka');
  expect(`${log}\n${metrics}\n${status}`).not.toContain(kafka.password);
});
