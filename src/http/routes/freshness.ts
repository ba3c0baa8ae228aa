import type { FastifyPluginAsync } from 'fastify';
import { freshness } from '../../service/freshness.js';
import type { ResolvedDeps } from '../deps.js';
import { success } from '../envelope.js';

/** How far behind the stored minutes are (see src/service/freshness.ts); not secret, so it needs no credentials. */
export const freshnessRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  app.get('/freshness', async (_req, reply) => reply.envelope(200, success(await freshness(deps.store, deps.now()))));
};
