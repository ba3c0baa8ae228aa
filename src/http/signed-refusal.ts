/**
 * What a refused signed call leaves behind: a log line with the refusal as the client saw it
 * (`invalid signature.`, `illegal user id: X`) and what helps a partner find their signing mistake (the
 * names of the parameters that arrived, their timestamp against server time), and a count by reason in
 * /metrics. Never the sign, the secret or business parameter values.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { metrics } from '../metrics/metrics.js';
import { signedRefusalReason } from '../metrics/reasons.js';
import { requestParams } from '../auth/signed-request.js';

/** Authentication and ownership refusals are what a partner asks about: warn. Bad parameters and rate limits are routine: info. */
const WARN = new Set([
  'app_id_required',
  'app_not_found',
  'invalid_timestamp',
  'invalid_signature',
  'nonce_reused',
  'illegal_user',
  'illegal_channel',
]);

export function signedRefusal(req: FastifyRequest, _reply: FastifyReply, err: FastifyError | ApiError, done: () => void): void {
  if (err instanceof ApiError && err.code < 500) {
    const reason = signedRefusalReason(err.errorCode);
    metrics.signedRefusals.inc({ reason });
    let params: Record<string, string> = {};
    try {
      params = requestParams(req).signed;
    } catch {
      // a body that did not parse: the names are unknown
    }
    const ts = Number(params.timestamp);
    const fields = {
      refusal: err.message,
      reason,
      code: err.code,
      errorCode: err.errorCode,
      appId: params.appId,
      params: Object.keys(params).sort().join(','),
      ...(reason === 'invalid_timestamp' && Number.isFinite(ts) ? { timestamp: params.timestamp, skewMs: Date.now() - ts } : {}),
    };
    if (WARN.has(reason)) req.log.warn(fields, 'signed call refused');
    else req.log.info(fields, 'signed call refused');
  }
  done();
}
