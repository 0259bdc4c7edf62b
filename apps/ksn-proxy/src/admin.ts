import { HttpError, sendError, sendJson } from '@ksn/service-kit';
import { createServer, type Server } from 'node:http';
import type { ProxyMetrics } from './metrics';
import type { PolicyStore } from './policy-store';

/** The admin listener: `/metrics` (Prometheus), `/healthz` (alive), `/readyz` (a snapshot is loaded, and its age). */
export function createAdminServer(
  metrics: ProxyMetrics,
  store: PolicyStore,
  draining: () => boolean,
): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (e: unknown) => sendError(res, new HttpError('internal_error', String(e))),
      );
    } else if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const index = store.current;
      if (draining()) sendJson(res, 503, { error: 'unavailable', message: 'shutting down' });
      else if (index)
        sendJson(res, 200, {
          status: 'ready',
          snapshotVersion: index.version,
          snapshotAgeSeconds: Math.round((Date.now() - index.generatedAt) / 1000),
        });
      else sendJson(res, 503, { error: 'unavailable', message: 'no policy snapshot loaded yet' });
    } else {
      sendError(res, new HttpError('not_found', 'no such route'));
    }
  });
}
