/**
 * Every endpoint of the signed POLYV family, registered from the contract: IP limit, then authentication, then the
 * parameters parsed in POLYV's order and the service's answer, as the success envelope or as CSV of the
 * endpoint's shape when the caller asks for it.
 */
import { signedEndpoints } from '@live-ccv/client/contract';
import type { FastifyPluginAsync } from 'fastify';
import { authenticate, limitIp } from '../../auth/signed-request.js';
import { errors } from '../../errors.js';
import { signedCaller } from '../../service/signed.js';
import { CSV_TYPE, toCsv, wantsCsv } from '../csv.js';
import type { ResolvedDeps } from '../deps.js';
import { success } from '../envelope.js';
import { signedRefusal } from '../signed-refusal.js';

export const signedRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const call = signedCaller(deps);
  for (const endpoint of signedEndpoints) {
    app.route({
      method: [...endpoint.methods],
      url: endpoint.path,
      onRequest: (req, reply, done) => {
        let limited: void | Promise<void>;
        try {
          limited = limitIp(deps, req, reply);
        } catch (e) {
          done(e as Error);
          return;
        }
        if (limited) limited.then(() => done(), done);
        else done();
      },
      onError: signedRefusal,
      handler: async (req, reply) => {
        const { app: caller, params } = await authenticate(deps, req, reply);
        const { requestId, format } = params;
        if (typeof requestId === 'string' && requestId) req.log.info({ clientRequestId: requestId }, 'signed call');
        if (format !== undefined && typeof format !== 'string') throw errors.param('format must be a single value, not a list');
        const asCsv = wantsCsv(format, req.headers.accept);
        const data = await call(endpoint.name, caller, params);
        if (asCsv) return reply.code(200).type(CSV_TYPE).send(toCsv(data, endpoint.csv));
        return reply.envelope(200, success(data));
      },
    });
  }
};
