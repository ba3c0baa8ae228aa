import type { FastifyPluginAsync } from 'fastify';
import { version } from '../../version.js';
import type { ResolvedDeps } from '../deps.js';
import { failure, success } from '../envelope.js';

/** Liveness and readiness: 200 when the store answers, 503 when it does not; the answer names the version. */
export const healthRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  app.get('/healthz', async (req, reply) => {
    try {
      await deps.store.ping();
      return reply.envelope(200, success({ store: deps.store.kind, ok: true, version }));
    } catch (err) {
      req.log.error({ err }, 'store unreachable');
      return reply.envelope(503, failure(503, 'store unreachable'));
    }
  });
};
