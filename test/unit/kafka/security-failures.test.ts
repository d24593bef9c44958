import type Kafka from 'node-rdkafka';
import {
  clientErrorListener,
  connectFailure,
  securityFailureFromError,
  securityFailureFromLog,
} from '../../../src/kafka/security-failures.js';

const brokers = '127.0.0.1:9292';
const thread = '[thrd:sasl_ssl://127.0.0.1:9292/bootstrap]: sasl_ssl://127.0.0.1:9292/bootstrap: ';
const fail = (message: string, severity = 3) => ({ severity, fac: 'FAIL', message: `${thread}${message}` });

// Log lines as node-rdkafka 3.6.1 (librdkafka 2.12.0) emitted them against Kafka 4.1.1.
describe('securityFailureFromLog', () => {
  it.each([
    'SASL authentication error: Authentication failed: Invalid username or password (after 303ms in state AUTH_REQ)',
    'SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 329ms in state AUTH_REQ)',
    "SASL SCRAM-SHA-1 mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512,SCRAM-SHA-256 (after 305ms in state AUTH_HANDSHAKE)",
  ])('a rejected login is KAFKA_AUTH_FAILED: %s', (message) => {
    const error = securityFailureFromLog(fail(message), brokers);
    expect(error?.code).toBe('KAFKA_AUTH_FAILED');
    expect(error?.retriable).toBe(false);
    expect(error?.message).toContain('authentication failed');
    expect(error?.message).toContain(`sasl_ssl://127.0.0.1:9292/bootstrap: ${message}`);
    expect(error?.message).not.toContain('[thrd:');
  });

  it.each([
    'SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package) (after 43ms in state SSL_HANDSHAKE)',
    'Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (after 1ms in state APIVERSION_QUERY)',
  ])('a refused certificate is KAFKA_TLS_FAILED: %s', (message) => {
    const error = securityFailureFromLog(fail(message), brokers);
    expect(error?.code).toBe('KAFKA_TLS_FAILED');
    expect(error?.retriable).toBe(false);
  });

  it.each([
    fail('Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)'),
    fail('Disconnected: SSL connection closed by peer (after 2ms in state UP)', 4),
    fail('SSL handshake failed: Disconnected: connection reset by peer (after 5ms in state SSL_HANDSHAKE)'),
    fail('SASL authentication error: Authentication failed (after 303ms in state AUTH_REQ)', 7),
  ])('leaves transient failures and debug lines alone: %j', (log) => {
    expect(securityFailureFromLog(log, brokers)).toBeUndefined();
  });
});

describe('securityFailureFromError', () => {
  it('maps the error event codes', () => {
    expect(securityFailureFromError({ code: -169, message: 'SASL authentication error' }, brokers)?.code).toBe(
      'KAFKA_AUTH_FAILED',
    );
    expect(securityFailureFromError({ code: 58, message: 'Broker: SASL authentication failed' }, brokers)?.code).toBe(
      'KAFKA_AUTH_FAILED',
    );
    expect(securityFailureFromError({ code: -181, message: 'SSL error' }, brokers)?.code).toBe('KAFKA_TLS_FAILED');
    expect(securityFailureFromError({ code: -195, message: 'broker transport failure' }, brokers)).toBeUndefined();
  });
});

describe('connectFailure', () => {
  const rdError = (code: number, message: string) =>
    Object.assign(new Error(message), { code }) as unknown as Kafka.LibrdKafkaError;

  it('keeps an unreachable broker retriable', () => {
    const error = connectFailure(rdError(-195, 'broker transport failure'), brokers, 'Producer');
    expect(error.code).toBe('KAFKA_CONNECT_FAILED');
    expect(error.retriable).toBe(true);
    expect(error.message).toBe(`Producer cannot reach ${brokers}: broker transport failure`);
  });

  it('turns a client librdkafka could not create into a TLS or configuration error', () => {
    const ca = connectFailure(
      rdError(-172, 'ssl.ca.location failed: error:05880002:x509 certificate routines'),
      brokers,
      'Consumer',
    );
    expect(ca.code).toBe('KAFKA_TLS_FAILED');
    const sasl = connectFailure(rdError(-172, 'sasl.username and sasl.password must be set'), brokers, 'Consumer');
    expect(sasl.code).toBe('CONFIG_INVALID');
    expect(sasl.message).toContain('sasl.username and sasl.password must be set');
  });
});

describe('clientErrorListener', () => {
  it('reports the first security failure once and warns about everything else', () => {
    const fatal: string[] = [];
    const warned: number[] = [];
    const listener = clientErrorListener(
      brokers,
      (e) => fatal.push(e.code),
      (e) => warned.push(e.code),
    );
    listener({ code: -195, message: 'broker transport failure' } as Kafka.LibrdKafkaError);
    listener({ code: -169, message: 'SASL authentication error' } as Kafka.LibrdKafkaError);
    listener({ code: -169, message: 'SASL authentication error' } as Kafka.LibrdKafkaError);
    expect(fatal).toEqual(['KAFKA_AUTH_FAILED']);
    expect(warned).toEqual([-195]);
  });
});
