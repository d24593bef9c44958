/**
 * HTTP endpoints: /metrics (Prometheus text), /healthz (liveness: the event loop answers and the
 * consume loop returned recently), /readyz (running and given an assignment by the group, possibly empty),
 * /stats (the engine snapshot), / (live status page), /status.json (what the page polls) and, with
 * keyed state, /state/<store>/<key> (the key's current value, answered by its partition's owner).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineView } from './engine-view.js';
import { StatusTracker } from './status.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

/** A consume loop silent for longer than this is considered stuck. */
export const LIVENESS_THRESHOLD_MS = 60_000;

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(engine: EngineView, host: string, port: number): Promise<HttpServer> {
  // Listens from the start, so the page's event list includes the first assignment.
  const status = new StatusTracker(engine);
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
      status
        .read()
        .then((body) => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        })
        .catch((error: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(error.message);
        });
      return;
    }
    if (url === '/metrics') {
      engine.metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': engine.metrics.registry.contentType });
          res.end(text);
        })
        .catch((error: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(error.message);
        });
      return;
    }
    if (url === '/healthz') {
      const idle = engine.consumeLoopIdleMs;
      const state = engine.lifecycle;
      const ok = state !== 'closed' && (state !== 'running' || idle < LIVENESS_THRESHOLD_MS);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok, state, consumeLoopIdleMs: idle }));
      return;
    }
    if (url === '/readyz') {
      const stats = engine.snapshot();
      // Not ready while keyed state is restored: a query would miss what is being read back.
      const ok = stats.state === 'running' && engine.joinedGroup && stats.restoringPartitions === 0;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      const { assignedPartitions, restoringPartitions } = stats;
      res.end(JSON.stringify({ ok, state: stats.state, assignedPartitions, restoringPartitions }));
      return;
    }
    const query = url?.startsWith('/state/') ? url.slice('/state/'.length).split('/') : undefined;
    if (query?.length === 2 && engine.queryState) {
      let answer: { status: number; body: Record<string, unknown>; location?: string };
      const redirected = new URLSearchParams(search ?? '').get('redirected') === '1';
      try {
        answer = engine.queryState(decodeURIComponent(query[0]!), decodeURIComponent(query[1]!), redirected);
      } catch {
        answer = { status: 400, body: { error: 'the store name and key must be URL-encoded UTF-8' } };
      }
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...(answer.location ? { location: answer.location } : {}),
      });
      res.end(JSON.stringify(answer.body));
      return;
    }
    if (url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(engine.snapshot()));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /, /status.json, /metrics, /healthz, /readyz, /stats, /state/<store>/<key>\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      status.dispose();
      reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        status.dispose();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
