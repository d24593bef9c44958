/**
 * Recognises the librdkafka failures that retrying cannot fix: a rejected SASL login and a TLS
 * handshake that fails on the certificate. librdkafka itself reconnects forever after them, and a
 * connecting node-rdkafka client only reports "broker transport failure" (-195) when its connect
 * timeout ends: error events need a poll, which a client still inside connect() does not get.
 * The cause shows first in the client's log (event.log, severity 3, facility FAIL). Measured with
 * node-rdkafka 3.6.1 (librdkafka 2.12.0) against Kafka 4.1.1:
 *   SASL authentication error: Authentication failed: Invalid username or password (after 303ms in state AUTH_REQ)
 *   SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (...)
 *   SASL SCRAM-SHA-1 mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: ...
 *   SSL handshake failed: ...: certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location ...
 *   Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42  (mTLS, no client certificate)
 * Once a client is connected, the same failures arrive as error events with codes ERR__AUTHENTICATION
 * (-169), ERR_SASL_AUTHENTICATION_FAILED (58) or ERR__SSL (-181). A client that cannot be created at
 * all fails connect() with ERR__STATE (-172) and a message naming the property ("ssl.ca.location
 * failed: ...").
 */
import type Kafka from 'node-rdkafka';
import { errorMessage, TurbineError } from '../errors.js';
import { ERR__AUTHENTICATION, ERR__SSL, ERR__STATE, ERR_SASL_AUTHENTICATION_FAILED } from './error-codes.js';

/** What node-rdkafka hands to 'event.log' listeners. */
export interface ClientLog {
  severity: number;
  fac: string;
  message: string;
}

/** librdkafka's LOG_ERR; warnings (4) include ordinary disconnects. */
const LOG_ERROR = 3;

const AUTH_LOG = /SASL authentication error|SASL \S+ mechanism handshake failed|Unsupported SASL mechanism/;
/** A failed handshake, or (TLS 1.3) the broker refusing the client certificate right after it. */
const TLS_LOG = /SSL handshake failed|SSL routines::/;
/** TLS failures that a retry cannot fix; a handshake cut short by a dropped connection can be. */
const TLS_PERMANENT = /certificate|alert|wrong version number|unsupported protocol|no protocols available/i;

function authFailed(brokers: string, detail: string): TurbineError {
  return new TurbineError(
    'KAFKA_AUTH_FAILED',
    `Kafka at ${brokers} rejected the SASL login: authentication failed (check sasl.mechanisms, sasl.username and sasl.password): ${detail}`,
    { details: { brokers } },
  );
}

function tlsFailed(brokers: string, detail: string): TurbineError {
  return new TurbineError(
    'KAFKA_TLS_FAILED',
    `TLS connection to Kafka at ${brokers} failed (check ssl.ca.location, the broker certificate and its host name): ${detail}`,
    { details: { brokers } },
  );
}

/** librdkafka log lines start with "[thrd:NAME]: "; the broker name that follows is kept. */
function stripThread(message: string): string {
  return message.replace(/^\[thrd:[^\]]*\]: /, '');
}

/** A fatal security failure described by a client log line, or undefined for anything else. */
export function securityFailureFromLog(log: ClientLog, brokers: string): TurbineError | undefined {
  if (log.severity > LOG_ERROR) return undefined;
  const detail = stripThread(log.message);
  if (AUTH_LOG.test(detail)) return authFailed(brokers, detail);
  if (TLS_LOG.test(detail) && TLS_PERMANENT.test(detail)) return tlsFailed(brokers, detail);
  return undefined;
}

/** A fatal security failure from an error event or a connect() error, or undefined. */
export function securityFailureFromError(
  error: { code?: number; message: string },
  brokers: string,
): TurbineError | undefined {
  const detail = stripThread(error.message);
  if (error.code === ERR__AUTHENTICATION || error.code === ERR_SASL_AUTHENTICATION_FAILED)
    return authFailed(brokers, detail);
  if (error.code === ERR__SSL) return tlsFailed(brokers, detail);
  // The client could not be created: an ssl.* file librdkafka could not load, named in the message.
  if (error.code === ERR__STATE && /\bssl\./i.test(detail)) return tlsFailed(brokers, detail);
  return undefined;
}

/**
 * librdkafka refused to create the client from its properties (the constructor threw, or connect()
 * failed with ERR__STATE): retrying cannot help, so it is a configuration error (exit 2).
 */
export function clientConfigRejected(error: unknown): TurbineError {
  return new TurbineError(
    'CONFIG_INVALID',
    `kafka (--kafka, TURBINE_KAFKA_*): librdkafka rejected the client properties: ${errorMessage(error)}`,
    { cause: error },
  );
}

/**
 * Why connect() failed: a security failure or rejected properties (not retriable), or an
 * unreachable broker (retriable).
 */
export function connectFailure(error: Kafka.LibrdKafkaError, brokers: string, client: string): TurbineError {
  const security = securityFailureFromError(error, brokers);
  if (security) return security;
  if (error.code === ERR__STATE) return clientConfigRejected(error);
  return new TurbineError('KAFKA_CONNECT_FAILED', `${client} cannot reach ${brokers}: ${errorMessage(error)}`, {
    cause: error,
  });
}

/** Connects an engine client; a failure rejects with connectFailure()'s typed error. */
export function connectClient(
  client: Kafka.Producer | Kafka.KafkaConsumer,
  timeoutMs: number,
  brokers: string,
  kind: 'Producer' | 'Consumer',
): Promise<void> {
  return new Promise((resolve, reject) =>
    client.connect({ timeout: timeoutMs }, (err) => (err ? reject(connectFailure(err, brokers, kind)) : resolve())),
  );
}

/**
 * An 'event.error' listener for a connected client: the first security failure goes to `onFatal`
 * (the engine shuts down); everything else is transient for librdkafka and only warned about.
 */
export function clientErrorListener(
  brokers: string,
  onFatal: ((error: TurbineError) => void) | undefined,
  warn: (error: Kafka.LibrdKafkaError) => void,
): (error: Kafka.LibrdKafkaError) => void {
  let reported = false;
  return (error) => {
    const fatal = onFatal && securityFailureFromError(error, brokers);
    if (!fatal) warn(error);
    else if (!reported) {
      reported = true;
      onFatal(fatal);
    }
  };
}
