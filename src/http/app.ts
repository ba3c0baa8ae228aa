import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { parseTrustProxy } from '../config/config.js';
import { ApiError, errors } from '../errors.js';
import { logStream } from '../logging/logger.js';
import { metricsPlugin } from '../metrics/http.js';
import { storageFailureReason } from '../store/storage-failure.js';
import { clientErrorHandler } from './client-errors.js';
import { resolveDeps, type AppDeps } from './deps.js';
import { failure } from './envelope.js';
import { requestLogController } from './request-log.js';
import { closeConnectionsOnShutdown } from './graceful-close.js';
import { registerJsonParser } from './json-body.js';
import { logSerializers } from './log-redaction.js';
import { pluginsFor } from './routes/index.js';

export type { AppDeps } from './deps.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Sends the envelope; HTTP status equals code unless the always-200 setting is on. */
    envelope(code: number, body: unknown): FastifyReply;
  }
}

/** Builds the HTTP application without listening; server.ts listens, tests use inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const resolved = resolveDeps(deps);
  const { config } = resolved;
  const given = deps.logger;
  const isInstance = typeof given === 'object' && given !== null && typeof (given as { info?: unknown }).info === 'function';
  const app: FastifyInstance = Fastify({
    http2: false,
    ...(isInstance
      ? { loggerInstance: given as FastifyBaseLogger }
      : {
          logger: given ?? {
            level: config.logLevel,
            serializers: logSerializers,
            redact: { paths: ['req.headers.authorization', 'appSecret', '*.appSecret'], censor: '[redacted]' },
            ...logStream(config),
          },
        }),
    // A hop count is valid at runtime (proxy-addr) though fastify's types omit it.
    trustProxy: parseTrustProxy(config.trustProxy) as boolean | string[],
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: false,
    logController: requestLogController(config),
    // A whole request (headers and body) must arrive in time: a body trickled byte by byte is cut off.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      // how often Node looks for requests past those timeouts (its default, 30 s, would let them overstay)
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    // The router's own refusals (a path segment over 100 characters) answer the envelope, never echoing the path.
    frameworkErrors: (err, _req, reply) => {
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? errors.uriTooLong() : errors.param('the request URL cannot be read');
      return sendError(reply, e, config.always200);
    },
    // Node's refusals (a request not received in time, headers over the limit, malformed HTTP) get the
    // envelope too, and the connection is closed.
    clientErrorHandler: clientErrorHandler(config, () => app.log),
  });

  app.decorateReply('envelope', function (this: FastifyReply, code: number, body: unknown) {
    return this.code(config.always200 ? 200 : code).send(body);
  });
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  closeConnectionsOnShutdown(app);
  await app.register(formbody, { bodyLimit: config.bodyLimit });
  registerJsonParser(app);
  for (const type of ['text/csv', 'text/plain', 'application/x-ndjson', 'application/ndjson']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const api = toApiError(err, req.routeOptions.bodyLimit ?? config.bodyLimit);
    if (api.code >= 500) req.log.error({ err }, 'request failed');
    return sendError(reply, api, config.always200);
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
    return sendError(reply, e, config.always200);
  });

  await app.register(metricsPlugin, resolved);
  for (const plugin of pluginsFor(config.roles)) await app.register(plugin, resolved);
  return app;
}

/** The error envelope (not through reply.envelope: the router's own refusals come before any decoration). */
function sendError(reply: FastifyReply, e: ApiError, always200: boolean): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  reply.header('x-error-code', e.errorCode);
  return reply.code(always200 ? 200 : e.code).send(failure(e.code, e.message));
}

function toApiError(err: FastifyError | ApiError, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  const storage = storageFailureReason(err);
  if (storage !== undefined) return errors.storageUnavailable(storage);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(String(err.message.split(': ').pop()));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.param('the request body is not valid JSON');
  }
  if (err instanceof SyntaxError && (err as FastifyError).statusCode === 400) {
    return errors.param('the request body is not valid JSON');
  }
  return errors.internal();
}
