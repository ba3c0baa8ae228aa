import type { FastifyPluginAsync } from 'fastify';
import type { ResolvedDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';

/** The API description; plain JSON (not an envelope) so that OpenAPI tools read it as is. */
export const openapiRoutes: FastifyPluginAsync<ResolvedDeps> = async (app) => {
  const text = JSON.stringify(openApiDocument());
  app.get('/openapi.json', async (_req, reply) => reply.code(200).type('application/json; charset=utf-8').send(text));
};
