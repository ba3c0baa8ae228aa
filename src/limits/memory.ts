import type { NonceCache, RateDecision, RateLimiter, RateRule } from './port.js';

const SWEEP_EVERY = 10_000;

/** Fixed-window counter per key, with a block period once a key goes over its limit. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly blocked = new Map<string, number>();
  private hits = 0;

  hit(key: string, rule: RateRule, now: number): RateDecision {
    if (++this.hits % SWEEP_EVERY === 0) this.sweep(now, rule.windowMs);
    const until = this.blocked.get(key);
    let w = this.windows.get(key);
    if (!w || now - w.start >= rule.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    const resetMs = w.start + rule.windowMs - now;
    if (until !== undefined && until > now) {
      return { allowed: false, limit: rule.limit, remaining: 0, resetMs, retryAfterMs: until - now };
    }
    if (until !== undefined) this.blocked.delete(key);
    w.count++;
    if (w.count > rule.limit) {
      const retryAt = Math.max(now + rule.blockMs, w.start + rule.windowMs);
      if (rule.blockMs > 0) this.blocked.set(key, retryAt);
      return { allowed: false, limit: rule.limit, remaining: 0, resetMs, retryAfterMs: retryAt - now };
    }
    return { allowed: true, limit: rule.limit, remaining: rule.limit - w.count, resetMs, retryAfterMs: 0 };
  }

  private sweep(now: number, windowMs: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= windowMs) this.windows.delete(k);
    for (const [k, until] of this.blocked) if (until <= now) this.blocked.delete(k);
  }

  async close(): Promise<void> {}
}

export class MemoryNonceCache implements NonceCache {
  private readonly seen = new Map<string, number>();
  private claims = 0;

  async claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    if (++this.claims % SWEEP_EVERY === 0) {
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    }
    const exp = this.seen.get(key);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(key, now + ttlMs);
    return true;
  }

  async close(): Promise<void> {}
}
