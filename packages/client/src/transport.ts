/**
 * Calls to a POLYV-compatible host: each attempt is built afresh (a signed call gets a new timestamp and nonce, so a
 * retried request is never refused as a replay), timed out, and retried when worth it with exponential backoff and
 * jitter, waiting at least as long as the server's Retry-After says. Runtime-neutral: fetch, AbortController and
 * crypto.getRandomValues exist in Node 20 and in browsers.
 */
import { PolyvApiError } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type ParamValue = string | number | boolean | undefined | null;

export interface TransportOptions {
  /** e.g. http://127.0.0.1:8080 or https://api.polyv.net */
  baseUrl: string;
  /** per attempt; default 10000 */
  timeoutMs?: number;
  /** attempts after the first; default 3 */
  retries?: number;
  /** default globalThis.fetch */
  fetch?: FetchLike;
  /** first backoff step; default 200 ms, doubling per attempt */
  backoffMs?: number;
  /** ceiling of one backoff step; default 5000 ms */
  maxBackoffMs?: number;
  /** a Retry-After longer than this is not waited for: the error is thrown at once; default 30000 ms */
  maxRetryAfterMs?: number;
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
  /** sent as the signed `requestId` parameter, which the server echoes in its logs */
  requestId?: string;
}

/** One attempt's request, built anew for every attempt. */
export interface Attempt {
  method: HttpMethod;
  /** path and query, below the base URL */
  path: string;
  headers?: Record<string, string>;
  body?: string;
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

/** 32 random hex characters, from the platform's CSPRNG. */
export function randomNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export class Transport {
  readonly base: string;
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
    this.base = options.baseUrl.replace(/\/+$/, '');
    const f = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof f !== 'function') throw new TypeError('no fetch implementation: pass options.fetch');
    this.fetchImpl = f;
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs, 10_000);
    this.retries = nonNegative('retries', options.retries, 3);
  }

  /** Sends the attempts `build` makes until one succeeds or fails for good; returns the envelope's data. */
  async send<T>(build: () => Attempt, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.once(build(), signal)) as T;
      } catch (e) {
        if (!(e instanceof PolyvApiError) || !e.retryable || attempt >= this.retries || signal?.aborted) throw e;
        const wait = this.delayMs(attempt, e.retryAfterS);
        if (wait === undefined) throw e;
        await sleep(wait, signal);
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

  private async once(a: Attempt, signal: AbortSignal | undefined): Promise<unknown> {
    const url = `${this.base}${a.path.startsWith('/') ? a.path : `/${a.path}`}`;
    const what = `${a.method} ${url.split('?')[0]}`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    let text: string;
    try {
      if (signal?.aborted) throw new Error('aborted');
      const init: RequestInit = {
        method: a.method,
        headers: { accept: 'application/json', ...a.headers },
        signal: controller.signal,
      };
      if (a.body !== undefined) init.body = a.body;
      res = await this.fetchImpl(url, init);
      text = await res.text();
    } catch (cause) {
      const message = timedOut
        ? `request timed out after ${this.timeoutMs} ms: ${what}`
        : signal?.aborted
          ? `request aborted: ${what}`
          : `request failed: ${what}: ${describe(cause)}`;
      throw new PolyvApiError({ code: 0, httpStatus: 0, message, cause });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    return decode(res, text, what);
  }
}

function decode(res: Response, text: string, what: string): unknown {
  const headerId = res.headers.get('x-request-id') ?? undefined;
  const errorCode = res.headers.get('x-error-code') ?? undefined;
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
      errorCode,
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
      errorCode,
    });
  }
  return body.data;
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
