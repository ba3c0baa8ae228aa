/**
 * One contract for the rate limiter and the nonce cache, run against the in-process implementations and
 * against Redis (LIVE_CCV_TEST_REDIS_URL), each test under its own key prefix. "Peers" are two API servers:
 * in-process they share nothing by design, so the memory peer is the same instance; on Redis a peer is a
 * second connection, and the counts must be shared. An unreachable Redis fails the suite, never skips it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { MemoryNonceCache, MemoryRateLimiter } from '../src/limits/memory.js';
import { openLimits } from '../src/limits/open.js';
import type { NonceCache, RateLimiter, RateRule } from '../src/limits/port.js';
import { RedisNonceCache, RedisRateLimiter, connectRedis } from '../src/limits/redis.js';
import { fixture, query, signed } from './helpers.js';

const REDIS_URL = process.env.LIVE_CCV_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

interface Limits {
  limiter: RateLimiter;
  nonces: NonceCache;
}
interface Adapter {
  name: string;
  /** the limits of one API server, and of a second server of the same deployment */
  open(): Promise<{ self: Limits; peer(): Promise<Limits>; close(): Promise<void> }>;
}

const memory: Adapter = {
  name: 'memory',
  async open() {
    const self = { limiter: new MemoryRateLimiter(), nonces: new MemoryNonceCache() };
    return { self, peer: async () => self, close: async () => {} };
  },
};

const redis: Adapter = {
  name: 'redis',
  async open() {
    const prefix = `live-ccv-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
    const opened: Limits[] = [];
    const connect = async () => {
      const limits = {
        limiter: await RedisRateLimiter.connect(REDIS_URL, { prefix }),
        nonces: await RedisNonceCache.connect(REDIS_URL, { prefix }),
      };
      opened.push(limits);
      return limits;
    };
    const self = await connect();
    return {
      self,
      peer: connect,
      close: async () => {
        for (const l of opened) await Promise.all([l.limiter.close(), l.nonces.close()]);
      },
    };
  },
};

const hitAll = (limiter: RateLimiter, key: string, rule: RateRule, n: number) =>
  Promise.all(Array.from({ length: n }, () => limiter.hit(key, rule, Date.now())));

for (const adapter of [memory, redis]) {
  describe(`limits contract: ${adapter.name}`, () => {
    const it = (name: string, body: (self: Limits, peer: () => Promise<Limits>) => Promise<void>) =>
      test(name, async () => {
        const db = await adapter.open();
        try {
          await body(db.self, db.peer);
        } finally {
          await db.close();
        }
      });

    it('allows up to the limit, counting down, then refuses', async ({ limiter }) => {
      const rule = { limit: 3, windowMs: 60_000, blockMs: 0 };
      for (let i = 0; i < 3; i++) {
        const d = await limiter.hit('ip:a', rule, Date.now());
        assert.equal(d.allowed, true);
        assert.equal(d.limit, 3);
        assert.equal(d.remaining, 2 - i);
        assert.equal(d.retryAfterMs, 0);
        assert.ok(d.resetMs > 0 && d.resetMs <= 60_000, `resetMs ${d.resetMs}`);
      }
      const refused = await limiter.hit('ip:a', rule, Date.now());
      assert.equal(refused.allowed, false);
      assert.equal(refused.remaining, 0);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000, `retryAfterMs ${refused.retryAfterMs}`);
      assert.equal((await limiter.hit('ip:b', rule, Date.now())).allowed, true, 'keys count separately');
    });

    it('without a block period, refuses only until the window ends', async ({ limiter }) => {
      const rule = { limit: 1, windowMs: 200, blockMs: 0 };
      assert.equal((await limiter.hit('app:x', rule, Date.now())).allowed, true);
      const refused = await limiter.hit('app:x', rule, Date.now());
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs <= 200, `retryAfterMs ${refused.retryAfterMs}`);
      await sleep(300);
      assert.equal((await limiter.hit('app:x', rule, Date.now())).allowed, true);
    });

    it('keeps an offender blocked past the window for the block period', async ({ limiter }) => {
      const rule = { limit: 1, windowMs: 200, blockMs: 1500 };
      await limiter.hit('ip:c', rule, Date.now());
      const refused = await limiter.hit('ip:c', rule, Date.now());
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 200 && refused.retryAfterMs <= 1500, `retryAfterMs ${refused.retryAfterMs}`);
      await sleep(300); // a new window has begun, the block has not ended
      const still = await limiter.hit('ip:c', rule, Date.now());
      assert.equal(still.allowed, false);
      assert.ok(still.retryAfterMs > 0 && still.retryAfterMs < refused.retryAfterMs, `retryAfterMs ${still.retryAfterMs}`);
      await sleep(1400);
      assert.equal((await limiter.hit('ip:c', rule, Date.now())).allowed, true);
    });

    it('counts exactly under concurrent hits from several servers', async ({ limiter }, peer) => {
      const other = (await peer()).limiter;
      const rule = { limit: 25, windowMs: 60_000, blockMs: 0 };
      const decisions = (
        await Promise.all([hitAll(limiter, 'app:shared', rule, 20), hitAll(other, 'app:shared', rule, 20)])
      ).flat();
      assert.equal(decisions.filter((d) => d.allowed).length, 25);
      const remaining = decisions
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((a, b) => a - b);
      assert.deepEqual(
        remaining,
        Array.from({ length: 25 }, (_, i) => i),
        'every allowed hit saw its own count',
      );
    });

    it('accepts a nonce once, on any server, until it expires', async ({ nonces }, peer) => {
      const other = (await peer()).nonces;
      assert.equal(await nonces.claim('app1:n1', 60_000, Date.now()), true);
      assert.equal(await nonces.claim('app1:n1', 60_000, Date.now()), false);
      assert.equal(await other.claim('app1:n1', 60_000, Date.now()), false);
      assert.equal(await nonces.claim('app2:n1', 60_000, Date.now()), true, 'nonces are per key');

      const race = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? other : nonces).claim('app1:n2', 60_000, Date.now())));
      assert.equal(race.filter(Boolean).length, 1);

      assert.equal(await nonces.claim('app1:short', 150, Date.now()), true);
      await sleep(250);
      assert.equal(await other.claim('app1:short', 150, Date.now()), true, 'an expired nonce may be used again');
    });
  });
}

describe('choosing the limits from configuration', () => {
  test('in-process without LIVE_CCV_REDIS_URL, Redis with it', async () => {
    const local = await openLimits(loadConfig({}));
    assert.ok(local.limiter instanceof MemoryRateLimiter);
    assert.ok(local.nonces instanceof MemoryNonceCache);
    await local.close();

    const shared = await openLimits(loadConfig({ LIVE_CCV_REDIS_URL: REDIS_URL }));
    try {
      assert.ok(shared.limiter instanceof RedisRateLimiter);
      assert.ok(shared.nonces instanceof RedisNonceCache);
      const nonce = `open-test-${randomBytes(6).toString('hex')}`;
      assert.equal(await shared.nonces.claim(nonce, 1000, Date.now()), true);
      assert.equal(await shared.nonces.claim(nonce, 1000, Date.now()), false);
    } finally {
      await shared.close();
    }
  });

  test('a bad URL is refused by the configuration check, an unreachable one at connect, naming it', async () => {
    assert.throws(() => loadConfig({ LIVE_CCV_REDIS_URL: 'localhost:6379' }), /LIVE_CCV_REDIS_URL.*redis:\/\//);
    await assert.rejects(
      connectRedis('redis://127.0.0.1:1'),
      /Redis at redis:\/\/127\.0\.0\.1:1 is not reachable: .*ECONNREFUSED/,
    );
  });
});

test('two API servers sharing Redis enforce one IP limit and one nonce use between them', async () => {
  const server = await redis.open();
  const other = await server.peer();
  const f = await fixture({ users: { u1: [] }, config: { ipLimit: 3, rateBlockMs: 60_000 }, deps: server.self });
  const second = await buildApp({ config: f.config, store: f.store, logger: false, ...other });
  try {
    const path = '/live/internal/v3/user/concurrent/yunduo/summary';
    const url = (extra: Record<string, string> = {}) =>
      `${path}?${query(signed(f.caller, { users: 'u1', start: '2021-08-01', end: '2021-08-01', ...extra }))}`;
    const nonce = url({ signatureNonce: randomBytes(8).toString('hex') });
    assert.equal((await f.app.inject({ url: nonce, remoteAddress: '10.9.0.1' })).statusCode, 200);
    const replay = await second.inject({ url: nonce, remoteAddress: '10.9.0.2' });
    assert.equal(replay.statusCode, 403, 'a nonce used on one server is refused by the other');

    const ip = '10.9.0.3';
    assert.equal((await f.app.inject({ url: url(), remoteAddress: ip })).statusCode, 200);
    assert.equal((await second.inject({ url: url(), remoteAddress: ip })).statusCode, 200);
    assert.equal((await f.app.inject({ url: url(), remoteAddress: ip })).statusCode, 200);
    const refused = await second.inject({ url: url(), remoteAddress: ip });
    assert.equal(refused.statusCode, 429, 'the fourth call in the window is over the limit whichever server takes it');
    assert.equal(refused.json().message, 'qps exceeds number of calls');
    assert.ok(Number(refused.headers['retry-after']) > 0);
  } finally {
    await second.close();
    await f.close(); // closes the app; the limits belong to this test
    await server.close();
  }
});
