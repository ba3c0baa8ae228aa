import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { parseTrustProxy, type Config } from '../config/config.js';
import { ApiError, errors } from '../errors.js';
import { MemoryNonceCache, MemoryRateLimiter } from '../limits/memory.js';
import type { NonceCache, RateLimiter } from '../limits/port.js';
import type { HeartbeatIngest, Realtime } from '../ingest/realtime-port.js';
import type { Store } from '../store/port.js';
import { failure } from './envelope.js';
import { requestLogController } from './request-log.js';
import { routePlugins } from './routes/index.js';

export interface AppDeps {
  config: Config;
  store: Store;
  limiter?: RateLimiter;
  nonces?: NonceCache;
  now?: () => number;
  /** pino options or an existing logger; tests pass false */
  logger?: FastifyServerOptions['logger'];
  /** the heartbeat collector, present when this process runs the ingest; it is also the realtime source */
  ingest?: HeartbeatIngest;
  /** "now" viewer counts; defaults to the ingest */
  realtime?: Realtime;
}

export type ResolvedDeps = Required<Omit<AppDeps, 'logger' | 'realtime' | 'ingest'>> & Pick<AppDeps, 'realtime' | 'ingest'>;

declare module 'fastify' {
  interface FastifyReply {
    /** Sends the envelope; HTTP status equals code unless the always-200 setting is on. */
    envelope(code: number, body: unknown): FastifyReply;
  }
}

/** Builds the HTTP application without listening; server.ts listens, tests use inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const resolved: ResolvedDeps = {
    config: deps.config,
    store: deps.store,
    limiter: deps.limiter ?? new MemoryRateLimiter(),
    nonces: deps.nonces ?? new MemoryNonceCache(),
    now: deps.now ?? Date.now,
    ingest: deps.ingest,
    realtime: deps.realtime ?? deps.ingest,
  };
  const { config } = resolved;
  const app: FastifyInstance = Fastify({
    http2: false,
    logger: deps.logger ?? {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'appSecret', '*.appSecret'], censor: '[redacted]' },
    },
    // A hop count is valid at runtime (proxy-addr) though fastify's types omit it.
    trustProxy: parseTrustProxy(config.trustProxy) as boolean | string[],
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: false,
    logController: requestLogController(config),
  });

  app.decorateReply('envelope', function (this: FastifyReply, code: number, body: unknown) {
    return this.code(config.always200 ? 200 : code).send(body);
  });
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  await app.register(formbody, { bodyLimit: config.bodyLimit });
  for (const type of ['text/csv', 'text/plain', 'application/x-ndjson', 'application/ndjson']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const api = toApiError(err, config.bodyLimit);
    if (api.code >= 500) req.log.error({ err }, 'request failed');
    for (const [k, v] of Object.entries(api.headers)) reply.header(k, v);
    return reply.envelope(api.code, failure(api.code, api.message));
  });

  const known: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+')}/?$`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    known.push({ pattern, methods: new Set(methods) });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const e = known.some((k) => k.pattern.test(path))
      ? errors.methodNotAllowed(req.method, path)
      : errors.notFound(`${req.method} ${path}`);
    return reply.envelope(e.code, failure(e.code, e.message));
  });

  for (const plugin of routePlugins) await app.register(plugin, resolved);
  return app;
}

function toApiError(err: FastifyError | ApiError, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(String(err.message.split(': ').pop()));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.param('the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.param('the request body is not valid JSON');
  }
  if (err instanceof SyntaxError && (err as FastifyError).statusCode === 400) {
    return errors.param('the request body is not valid JSON');
  }
  return errors.internal();
}
