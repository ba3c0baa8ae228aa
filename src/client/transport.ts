/**
 * One signed call to a POLYV-compatible host: sign with a fresh timestamp and nonce on every attempt
 * (a retried request must not be refused as a replay), time out, and retry what is worth retrying with
 * exponential backoff and jitter, waiting at least as long as the server's Retry-After says.
 */
import { randomUUID } from 'node:crypto';
import { sign, type SignatureMethod } from '../auth/sign.js';
import { PolyvApiError } from './errors.js';

export type HttpMethod = 'GET' | 'POST';
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type ParamValue = string | number | boolean | undefined | null;

export interface TransportOptions {
  /** e.g. http://127.0.0.1:8080 or https://api.polyv.net */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** per attempt; default 10000 */
  timeoutMs?: number;
  /** attempts after the first; default 3 */
  retries?: number;
  /** default globalThis.fetch */
  fetch?: FetchLike;
  /** GET (query string, the default) or POST (application/x-www-form-urlencoded, everything signed) */
  method?: HttpMethod;
  /** MD5 (default, sent implicitly) or SHA256 (sent as signatureMethod) */
  signatureMethod?: SignatureMethod;
  /** first backoff step; default 200 ms, doubling per attempt */
  backoffMs?: number;
  /** ceiling of one backoff step; default 5000 ms */
  maxBackoffMs?: number;
  /** a Retry-After longer than this is not waited for: the error is thrown at once; default 30000 ms */
  maxRetryAfterMs?: number;
}

export interface CallOptions {
  method?: HttpMethod;
  signal?: AbortSignal;
  /** sent as the signed `requestId` parameter, which the server echoes in its logs */
  requestId?: string;
}

interface Envelope {
  code: number;
  status?: string;
  message?: string;
  data?: unknown;
  requestId?: string;
}

const isEnvelope = (v: unknown): v is Envelope =>
  typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'number';

/** Seconds from a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, (at - now) / 1000) : undefined;
}

export class Transport {
  private readonly base: string;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: TransportOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (!options.appId) throw new TypeError('appId is required');
    if (!options.appSecret) throw new TypeError('appSecret is required');
    this.base = options.baseUrl.replace(/\/+$/, '');
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no fetch implementation: pass options.fetch');
    this.fetchImpl = f;
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs, 10_000);
    this.retries = nonNegative('retries', options.retries, 3);
  }

  /** Calls `path` with the business parameters and returns the envelope's data. */
  async call<T>(path: string, business: Record<string, ParamValue>, call: CallOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.once(path, business, call)) as T;
      } catch (e) {
        if (!(e instanceof PolyvApiError) || !e.retryable || attempt >= this.retries || call.signal?.aborted) throw e;
        const wait = this.delayMs(attempt, e.retryAfterS);
        if (wait === undefined) throw e;
        await sleep(wait, call.signal);
      }
    }
  }

  /** The delay before attempt+1, or undefined when the server asks for a longer wait than we accept. */
  private delayMs(attempt: number, retryAfterS: number | undefined): number | undefined {
    const step = Math.min(this.options.maxBackoffMs ?? 5000, (this.options.backoffMs ?? 200) * 2 ** attempt);
    const backoff = step / 2 + Math.random() * (step / 2);
    if (retryAfterS === undefined) return backoff;
    const asked = retryAfterS * 1000;
    if (asked > (this.options.maxRetryAfterMs ?? 30_000)) return undefined;
    // A little jitter on top so that clients refused together do not all come back in the same instant.
    return asked + Math.random() * Math.min(250, step);
  }

  private signedParams(business: Record<string, ParamValue>, call: CallOptions): Record<string, string> {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(business)) {
      if (v !== undefined && v !== null && String(v) !== '') params[k] = String(v);
    }
    params.appId = this.options.appId;
    params.timestamp = String(Date.now());
    params.signatureNonce = randomUUID().replace(/-/g, '');
    if (this.options.signatureMethod === 'SHA256') params.signatureMethod = 'SHA256';
    if (call.requestId) params.requestId = call.requestId;
    params.sign = sign(params, this.options.appSecret);
    return params;
  }

  private async once(path: string, business: Record<string, ParamValue>, call: CallOptions): Promise<unknown> {
    const method = call.method ?? this.options.method ?? 'GET';
    const form = new URLSearchParams(this.signedParams(business, call)).toString();
    const url = `${this.base}${path.startsWith('/') ? path : `/${path}`}`;
    const init: RequestInit =
      method === 'GET'
        ? { method, headers: { accept: 'application/json' } }
        : {
            method,
            headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          };

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    let text: string;
    try {
      if (call.signal?.aborted) throw new Error('aborted');
      res = await this.fetchImpl(method === 'GET' ? `${url}?${form}` : url, { ...init, signal: controller.signal });
      text = await res.text();
    } catch (cause) {
      const message = timedOut
        ? `request timed out after ${this.timeoutMs} ms: ${method} ${url}`
        : call.signal?.aborted
          ? `request aborted: ${method} ${url}`
          : `request failed: ${method} ${url}: ${describe(cause)}`;
      throw new PolyvApiError({ code: 0, httpStatus: 0, message, cause });
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
    return this.decode(res, text, `${method} ${url}`);
  }

  private decode(res: Response, text: string, what: string): unknown {
    const headerId = res.headers.get('x-request-id') ?? undefined;
    const retryAfterS = parseRetryAfter(res.headers.get('retry-after'));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isEnvelope(body)) {
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 120);
      throw new PolyvApiError({
        code: res.status,
        httpStatus: res.status,
        message: `unexpected answer to ${what} (HTTP ${res.status}), not a JSON envelope${snippet ? `: ${snippet}` : ''}`,
        requestId: headerId,
        retryAfterS,
      });
    }
    const requestId = typeof body.requestId === 'string' ? body.requestId : headerId;
    if (body.code !== 200 || (body.status !== undefined && body.status !== 'success')) {
      throw new PolyvApiError({
        code: body.code,
        httpStatus: res.status,
        message: body.message || `request failed with code ${body.code}`,
        requestId,
        retryAfterS,
      });
    }
    return body.data;
  }
}

function nonNegative(name: string, value: number | undefined, def: number): number {
  if (value === undefined) return def;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
