/**
 * Authentication of POLYV-signed calls (docs/api.md, Signing): which parameters are signed, and the checks in the
 * catalogue's order (appId, application, timestamp, signature, nonce), then the app's quota.
 */
import { APP_ID, type RawParams } from '@live-ccv/client/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { errors } from '../errors.js';
import type { NonceCache, RateDecision, RateLimiter } from '../limits/port.js';
import type { App, TenancyStore } from '../store/port.js';
import { sign, signatureMatches } from './sign.js';

export interface SignedDeps {
  config: Config;
  store: Pick<TenancyStore, 'getApp'>;
  limiter: RateLimiter;
  nonces: NonceCache;
  now: () => number;
}

const TIMESTAMP = /^\d{13}$/;

/**
 * Query and form values: the first of repeated names, as a servlet's getParameter reads them (a signature covers
 * one value per name).
 */
function fromQueryOrForm(source: unknown, into: Record<string, string>): void {
  if (!source || typeof source !== 'object') return;
  const values = source as Record<string, unknown>;
  for (const k of Object.keys(values)) {
    if (k in into) continue;
    const v = values[k];
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') into[k] = first;
  }
}

/**
 * JSON body values: text, numbers and booleans as text, a list (array of text or numbers) as a list; anything
 * nested is refused by name, never stringified.
 */
function fromJsonBody(body: unknown, into: Record<string, string | readonly string[]>): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw errors.param('the JSON body must be an object of parameters');
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k in into || v === undefined || v === null) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') into[k] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) into[k] = v.map(String);
    else throw errors.param(`${k} must be a string, a number or a list of them`);
  }
}

/**
 * Splits a request into its signed parameters and all of its parameters: GET signs the query; a form POST signs
 * query and form together; a JSON POST signs the query only and takes business parameters from the unsigned body
 * as well (query values win over body values of the same name).
 */
export function requestParams(req: FastifyRequest): { signed: Record<string, string>; all: RawParams } {
  const signed: Record<string, string> = {};
  fromQueryOrForm(req.query, signed);
  const type = String(req.headers['content-type'] ?? '');
  if (req.method === 'POST' && type.includes('application/x-www-form-urlencoded')) fromQueryOrForm(req.body, signed);
  if (req.method !== 'POST' || !type.includes('json')) return { signed, all: signed };
  const all: Record<string, string | readonly string[]> = { ...signed };
  fromJsonBody(req.body, all);
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

/**
 * Per client IP limit, run before anything else on the signed API: at once with an in-process limiter (no promise
 * on every call's path), else when the shared limiter answers.
 */
export function limitIp(deps: SignedDeps, req: FastifyRequest, reply: FastifyReply): void | Promise<void> {
  const { config } = deps;
  const d = deps.limiter.hit(
    `ip:${req.ip}`,
    { limit: config.ipLimit, windowMs: config.rateWindowMs, blockMs: config.rateBlockMs },
    deps.now(),
  );
  return d instanceof Promise ? d.then((decided) => applyLimit(reply, decided)) : applyLimit(reply, d);
}

/** A decision's headers, and its refusal when it refuses. */
function applyLimit(reply: FastifyReply, d: RateDecision): void {
  setRateHeaders(reply, d);
  if (!d.allowed) throw errors.rateLimited(d.retryAfterMs / 1000);
}

/**
 * Authenticates a signed API call, checking in the contract's order: appId, application, timestamp, signature,
 * nonce; then the app's own quota. Returns the app and every parameter of the request.
 */
export async function authenticate(
  deps: SignedDeps,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<{ app: App; params: RawParams }> {
  const { signed, all } = requestParams(req);
  const appId = signed.appId;
  if (!appId) throw errors.appIdRequired();
  // An id that cannot exist is not looked up: both stores answer the same, whatever bytes it holds.
  if (!APP_ID.test(appId)) throw errors.appNotFound();
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

  const hit = deps.limiter.hit(
    `app:${app.appId}`,
    { limit: app.rateLimit ?? deps.config.appLimit, windowMs: deps.config.rateWindowMs, blockMs: 0 },
    now,
  );
  applyLimit(reply, hit instanceof Promise ? await hit : hit);

  return { app, params: all };
}
