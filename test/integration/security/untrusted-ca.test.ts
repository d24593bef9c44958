/**
 * A broker certificate that the configured CA did not sign is fatal, not retried: `turbine run`
 * prints one line with KAFKA_TLS_FAILED naming the certificate verification failure and exits 1
 * within a bounded time.
 */
import { runUntilExit, saslEnv, secureKafka } from '../../helpers/secure-kafka';

jest.setTimeout(120_000);

test('untrusted CA: a clear KAFKA_TLS_FAILED line and exit 1, no endless retry', async () => {
  const kafka = await secureKafka();
  const run = await runUntilExit(kafka, saslEnv(kafka, 'PLAIN', { caFile: kafka.untrustedCaFile }), 30_000);
  expect(run.exitCode).toBe(1);
  const line = run.log.split('\n').find((l) => l.startsWith('turbine: KAFKA_TLS_FAILED'));
  expect(line).toMatch(/TLS connection to Kafka at 127\.0\.0\.1:\d+ failed/);
  expect(line).toContain('certificate verify failed');
  expect(run.log).not.toContain('Kafka is not reachable; retrying');
  expect(run.log).not.toContain(kafka.password);
});
