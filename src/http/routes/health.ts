import type { FastifyPluginAsync } from 'fastify';
import { version } from '../../version.js';
import type { ResolvedDeps } from '../deps.js';
import { failure, success } from '../envelope.js';

/**
 * Liveness and readiness, on every role: 200 when the store answers and the ingest's parts (the NATS
 * connection of a cluster process) are healthy, 503 naming the problem otherwise; the answer names the version.
 */
export const healthRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  app.get('/healthz', async (req, reply) => {
    try {
      await deps.store.ping();
    } catch (err) {
      req.log.error({ err }, 'store unreachable');
      return reply.envelope(503, failure(503, 'store unreachable'));
    }
    const ingest = deps.health?.();
    if (ingest?.problem) return reply.envelope(503, failure(503, ingest.problem));
    const data = {
      store: deps.store.kind,
      ok: true,
      version,
      roles: deps.config.roles,
      ...(ingest ? { ingest: ingest.detail } : {}),
    };
    return reply.envelope(200, success(data));
  });
};
