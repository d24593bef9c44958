/**
 * The broker a benchmark run measures against. The default address (127.0.0.1:9092) is the
 * project's own broker: started with scripts/kafka.sh when it is not running, and stopped again
 * at the end. Any other address must already accept connections, checked before anything is
 * measured or written, so a run never fills RESULTS.md with "not run" rows for want of a broker.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './processes.js';

const run = promisify(execFile);

export const DEFAULT_BENCH_BROKERS = '127.0.0.1:9092';
const PROBE_TIMEOUT_MS = 5_000;

/** Makes sure `brokers` is reachable; resolves a function that stops a broker this call started (or does nothing). */
export async function ensureBenchBroker(brokers: string, log: (message: string) => void): Promise<() => Promise<void>> {
  const kafka = (command: 'up' | 'down' | 'status') => run('bash', [join(ROOT, 'scripts', 'kafka.sh'), command]);
  if (brokers === DEFAULT_BENCH_BROKERS) {
    const running = await kafka('status').then(
      () => true,
      () => false,
    );
    if (running) return async () => {};
    log(`no broker on ${brokers}: starting one with scripts/kafka.sh up (stopped again at the end)`);
    await kafka('up');
    return async () => {
      log('stopping the broker this run started');
      await kafka('down');
    };
  }
  const first = brokers.split(',')[0]!.trim();
  const colon = first.lastIndexOf(':');
  const host = colon > 0 ? first.slice(0, colon) : first;
  const port = colon > 0 ? Number(first.slice(colon + 1)) : 9092;
  if (!(await accepts(host, port))) {
    throw new Error(
      `--brokers ${brokers}: nothing accepts connections at ${host}:${port} within ${PROBE_TIMEOUT_MS} ms; ` +
        `start that broker, or leave --brokers out to use (and start) the local one on ${DEFAULT_BENCH_BROKERS}`,
    );
  }
  return async () => {};
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
