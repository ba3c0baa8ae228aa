import type { FastifyReply, FastifyRequest } from 'fastify';
import { sign, signatureMatches } from '../auth/sign.js';
import type { Config } from '../config/config.js';
import { errors } from '../errors.js';
import type { NonceCache, RateDecision, RateLimiter } from '../limits/port.js';
import type { App, Store } from '../store/port.js';

export type Params = Record<string, string>;

export interface SignedDeps {
  config: Config;
  store: Store;
  limiter: RateLimiter;
  nonces: NonceCache;
  now: () => number;
}

const TIMESTAMP = /^\d{13}$/;

/** First value of each parameter; arrays from repeated names keep the first, like a servlet's getParameter. */
function flatten(source: unknown, into: Params): void {
  if (!source || typeof source !== 'object') return;
  for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
    if (k in into) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined || first === null) continue;
    into[k] = typeof first === 'object' ? JSON.stringify(first) : String(first);
  }
}

/**
 * Splits a request into its signed parameters and its business parameters (docs/api.md):
 * GET signs the query; a form POST signs query and form together; a JSON POST signs the query only and
 * takes business parameters from the unsigned body as well.
 */
export function requestParams(req: FastifyRequest): { signed: Params; all: Params } {
  const signed: Params = {};
  flatten(req.query, signed);
  const type = String(req.headers['content-type'] ?? '');
  if (req.method === 'POST' && type.includes('application/x-www-form-urlencoded')) flatten(req.body, signed);
  const all: Params = { ...signed };
  if (req.method === 'POST' && type.includes('json')) flatten(req.body, all);
  return { signed, all };
}

/** The rate-limit headers of the tighter of the decisions so far (IP, then app). */
export function setRateHeaders(reply: FastifyReply, d: RateDecision): void {
  const current = reply.getHeader('x-ratelimit-remaining');
  if (current !== undefined && d.remaining >= Number(current)) return;
  reply.headers({
    'x-ratelimit-limit': String(d.limit),
    'x-ratelimit-remaining': String(d.remaining),
    'x-ratelimit-reset': String(Math.ceil(d.resetMs / 1000)),
  });
}

/** Per client IP limit, run before anything else on the signed API. */
export async function limitIp(deps: SignedDeps, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { config } = deps;
  const d = await deps.limiter.hit(
    `ip:${req.ip}`,
    { limit: config.ipLimit, windowMs: config.rateWindowMs, blockMs: config.rateBlockMs },
    deps.now(),
  );
  setRateHeaders(reply, d);
  if (!d.allowed) throw errors.rateLimited(d.retryAfterMs / 1000);
}

/**
 * Authenticates a signed API call, checking in the contract's order: appId, application, timestamp,
 * signature, nonce; then the app's own quota. Returns the app and every parameter of the request.
 */
export async function authenticate(
  deps: SignedDeps,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<{ app: App; params: Params }> {
  const { signed, all } = requestParams(req);
  const appId = signed.appId;
  if (!appId) throw errors.appIdRequired();
  const app = await deps.store.getApp(appId);
  if (!app?.enabled) throw errors.appNotFound();

  const now = deps.now();
  const ts = signed.timestamp;
  if (!ts || !TIMESTAMP.test(ts) || Math.abs(now - Number(ts)) > deps.config.timestampWindowMs) {
    throw errors.invalidTimestamp();
  }

  const method = (signed.signatureMethod ?? 'MD5').toUpperCase();
  const presented = signed.sign;
  if (!presented || (method !== 'MD5' && method !== 'SHA256')) throw errors.invalidSignature();
  if (!signatureMatches(presented, sign(signed, app.appSecret, method))) throw errors.invalidSignature();

  const nonce = signed.signatureNonce;
  if (nonce) {
    // Remembered for twice the window: a timestamp may be that far from another accepted one.
    const fresh = await deps.nonces.claim(`${app.appId}:${nonce}`, 2 * deps.config.timestampWindowMs, now);
    if (!fresh) throw errors.nonceReused(nonce);
  }

  const d = await deps.limiter.hit(
    `app:${app.appId}`,
    { limit: app.rateLimit ?? deps.config.appLimit, windowMs: deps.config.rateWindowMs, blockMs: 0 },
    now,
  );
  setRateHeaders(reply, d);
  if (!d.allowed) throw errors.rateLimited(d.retryAfterMs / 1000);

  return { app, params: all };
}
