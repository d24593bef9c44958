import {
  isSecretProperty,
  REDACTED,
  redactProperties,
  securityPropertyIssues,
} from '../../../src/config/kafka-security.js';
import { loadConfig } from '../../../src/config/load.js';
import { TurbineError } from '../../../src/errors.js';

const required = { brokers: 'localhost:9092', input: 'in', output: 'out', group: 'g', worker: './w.js' };
const scram = {
  'security.protocol': 'sasl_ssl',
  'sasl.mechanisms': 'SCRAM-SHA-512',
  'sasl.username': 'alice',
  'sasl.password': 'hunter2-secret',
};

describe('secret properties', () => {
  it.each([
    'sasl.password',
    'ssl.key.password',
    'ssl.keystore.password',
    'sasl.oauthbearer.client.secret',
    'ssl.key.pem',
    'sasl.oauthbearer.config',
    'my.custom.Password',
  ])('%s is secret', (name) => expect(isSecretProperty(name)).toBe(true));

  it.each(['sasl.username', 'ssl.ca.location', 'ssl.key.location', 'ssl.certificate.pem', 'security.protocol'])(
    '%s is not secret',
    (name) => expect(isSecretProperty(name)).toBe(false),
  );

  it('redacts only the secret values', () => {
    expect(redactProperties({ ...scram, 'ssl.key.password': 'k' })).toEqual({
      ...scram,
      'sasl.password': REDACTED,
      'ssl.key.password': REDACTED,
    });
  });
});

describe('security property checks', () => {
  it('accepts plaintext, SASL/PLAIN and SCRAM settings', () => {
    expect(securityPropertyIssues({})).toEqual([]);
    expect(securityPropertyIssues(scram)).toEqual([]);
    expect(securityPropertyIssues({ ...scram, 'sasl.mechanisms': 'PLAIN', 'security.protocol': 'SASL_SSL' })).toEqual(
      [],
    );
    expect(securityPropertyIssues({ 'security.protocol': 'ssl', 'ssl.ca.location': '/ca.pem' })).toEqual([]);
  });

  it('names the property and the accepted values', () => {
    expect(securityPropertyIssues({ 'security.protocol': 'sasl_tls' })).toEqual([
      'security.protocol: accepted values are plaintext | ssl | sasl_plaintext | sasl_ssl',
    ]);
    expect(securityPropertyIssues({ ...scram, 'sasl.mechanisms': 'SCRAM-SHA-1' })).toEqual([
      'sasl.mechanisms: accepted values are PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 | OAUTHBEARER | GSSAPI',
    ]);
  });

  it('requires a username and password for PLAIN and SCRAM', () => {
    const { 'sasl.password': _, ...withoutPassword } = scram;
    expect(securityPropertyIssues(withoutPassword)).toEqual([
      'sasl.password required with sasl.mechanisms=SCRAM-SHA-512 (the password through TURBINE_KAFKA_SASL_PASSWORD or the --config file)',
    ]);
  });

  it('rejects SASL settings that a non-SASL protocol would ignore', () => {
    const issues = securityPropertyIssues({ ...scram, 'security.protocol': 'ssl' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^sasl\.mechanisms, sasl\.username, sasl\.password set but security\.protocol is ssl/);
  });

  it('makes loadConfig fail with CONFIG_INVALID without quoting the password', () => {
    let error: unknown;
    try {
      loadConfig({ flags: { ...required, kafka: { ...scram, 'security.protocol': 'plaintext' } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TurbineError);
    expect((error as TurbineError).code).toBe('CONFIG_INVALID');
    expect((error as TurbineError).message).toContain('kafka (--kafka, TURBINE_KAFKA)');
    expect((error as TurbineError).message).not.toContain('hunter2-secret');
  });
});
