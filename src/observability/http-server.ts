/**
 * HTTP endpoints: /metrics (Prometheus text), /healthz (liveness: the event loop answers and the
 * consume loop returned recently), /readyz (running and given an assignment by the group, possibly empty),
 * /stats (the engine snapshot), / (live status page), /status.json (what the page polls) and, with
 * keyed state, /state/<store>/<key> (the key's current value, answered by its partition's owner).
 *
 * The routes serve an `HttpEndpoints`: one engine's (`engineEndpoints`), or the supervisor's of
 * `turbine run --processes N`, which asks its engine processes and combines their answers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineView, StateQueryAnswer } from './engine-view.js';
import { StatusTracker } from './status.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

/** A consume loop silent for longer than this is considered stuck. */
export const LIVENESS_THRESHOLD_MS = 60_000;

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/** A probe's verdict (200 or 503) and the JSON body that explains it. */
export interface ProbeAnswer {
  ok: boolean;
  body: Record<string, unknown>;
}

/** What the routes serve; each answer may come synchronously or as a promise. */
export interface HttpEndpoints {
  metrics(): Promise<{ contentType: string; text: string }>;
  health(): ProbeAnswer | Promise<ProbeAnswer>;
  ready(): ProbeAnswer | Promise<ProbeAnswer>;
  stats(): unknown;
  status(): Promise<unknown>;
  /** Keyed state only: `GET /state/<store>/<key>`. */
  state?(store: string, key: string, redirected: boolean): StateQueryAnswer | Promise<StateQueryAnswer>;
  /** Called once the server closes. */
  dispose?(): void;
}

/** Liveness of one engine: not closed, and its consume loop came back within the threshold. */
export function engineHealth(engine: Pick<EngineView, 'lifecycle' | 'consumeLoopIdleMs'>): ProbeAnswer {
  const idle = engine.consumeLoopIdleMs;
  const state = engine.lifecycle;
  const ok = state !== 'closed' && (state !== 'running' || idle < LIVENESS_THRESHOLD_MS);
  return { ok, body: { ok, state, consumeLoopIdleMs: idle } };
}

/** Readiness of one engine: running, joined the group, no keyed state being restored. */
export function engineReadiness(engine: Pick<EngineView, 'snapshot' | 'joinedGroup'>): ProbeAnswer {
  const stats = engine.snapshot();
  // Not ready while keyed state is restored: a query would miss what is being read back.
  const ok = stats.state === 'running' && engine.joinedGroup && stats.restoringPartitions === 0;
  const { assignedPartitions, restoringPartitions } = stats;
  return { ok, body: { ok, state: stats.state, assignedPartitions, restoringPartitions } };
}

/** One engine's endpoints. Its status tracker listens from now on (dispose() stops it). */
export function engineEndpoints(engine: EngineView): HttpEndpoints {
  // Listens from the start, so the page's event list includes the first assignment.
  const status = new StatusTracker(engine);
  const { queryState } = engine;
  return {
    metrics: async () => ({
      contentType: engine.metrics.registry.contentType,
      text: await engine.metrics.registry.metrics(),
    }),
    health: () => engineHealth(engine),
    ready: () => engineReadiness(engine),
    stats: () => engine.snapshot(),
    status: () => status.read(),
    ...(queryState ? { state: (store, key, redirected) => queryState.call(engine, store, key, redirected) } : {}),
    dispose: () => status.dispose(),
  };
}

export function startHttpServer(engine: EngineView, host: string, port: number): Promise<HttpServer> {
  return serveHttp(engineEndpoints(engine), host, port);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers with what `answer` resolves to, or 500 with the error's message. */
function respond<T>(res: ServerResponse, answer: () => T | Promise<T>, send: (value: T) => void): void {
  Promise.resolve()
    .then(answer)
    .then(send)
    .catch((error: Error) => {
      if (res.headersSent) return;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error.message);
    });
}

export async function serveHttp(endpoints: HttpEndpoints, host: string, port: number): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    const [url, search] = (req.url ?? '/').split('?');
    if (url === '/' || url === '/index.html') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': STATUS_PAGE_CSP,
        'cache-control': 'no-store',
      });
      res.end(STATUS_PAGE_HTML);
      return;
    }
    if (url === '/status.json') {
      respond(res, endpoints.status, (body) => sendJson(res, 200, body, { 'cache-control': 'no-store' }));
      return;
    }
    if (url === '/metrics') {
      respond(res, endpoints.metrics, ({ contentType, text }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(text);
      });
      return;
    }
    if (url === '/healthz') {
      respond(res, endpoints.health, ({ ok, body }) => sendJson(res, ok ? 200 : 503, body));
      return;
    }
    if (url === '/readyz') {
      respond(res, endpoints.ready, ({ ok, body }) => sendJson(res, ok ? 200 : 503, body));
      return;
    }
    const query = url?.startsWith('/state/') ? url.slice('/state/'.length).split('/') : undefined;
    const state = endpoints.state;
    if (query?.length === 2 && state) {
      const redirected = new URLSearchParams(search ?? '').get('redirected') === '1';
      respond(
        res,
        () => {
          let store: string;
          let key: string;
          try {
            store = decodeURIComponent(query[0]!);
            key = decodeURIComponent(query[1]!);
          } catch {
            return { status: 400, body: { error: 'the store name and key must be URL-encoded UTF-8' } };
          }
          return state(store, key, redirected);
        },
        (answer: StateQueryAnswer) =>
          sendJson(res, answer.status, answer.body, {
            'cache-control': 'no-store',
            ...(answer.location ? { location: answer.location } : {}),
          }),
      );
      return;
    }
    if (url === '/stats') {
      respond(res, endpoints.stats, (body) => sendJson(res, 200, body));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /, /status.json, /metrics, /healthz, /readyz, /stats, /state/<store>/<key>\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      endpoints.dispose?.();
      reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        endpoints.dispose?.();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
