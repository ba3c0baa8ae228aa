/**
 * Readiness per component: the store, the heartbeat log, the flush of closed minutes (here failing on a
 * really full disk and recovering, with the minutes kept and written exactly once space is back) and the
 * shared limits in Redis; liveness never asks any of them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildApp } from '../src/http/app.js';
import { IngestService } from '../src/ingest/ingest-service.js';
import { RedisNonceCache, RedisRateLimiter } from '../src/limits/redis.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { watchStorage } from '../src/store/storage-watch.js';
import { tempStore, testConfig } from './helpers.js';
import { validated } from './openapi-validate.js';
import { mountSmallFs } from './small-fs.js';

const REDIS_URL = process.env.LIVE_CCV_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const fsys = mountSmallFs(16 * 1024 * 1024);
after(() => fsys.unmount());

test('the flush of closed minutes fails on a full disk, readiness names it, and the minutes are written once space is back', async () => {
  const config = testConfig({ dataDir: path.join(fsys.dir, 'data'), ingestToken: 'ready-ingest-token', allowedLatenessMs: 0 });
  const store = watchStorage(new SqliteStore(path.join(config.dataDir, 'live-ccv.sqlite')));
  const tenancy = new Tenancy(store);
  const app0 = await tenancy.createApp({ name: 'ready' });
  await tenancy.addUser(app0.appId, 'r1');
  await tenancy.addChannel('r1', '900');
  const T = Math.floor(Date.now() / 60_000) * 60_000;
  let now = T + 1_000;
  const ingest = await IngestService.open(config, store, { now: () => now, timers: false });
  const app = await buildApp({ config, store, ingest, logger: false });
  try {
    const beats = Array.from({ length: 50 }, (_, i) => ({ channelId: '900', viewerId: `v${i}`, ts: T + i }));
    assert.equal((await ingest.submit(beats, { scope: { kind: 'global' }, acceptTs: true })).accepted, 50);
    const ready = await validated(app, { method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json().data, {
      ready: true,
      components: { store: { ok: true, detail: 'sqlite' }, heartbeatLog: { ok: true }, minuteFlush: { ok: true } },
    });

    fsys.fill();
    now = T + 61_000; // the minute closes
    await assert.rejects(ingest.flush(), /storage unavailable: disk full \(SQLITE_FULL\)/);
    const failing = await validated(app, { method: 'GET', url: '/readyz' });
    assert.equal(failing.statusCode, 503);
    assert.match(failing.json().message, /minuteFlush: disk full \(SQLITE_FULL\) since /);
    assert.match(failing.json().message, /store: disk full \(SQLITE_FULL\) since /);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);

    fsys.free();
    await ingest.flush();
    const rows = await store.readCurves('channel', ['900'], T / 60_000, T / 60_000 + 1);
    assert.deepEqual(
      rows.map((r) => [r.key, r.start, Array.from(r.values)]),
      [['cdn', T / 60_000, [50]]],
    );
    while ((await app.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await app.close();
    await ingest.stop();
    await store.close();
  }
});

test('shared limits in Redis are a component: ready while Redis answers, not ready once it does not', async () => {
  const prefix = `live-ccv-test:${process.pid}:ready:`;
  const limiter = await RedisRateLimiter.connect(REDIS_URL, { prefix });
  const nonces = await RedisNonceCache.connect(REDIS_URL, { prefix });
  const store = tempStore();
  const app = await buildApp({ config: testConfig(), store, limiter, nonces, logger: false });
  try {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json().data.components.limits, { ok: true });
    await limiter.close();
    const gone = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(gone.statusCode, 503);
    assert.match(gone.json().message, /^not ready: limits: connection to Redis closed/);
  } finally {
    await app.close();
    await nonces.close();
    await store.close();
  }
});
