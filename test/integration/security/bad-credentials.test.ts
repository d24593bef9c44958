/**
 * A wrong password is fatal, not retried: `turbine run` prints one line with KAFKA_AUTH_FAILED
 * saying the SASL login failed and exits 1 within a bounded time (an unreachable broker, by
 * contrast, is retried: lifecycle/broker-unreachable). The wrong password is not printed.
 */
import { runUntilExit, saslEnv, secureKafka } from '../../helpers/secure-kafka';

jest.setTimeout(120_000);

test('wrong SCRAM password: a clear KAFKA_AUTH_FAILED line and exit 1, no endless retry', async () => {
  const kafka = await secureKafka();
  const wrong = 'not-the-password-4711';
  const run = await runUntilExit(kafka, saslEnv(kafka, 'SCRAM-SHA-256', { password: wrong }), 30_000);
  expect(run.exitCode).toBe(1);
  const line = run.log.split('\n').find((l) => l.startsWith('turbine: KAFKA_AUTH_FAILED'));
  expect(line).toMatch(/rejected the SASL login: authentication failed/);
  expect(line).toContain('SCRAM-SHA-256');
  expect(run.log).not.toContain('Kafka is not reachable; retrying');
  expect(run.log).not.toContain(wrong);
  expect(run.log).not.toContain(kafka.password);
});
