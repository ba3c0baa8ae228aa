import type { Config } from '../config/config.js';
import { MemoryNonceCache, MemoryRateLimiter } from './memory.js';
import type { NonceCache, RateLimiter } from './port.js';
import type { RedisNonceCache } from './redis.js';

export interface Limits {
  limiter: RateLimiter;
  nonces: NonceCache;
  close(): Promise<void>;
}

/**
 * In-process limits for a single server; Redis when LIVE_CCV_REDIS_URL is set, which several API servers
 * behind one load balancer need so that a client cannot multiply its quota or replay a nonce by landing
 * on another server.
 */
export async function openLimits(config: Pick<Config, 'redisUrl' | 'redisPrefix'>): Promise<Limits> {
  if (!config.redisUrl) {
    const limiter = new MemoryRateLimiter();
    const nonces = new MemoryNonceCache();
    return { limiter, nonces, close: async () => {} };
  }
  // loaded only when configured: a single server never loads the Redis client
  const { RedisNonceCache, RedisRateLimiter } = await import('./redis.js');
  const options = { prefix: config.redisPrefix };
  const limiter = await RedisRateLimiter.connect(config.redisUrl, options);
  let nonces: RedisNonceCache;
  try {
    nonces = await RedisNonceCache.connect(config.redisUrl, options);
  } catch (e) {
    await limiter.close();
    throw e;
  }
  return {
    limiter,
    nonces,
    close: async () => {
      await Promise.all([limiter.close(), nonces.close()]);
    },
  };
}
