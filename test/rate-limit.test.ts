/** Rate limits of docs/api.md: per client IP with a block period, per app quota, headers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, query, signed } from './helpers.js';

const PATH = '/live/internal/v3/user/concurrent/yunduo/summary';
const params = { users: 'u1', start: '2021-08-01', end: '2021-08-01' };

test('per IP: over the limit is 429 "qps exceeds number of calls" with Retry-After, then blocked', async () => {
  let now = Date.now();
  const f = await fixture({
    users: { u1: [] },
    config: { ipLimit: 3, rateWindowMs: 10_000, rateBlockMs: 300_000 },
    deps: { now: () => now },
  });
  try {
    const call = (ip = '10.0.0.1') =>
      f.app.inject({
        method: 'GET',
        url: `${PATH}?${query(signed(f.caller, { ...params, timestamp: String(now) }))}`,
        remoteAddress: ip,
      });
    for (let i = 0; i < 3; i++) {
      const res = await call();
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-ratelimit-limit'], '3');
      assert.equal(res.headers['x-ratelimit-remaining'], String(2 - i));
      assert.equal(res.headers['x-ratelimit-reset'], '10');
    }
    const refused = await call();
    assert.equal(refused.statusCode, 429);
    assert.deepEqual(refused.json(), { code: 429, status: 'error', message: 'qps exceeds number of calls', data: '' });
    assert.equal(refused.headers['retry-after'], '300');
    assert.equal(refused.headers['x-ratelimit-remaining'], '0');
    // another IP is not affected
    assert.equal((await call('10.0.0.2')).statusCode, 200);
    // a new window does not lift the block
    now += 60_000;
    const still = await call();
    assert.equal(still.statusCode, 429);
    assert.equal(still.headers['retry-after'], '240');
    // after the block period the IP may call again
    now += 241_000;
    assert.equal((await call()).statusCode, 200);
    // unauthenticated requests count against the IP too: they are what a flood looks like
    for (let i = 0; i < 3; i++) await f.app.inject({ method: 'GET', url: `${PATH}?appId=x`, remoteAddress: '10.0.0.3' });
    assert.equal((await call('10.0.0.3')).statusCode, 429);
  } finally {
    await f.close();
  }
});

test('per app quota, configurable per app, refuses without blocking beyond the window', async () => {
  let now = Date.now();
  const f = await fixture({ users: { u1: [] }, config: { appLimit: 100 }, deps: { now: () => now } });
  try {
    await f.tenancy.updateApp(f.caller.appId, { rateLimit: 2 });
    const call = (ip: string) =>
      f.app.inject({
        method: 'GET',
        url: `${PATH}?${query(signed(f.caller, { ...params, timestamp: String(now) }))}`,
        remoteAddress: ip,
      });
    assert.equal((await call('10.0.0.1')).statusCode, 200);
    const second = await call('10.0.0.2');
    assert.equal(second.statusCode, 200);
    assert.equal(second.headers['x-ratelimit-limit'], '2');
    assert.equal(second.headers['x-ratelimit-remaining'], '0');
    const refused = await call('10.0.0.3');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().message, 'qps exceeds number of calls');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    now += 10_001;
    assert.equal((await call('10.0.0.4')).statusCode, 200);
  } finally {
    await f.close();
  }
});

test('the client IP comes from X-Forwarded-For only behind a trusted proxy', async () => {
  const direct = await fixture({ users: { u1: [] }, config: { ipLimit: 1 } });
  const proxied = await fixture({ users: { u1: [] }, config: { ipLimit: 1, trustProxy: '127.0.0.1' } });
  try {
    const call = (f: typeof direct, xff: string) =>
      f.app.inject({
        method: 'GET',
        url: `${PATH}?${query(signed(f.caller, params))}`,
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': xff },
      });
    // untrusted: the header is ignored, both calls come from 127.0.0.1
    assert.equal((await call(direct, '1.1.1.1')).statusCode, 200);
    assert.equal((await call(direct, '2.2.2.2')).statusCode, 429);
    // trusted: each forwarded client has its own budget
    assert.equal((await call(proxied, '1.1.1.1')).statusCode, 200);
    assert.equal((await call(proxied, '2.2.2.2')).statusCode, 200);
    assert.equal((await call(proxied, '1.1.1.1')).statusCode, 429);
  } finally {
    await direct.close();
    await proxied.close();
  }
});
