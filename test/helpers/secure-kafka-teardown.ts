/** Integration globalTeardown: stops the SASL_SSL broker of the security tests if one was started. */
import { stopSecureKafka } from './secure-kafka-broker';

export default function teardown(): void {
  stopSecureKafka();
}
