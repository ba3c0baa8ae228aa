/**
 * The shared limiter and nonce cache of a scaled deployment: every API server behind the load balancer
 * counts into the same Redis keys, so a client's quota and a nonce's single use hold across servers.
 * Windows and blocks expire on Redis's clock (PX expiry), not the callers', so servers with skewed clocks
 * still agree; the `now` argument of the ports is not used here.
 */
import { Redis } from 'ioredis';
import type { NonceCache, RateDecision, RateLimiter, RateRule } from './port.js';

/**
 * One round trip, atomic: refuse while the block key lives; otherwise count into a fixed window that
 * expires windowMs after its first hit, and on going over the limit set the block key (when blockMs > 0)
 * for max(blockMs, rest of the window). Returns {allowed, remaining, windowTtlMs, retryAfterMs}.
 */
const HIT_SCRIPT = `
local windowMs = tonumber(ARGV[2])
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = windowMs end
  return {0, 0, ttl, blocked}
end
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], windowMs)
  ttl = windowMs
end
local limit = tonumber(ARGV[1])
if count > limit then
  local blockMs = tonumber(ARGV[3])
  local retry = math.max(blockMs, ttl)
  if blockMs > 0 then redis.call('SET', KEYS[2], '1', 'PX', retry) end
  return {0, 0, ttl, retry}
end
return {1, limit - count, ttl, 0}
`;

export interface RedisLimitsOptions {
  /** prefix of every key, so deployments (and tests) sharing a Redis keep apart */
  prefix?: string;
}

/** Connects and checks the server answers, failing fast with a message naming the server. */
export async function connectRedis(url: string): Promise<Redis> {
  let lastError: Error | undefined;
  // Two retries, then the request fails (a 500) instead of queueing forever while Redis is away.
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000 });
  client.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw new Error(`Redis at ${redactUrl(url)} is not reachable: ${(lastError ?? (e as Error)).message}`, { cause: e });
  }
  return client;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;

  constructor(
    private readonly client: Redis,
    options: RedisLimitsOptions = {},
  ) {
    this.prefix = options.prefix ?? 'live-ccv:';
  }

  static async connect(url: string, options: RedisLimitsOptions = {}): Promise<RedisRateLimiter> {
    return new RedisRateLimiter(await connectRedis(url), options);
  }

  async hit(key: string, rule: RateRule, _now: number): Promise<RateDecision> {
    // The hash tag keeps a key's window and block in one Redis Cluster slot, as a script needs.
    const base = `${this.prefix}rate:{${key}}`;
    const reply = (await this.client.eval(
      HIT_SCRIPT,
      2,
      `${base}:w`,
      `${base}:b`,
      rule.limit,
      rule.windowMs,
      rule.blockMs,
    )) as number[];
    const [allowed = 0, remaining = 0, resetMs = 0, retryAfterMs = 0] = reply;
    return { allowed: allowed === 1, limit: rule.limit, remaining, resetMs, retryAfterMs };
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    await quit(this.client);
  }
}

export class RedisNonceCache implements NonceCache {
  private readonly prefix: string;

  constructor(
    private readonly client: Redis,
    options: RedisLimitsOptions = {},
  ) {
    this.prefix = options.prefix ?? 'live-ccv:';
  }

  static async connect(url: string, options: RedisLimitsOptions = {}): Promise<RedisNonceCache> {
    return new RedisNonceCache(await connectRedis(url), options);
  }

  async claim(key: string, ttlMs: number, _now: number): Promise<boolean> {
    const ok = await this.client.set(`${this.prefix}nonce:${key}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    return ok === 'OK';
  }

  async close(): Promise<void> {
    await quit(this.client);
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect(); // the server is gone already; drop the socket
  }
}

/** Connection errors name the server but never its password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}
