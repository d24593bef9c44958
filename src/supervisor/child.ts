/**
 * The entry of one engine process under a supervisor (`turbine run --processes N`), forked by
 * child-handle.ts. It takes its configuration from the first IPC message (its share of the
 * pool, no HTTP server of its own), runs the engine as `turbine run` would (run-engine.ts:
 * signals, drain, exit code), and answers the supervisor's questions from the same endpoints
 * the HTTP server of a single process serves. If the supervisor disappears (the IPC channel
 * closes), it drains and exits rather than consuming on with nobody to stop it.
 */
import { runEngine } from '../cli/run-engine.js';
import type { TurbineConfig } from '../config/load.js';
import type { Engine } from '../engine.js';
import { errorMessage, TurbineError } from '../errors.js';
import { engineEndpoints, type HttpEndpoints } from '../observability/http-server.js';
import { createLogger } from '../observability/logger.js';
import { type FromChild, isToChild, type ToChild } from './ipc.js';

function send(message: FromChild): void {
  // After the supervisor went away there is nobody to tell; 'disconnect' has started the drain.
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

async function answer(
  engine: Engine,
  endpoints: HttpEndpoints,
  m: Extract<ToChild, { type: 'ask' }>,
): Promise<unknown> {
  switch (m.question) {
    case 'metrics':
      return engine.metrics.registry.getMetricsAsJSON();
    case 'health':
      return endpoints.health();
    case 'ready':
      return endpoints.ready();
    case 'stats':
      return endpoints.stats();
    case 'status': {
      const [status, endToEnd, task] = await Promise.all([
        endpoints.status(),
        engine.metrics.endToEndLatency.get(),
        engine.metrics.taskDuration.get(),
      ]);
      return { status, latency: { endToEnd: endToEnd.values, task: task.values } };
    }
    case 'state': {
      const q = m.state;
      if (!q || !endpoints.state) return { status: 404, body: { error: `no state store ${q?.store ?? ''}` } };
      return endpoints.state(q.store, q.key, q.redirected);
    }
  }
}

function attach(engine: Engine, stop: (reason: string) => void): void {
  const endpoints = engineEndpoints(engine);
  process.on('message', (m: unknown) => {
    if (!isToChild(m)) return;
    if (m.type === 'stop') stop('supervisor');
    else if (m.type === 'ask')
      answer(engine, endpoints, m).then(
        (value) => send({ type: 'answer', id: m.id, value }),
        (error: unknown) => send({ type: 'answer', id: m.id, error: errorMessage(error) }),
      );
  });
  process.once('disconnect', () => stop('supervisor gone'));
  engine.once('started', () => send({ type: 'started' }));
  send({ type: 'attached' });
}

async function run(config: TurbineConfig): Promise<number> {
  const logger = createLogger(config.logLevel);
  try {
    return await runEngine(config, logger, { onEngine: attach });
  } catch (error) {
    // As main() reports a failed `turbine run`: the code and message on one line.
    const code = error instanceof TurbineError ? `${error.code}: ` : '';
    process.stderr.write(`turbine: ${code}${errorMessage(error)}\n`);
    return 1;
  }
}

process.once('message', (message: unknown) => {
  if (!isToChild(message) || message.type !== 'init') {
    process.stderr.write(
      'turbine: an engine process expects its configuration first (it is started by the supervisor)\n',
    );
    process.exit(1);
  }
  const config = Object.freeze({ ...message.config, kafka: Object.freeze({ ...message.config.kafka }) });
  run(config).then((code) => {
    process.exitCode = code;
    // Native client handles can outlive a finished engine by a few seconds; do not wait for them.
    setTimeout(() => process.exit(code), 200).unref();
  });
});
