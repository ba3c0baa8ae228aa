/**
 * Calls to a POLYV-compatible host made politely enough to run for hours: request starts are spread so
 * that no window holds more than the host's limit (p-throttle, strict sliding window); a 429 pauses every
 * caller sharing the pacer for the Retry-After the host asked (POLYV blocks an offending IP for minutes, so
 * pushing on would only extend the block); 5xx answers, timeouts and network failures are retried with
 * exponential backoff and jitter. Anything else (a refused signature, an illegal channel) is not retried:
 * it fails at once with the host's message.
 */
import pThrottle from 'p-throttle';
import { PolyvApiError } from '../client/index.js';

export type PaceEvent =
  | { kind: 'rate-limited'; what: string; waitMs: number }
  | { kind: 'retry'; what: string; attempt: number; of: number; waitMs: number; error: string };

export interface PaceOptions {
  /** request starts allowed per window (POLYV: 1500 per 10 s per IP; the default stays a little below) */
  limit: number;
  windowMs: number;
  /** attempts after the first for 5xx, timeouts and network errors (429s wait instead, and do not count) */
  retries: number;
  /** first backoff step, doubling per attempt up to 30 s; default 1 s */
  backoffMs?: number;
  /** the longest wait a Retry-After may ask for before the run gives up; default 15 min */
  maxWaitMs?: number;
  /** the wait after a 429 without Retry-After; default one window */
  defaultWaitMs?: number;
  onEvent?: (e: PaceEvent) => void;
}

/** Resolves after `ms`, or at once when the signal aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });

export class Pacer {
  readonly counts = { calls: 0, rateLimited: 0, retries: 0 };
  private pausedUntil = 0;
  private readonly throttled: (fn: () => Promise<unknown>) => Promise<unknown>;
  private readonly stopping = new AbortController();

  constructor(private readonly o: PaceOptions) {
    if (!Number.isInteger(o.limit) || o.limit < 1)
      throw new Error(`the request limit must be a positive integer, got ${o.limit}`);
    this.throttled = pThrottle({ limit: o.limit, interval: o.windowMs, strict: true })((fn: () => Promise<unknown>) => fn());
  }

  /** Ends every wait and retry: calls still running fail at their next wait (the run has failed elsewhere). */
  stop(): void {
    this.stopping.abort();
  }

  /** Runs `fn` (one request) under the pace, retrying what is worth retrying; `what` names it in events and errors. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const signal = this.stopping.signal;
    for (let attempt = 0; ; ) {
      while (Date.now() < this.pausedUntil && !signal.aborted) await sleep(this.pausedUntil - Date.now(), signal);
      if (signal.aborted) throw new Error(`${what}: stopped`);
      try {
        this.counts.calls++;
        return (await this.throttled(fn)) as T;
      } catch (e) {
        if (!(e instanceof PolyvApiError) || !e.retryable) throw e;
        if (e.code === 429 || e.httpStatus === 429) {
          const waitMs = e.retryAfterS !== undefined ? e.retryAfterS * 1000 : (this.o.defaultWaitMs ?? this.o.windowMs);
          if (waitMs > (this.o.maxWaitMs ?? 15 * 60_000)) {
            throw new Error(
              `${what}: the host asks to wait ${Math.round(waitMs / 1000)} s (Retry-After), longer than this run waits`,
            );
          }
          this.counts.rateLimited++;
          this.pausedUntil = Math.max(this.pausedUntil, Date.now() + waitMs);
          this.o.onEvent?.({ kind: 'rate-limited', what, waitMs });
          continue;
        }
        attempt++;
        if (attempt > this.o.retries) throw e;
        const step = Math.min(30_000, (this.o.backoffMs ?? 1000) * 2 ** (attempt - 1));
        const waitMs = Math.round(step / 2 + (Math.random() * step) / 2);
        this.counts.retries++;
        if (signal.aborted) throw e;
        this.o.onEvent?.({ kind: 'retry', what, attempt, of: this.o.retries, waitMs, error: describe(e) });
        await sleep(waitMs, signal);
      }
    }
  }
}

/** The host's refusal in one line, keeping its code and request id (for a ticket with the host). */
export function describe(e: unknown): string {
  if (!(e instanceof PolyvApiError)) return e instanceof Error ? e.message : String(e);
  const detail = [e.code ? `code ${e.code}` : '', e.requestId ? `request ${e.requestId}` : ''].filter(Boolean).join(', ');
  return detail ? `${e.message} (${detail})` : e.message;
}
