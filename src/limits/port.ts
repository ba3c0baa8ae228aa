/**
 * Shared-state ports of the API tier: the rate limiter and the one-time nonce cache. In-process by
 * default; a scaled deployment shares them through Redis so every API server sees the same counts.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** ms until the current window resets */
  resetMs: number;
  /** ms until a blocked key may call again (0 when allowed) */
  retryAfterMs: number;
}

export interface RateRule {
  limit: number;
  windowMs: number;
  /** how long a key stays refused after exceeding the limit; 0 refuses only until the window ends */
  blockMs: number;
}

export interface RateLimiter {
  /** counts a call; an in-process limiter answers at once (every signed call asks twice), a shared one later */
  hit(key: string, rule: RateRule, now: number): RateDecision | Promise<RateDecision>;
  /** answers when a shared backend is reachable (readiness); in-process limiters have none */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

export interface NonceCache {
  /** True when the nonce was not seen before (and is now remembered for ttlMs). */
  claim(key: string, ttlMs: number, now: number): Promise<boolean>;
  close(): Promise<void>;
}
