import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { summary } from '../../service/summary.js';
import type { ResolvedDeps } from '../app.js';
import { CSV_TYPE, toCsv, wantsCsv, type CsvShape } from '../csv.js';
import { success } from '../envelope.js';
import { signedRefusal } from '../signed-refusal.js';
import { authenticate, limitIp, type Params } from '../signed-request.js';
import type { App } from '../../store/port.js';

export const SUMMARY_PATH = '/live/internal/v3/user/concurrent/yunduo/summary';

/**
 * Registers a signed POLYV endpoint: IP limit, then authentication, then the handler's answer as the
 * success envelope, or as CSV of the given shape when the caller asks for it (src/http/csv.ts). Used by
 * every endpoint of the v3 family.
 */
export function signedRoute(
  app: Parameters<FastifyPluginAsync<ResolvedDeps>>[0],
  deps: ResolvedDeps,
  methods: ('GET' | 'POST')[],
  url: string,
  answer: (app: App, params: Params, req: FastifyRequest) => Promise<unknown>,
  csv: CsvShape,
): void {
  app.route({
    method: methods,
    url,
    onRequest: async (req, reply) => limitIp(deps, req, reply),
    onError: signedRefusal,
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const { app: caller, params } = await authenticate(deps, req, reply);
      if (params.requestId) req.log.info({ clientRequestId: params.requestId }, 'signed call');
      const asCsv = wantsCsv(params, req.headers.accept);
      const data = await answer(caller, params, req);
      if (asCsv) return reply.code(200).type(CSV_TYPE).send(toCsv(data, csv));
      return reply.envelope(200, success(data));
    },
  });
}

export const summaryRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  signedRoute(app, deps, ['GET', 'POST'], SUMMARY_PATH, (caller, params) => summary(deps, caller, params), {
    columns: ['statAt', 'peakCCV', 'pullType'],
  });
};
