/**
 * Which requests are logged. fastify's default, two info lines per request, costs a large share of a small
 * request's time (docs/benchmarks.md measures it), so the default (`notable`) logs only the requests worth
 * reading, one line each with the request id, status and time: server errors (the error handler also logs
 * their stack), refusals (4xx) and slow requests. `all` restores fastify's lines, `off` logs none of these.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { redactUrl } from './log-redaction.js';

class NotableRequests extends LogController {
  constructor(private readonly slowMs: number) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const ms = reply.elapsedTime;
    const status = reply.statusCode;
    if (!error && status < 400 && ms < this.slowMs) return;
    // the URL as the request serializer shows it: signatures, nonces, tokens and secrets redacted
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      statusCode: status,
      responseTime: Math.round(ms * 10) / 10,
    };
    if (error || status >= 500) reply.log.error({ ...line, err: error ?? undefined }, 'request failed');
    else if (ms >= this.slowMs) reply.log.warn(line, 'slow request');
    else reply.log.info(line, 'request refused');
  }
}

export function requestLogController(config: Pick<Config, 'requestLog' | 'slowRequestMs'>): LogController | undefined {
  if (config.requestLog === 'all') return undefined;
  if (config.requestLog === 'off') return new LogController({ disableRequestLogging: true });
  return new NotableRequests(config.slowRequestMs);
}
