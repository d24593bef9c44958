/**
 * A private single-node broker with a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) for
 * the security tests, started through scripts/kafka.sh with KAFKA_SECURITY=sasl_ssl. Its CA, its
 * certificate and a second, unrelated CA are made with openssl in a temporary directory; the user
 * password is random. Starting a broker takes about 30 s here, so the first test file that needs
 * it starts it and the others reuse it (its state is kept in that directory); the integration
 * project's globalTeardown (secure-kafka-teardown.ts) stops it and deletes the directory.
 * Node built-ins only: globalTeardown loads this without jest's module mapping.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(__dirname, '..', '..');

export interface SecureKafka {
  /** The SASL_SSL listener: what the engine under test connects to. */
  brokers: string;
  /** A PLAINTEXT listener of the same broker, for creating, filling and reading topics. */
  setupBrokers: string;
  /** The CA that signed the broker certificate (PEM). */
  caFile: string;
  /** A CA that signed nothing the broker presents (PEM). */
  untrustedCaFile: string;
  username: string;
  password: string;
}

interface State extends SecureKafka {
  ports: { sasl: number; plaintext: number; controller: number };
}

export const SECURE_KAFKA_DIR = join(tmpdir(), `turbine-secure-kafka-${process.getuid?.() ?? 0}`);
const STATE_FILE = join(SECURE_KAFKA_DIR, 'state.json');
const LOCK_FILE = `${SECURE_KAFKA_DIR}.lock`;

function kafkaSh(command: 'up' | 'down' | 'status', state: State): void {
  execFileSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), command], {
    env: {
      ...process.env,
      KAFKA_HOME_DIR: join(SECURE_KAFKA_DIR, 'kafka'),
      KAFKA_PORT: String(state.ports.sasl),
      KAFKA_PLAINTEXT_PORT: String(state.ports.plaintext),
      KAFKA_CONTROLLER_PORT: String(state.ports.controller),
      KAFKA_SECURITY: 'sasl_ssl',
      KAFKA_SSL_CERT: join(SECURE_KAFKA_DIR, 'broker.pem'),
      KAFKA_SSL_KEY: join(SECURE_KAFKA_DIR, 'broker.key'),
      KAFKA_SASL_USERS: `${state.username}:${state.password}`,
      // C1 only: the JVM starts faster, and the tests move a few thousand records.
      KAFKA_HEAP: '-Xmx512m -Xms128m -XX:TieredStopAtLevel=1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: SECURE_KAFKA_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA, a broker certificate it signs for 127.0.0.1, and an unrelated CA. */
function makeCertificates(): void {
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
  ca('turbine-test-ca');
  ca('turbine-untrusted-ca');
  // Unencrypted PKCS#8 ("BEGIN PRIVATE KEY"), the form Kafka's PEM keystore reads without a password.
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'broker.key',
    '-out',
    'broker.csr',
  );
  writeFileSync(join(SECURE_KAFKA_DIR, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'turbine-test-ca.pem',
    '-CAkey',
    'turbine-test-ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
    '-out',
    'broker.pem',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Serialises starts across jest workers; a lock older than 3 minutes is a crashed holder's. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      closeSync(openSync(LOCK_FILE, 'wx'));
      break;
    } catch {
      if (existsSync(LOCK_FILE) && Date.now() - statSync(LOCK_FILE).mtimeMs > 180_000)
        rmSync(LOCK_FILE, { force: true });
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}

function readState(): State | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

function isRunning(state: State): boolean {
  try {
    kafkaSh('status', state);
    return true;
  } catch {
    return false;
  }
}

/** The secure broker, started on first use (about 30 s) and reused by later test files. */
export function secureKafka(): Promise<SecureKafka> {
  return withLock(async () => {
    const existing = readState();
    if (existing && isRunning(existing)) return existing;
    if (existing) kafkaSh('down', existing);
    rmSync(SECURE_KAFKA_DIR, { recursive: true, force: true });
    mkdirSync(SECURE_KAFKA_DIR, { recursive: true, mode: 0o700 });
    makeCertificates();
    const [sasl, plaintext, controller] = [await freePort(), await freePort(), await freePort()];
    const state: State = {
      brokers: `127.0.0.1:${sasl}`,
      setupBrokers: `127.0.0.1:${plaintext}`,
      caFile: join(SECURE_KAFKA_DIR, 'turbine-test-ca.pem'),
      untrustedCaFile: join(SECURE_KAFKA_DIR, 'turbine-untrusted-ca.pem'),
      username: 'turbine-it',
      password: `pw-${randomBytes(12).toString('hex')}`,
      ports: { sasl, plaintext, controller },
    };
    kafkaSh('up', state);
    writeFileSync(STATE_FILE, JSON.stringify(state), { mode: 0o600 });
    return state;
  });
}

/** Stops the secure broker if a test file started it, and deletes its directory. */
export function stopSecureKafka(): void {
  const state = readState();
  if (state) kafkaSh('down', state);
  rmSync(SECURE_KAFKA_DIR, { recursive: true, force: true });
}
