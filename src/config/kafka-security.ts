/**
 * The security side of the passed-through librdkafka properties (docs/security.md): which values
 * of security.protocol and sasl.mechanisms are accepted, what they require, and which properties
 * hold secrets, redacted wherever client properties are logged or shown. Secrets reach Turbine
 * only through its configuration (TURBINE_KAFKA_*, the --config file, or --kafka, which leaves
 * them in the process list) and leave it only towards librdkafka.
 */

/**
 * sasl.password, ssl.key.password, ssl.keystore.password, sasl.oauthbearer.client.secret, any other
 * *password* or *secret*, tokens, an inline private key (ssl.key.pem) and sasl.oauthbearer.config
 * (which may carry credentials).
 */
const SECRET_PROPERTY = /password|secret|token|^ssl\.key\.pem$|^sasl\.oauthbearer\.config$/i;

export const REDACTED = '[redacted]';

export function isSecretProperty(name: string): boolean {
  return SECRET_PROPERTY.test(name);
}

/** A copy of the properties with every secret value replaced by "[redacted]". */
export function redactProperties(properties: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) out[name] = isSecretProperty(name) ? REDACTED : value;
  return out;
}

const PROTOCOLS = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'];
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER', 'GSSAPI'];
/** Mechanisms that log in with sasl.username and sasl.password. */
const PASSWORD_MECHANISMS = new Set(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);

/**
 * Problems in the security properties, each naming the property and what is accepted; found at
 * start instead of as a client that librdkafka refuses to create or a broker that never answers.
 * Secret values are never quoted.
 */
export function securityPropertyIssues(properties: Readonly<Record<string, string>>): string[] {
  const issues: string[] = [];
  const protocol = properties['security.protocol']?.toLowerCase() ?? 'plaintext';
  if (!PROTOCOLS.includes(protocol)) issues.push(`security.protocol: accepted values are ${PROTOCOLS.join(' | ')}`);
  // librdkafka reads sasl.mechanism as an alias of sasl.mechanisms.
  const mechanismKey = 'sasl.mechanisms' in properties ? 'sasl.mechanisms' : 'sasl.mechanism';
  const mechanism = properties[mechanismKey];
  if (mechanism !== undefined && !MECHANISMS.includes(mechanism))
    issues.push(`${mechanismKey}: accepted values are ${MECHANISMS.join(' | ')}`);
  const sasl = protocol.startsWith('sasl_');
  const saslSettings = Object.keys(properties).filter((name) => name.startsWith('sasl.'));
  if (!sasl && saslSettings.length > 0)
    issues.push(
      `${saslSettings.join(', ')} set but security.protocol is ${protocol}: use sasl_ssl (or sasl_plaintext) to log in`,
    );
  if (sasl && mechanism !== undefined && PASSWORD_MECHANISMS.has(mechanism)) {
    const missing = ['sasl.username', 'sasl.password'].filter((name) => !properties[name]);
    if (missing.length > 0)
      issues.push(
        `${missing.join(' and ')} required with ${mechanismKey}=${mechanism} (the password through TURBINE_KAFKA_SASL_PASSWORD or the --config file)`,
      );
  }
  return issues;
}
