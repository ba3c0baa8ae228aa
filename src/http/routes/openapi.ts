import type { FastifyPluginAsync } from 'fastify';
import type { ResolvedDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';

/**
 * The API description; plain JSON (not an envelope) so that OpenAPI tools read it as is. Made on the first request,
 * not at start: generating it from the contract's schemas is a noticeable part of a process's start-up.
 */
export const openapiRoutes: FastifyPluginAsync<ResolvedDeps> = async (app) => {
  let text: string | undefined;
  app.get('/openapi.json', async (_req, reply) => {
    text ??= JSON.stringify(openApiDocument());
    return reply.code(200).type('application/json; charset=utf-8').send(text);
  });
};
