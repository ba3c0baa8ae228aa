import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { IngestService } from '../src/ingest/ingest-service.js';
import type { Store } from '../src/store/port.js';
import { fixture, tempStore, testConfig, type Fixture } from './helpers.js';

const T0 = Date.UTC(2024, 0, 15, 4, 0, 30); // 12:00:30 in Shanghai
const M0 = Math.floor(T0 / 60_000);
const LATENESS = 10_000;
const TOKEN = 'global-ingest-token-0001';
const ADMIN = 'admin-token-0001';

interface Harness {
  f: Fixture;
  service: IngestService;
  store: Store;
  clock: { now: number };
  dataDir: string;
}

async function harness(overrides: Record<string, string | number> = {}): Promise<Harness> {
  const settings = { allowedLatenessMs: LATENESS, ingestToken: TOKEN, adminToken: ADMIN, ...overrides };
  const store = tempStore();
  const config = testConfig(settings);
  const clock = { now: T0 };
  const service = await IngestService.open(config, store, { now: () => clock.now, timers: false });
  const f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] }, config: settings, deps: { store, ingest: service } });
  await service.directory.reload();
  return { f, service, store, clock, dataDir: config.dataDir };
}

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' };

async function channelMinutes(store: Store, channelId: string, pullType?: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const s of await store.readCurves('channel', [channelId], M0 - 1440, M0 + 1440, pullType)) {
    for (const [i, v] of Array.from(s.values).entries()) if (v > 0) out.set(s.start + i, (out.get(s.start + i) ?? 0) + v);
  }
  return out;
}

describe('POST /v1/heartbeats', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.service.stop();
    await h.f.close();
  });

  it('accepts valid heartbeats and refuses each bad one with its index and reason', async () => {
    const ts = T0 - 10_000;
    const lines = [
      ndjson([{ channelId: '100', viewerId: 'v1', ts }]),
      ndjson([{ channelId: 100, viewerId: 'v1', pullType: 'cdn', ts: ts + 1 }]), // duplicate viewer, counts once
      ndjson([{ channelId: '100', viewerId: 'v2', pullType: 'rtc', ts }]),
      '{not json',
      ndjson([{ channelId: '999', viewerId: 'v1', ts }]),
      ndjson([{ channelId: '100', viewerId: 'v1', pullType: 'hls', ts }]),
      ndjson([{ channelId: 'abc', viewerId: 'v1', ts }]),
      ndjson([{ channelId: '100', viewerId: 'has space', ts }]),
      ndjson([{ channelId: '100', viewerId: 'v3', ts: T0 + 61_000 }]),
      ndjson([{ channelId: '100', viewerId: 'v3', ts: T0 - 5 * 60_000 }]),
      '',
      ndjson([{ channelId: '101', viewerId: 'v9' }]), // no ts: server time
    ];
    const res = await h.f.app.inject({ method: 'POST', url: '/v1/heartbeats', headers: auth, payload: lines.join('\n') });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'success');
    assert.equal(body.data.accepted, 4);
    const reasons = Object.fromEntries(body.data.rejected.map((r: { index: number; reason: string }) => [r.index, r.reason]));
    assert.deepEqual(Object.keys(reasons).map(Number), [3, 4, 5, 6, 7, 8, 9]);
    assert.equal(reasons[3], 'not valid JSON');
    assert.equal(reasons[4], 'unknown channel: 999');
    assert.match(reasons[5], /unknown pullType: hls/);
    assert.match(reasons[6], /channelId must be digits/);
    assert.match(reasons[7], /viewerId/);
    assert.match(reasons[8], /future/);
    assert.match(reasons[9], /^late: minute .* is already closed$/);

    assert.equal(h.service.aggregator.count(M0, '100', 'cdn'), 1);
    assert.equal(h.service.aggregator.count(M0, '100', 'rtc'), 1);
    assert.equal(h.service.aggregator.count(M0, '101', 'cdn'), 1);
  });

  it('takes a JSON array, gzip encoded, and refuses a body over the limit after gunzip', async () => {
    const rows = [
      { channelId: '200', viewerId: 'a', ts: T0 },
      { channelId: '200', viewerId: 'b', ts: String(T0) },
      { channelId: '200', viewerId: 'a', ts: T0 + 1 },
    ];
    const res = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify(rows)),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().data, { accepted: 3, rejected: [] });
    assert.equal(h.service.aggregator.count(M0, '200', 'cdn'), 2);

    const bomb = gzipSync(Buffer.alloc(h.f.config.bodyLimit + 1, 0x20));
    const big = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { ...auth, 'content-encoding': 'gzip' },
      payload: bomb,
    });
    assert.equal(big.statusCode, 413);
    assert.match(big.json().message, /too large/);

    const broken = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { ...auth, 'content-encoding': 'gzip' },
      payload: Buffer.from('definitely not gzip'),
    });
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().message, 'param validate error: the request body is not valid gzip');
  });

  it('refuses missing or wrong tokens, and scopes an app token to its own channels', async () => {
    const payload = ndjson([{ channelId: '100', viewerId: 'x', ts: T0 }]);
    const none = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { 'content-type': 'application/x-ndjson' },
      payload,
    });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().message, 'invalid ingest token.');
    const wrong = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { ...auth, authorization: 'Bearer nope' },
      payload,
    });
    assert.equal(wrong.statusCode, 401);

    const other = await h.f.tenancy.createApp({ name: 'other', appId: 'otherapp' });
    await h.f.tenancy.addUser(other.appId, 'o1');
    await h.f.tenancy.addChannel('o1', '300');
    await h.f.tenancy.updateApp(other.appId, { ingestToken: 'other-app-ingest-token' });
    assert.match((await h.store.getApp(other.appId))!.ingestTokenHash!, /^sha256:[0-9a-f]{64}$/, 'only the hash is stored');
    await h.service.directory.reload();
    const scoped = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { ...auth, authorization: 'Bearer other-app-ingest-token' },
      payload: ndjson([
        { channelId: '300', viewerId: 'x', ts: T0 },
        { channelId: '100', viewerId: 'x', ts: T0 },
      ]),
    });
    assert.equal(scoped.statusCode, 200);
    assert.deepEqual(scoped.json().data, { accepted: 1, rejected: [{ index: 1, reason: 'illegal channel id: 100' }] });
  });

  it('finds a channel added after the cache was loaded', async () => {
    await h.f.tenancy.addChannel('u2', '201');
    const res = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: auth,
      payload: ndjson([{ channelId: '201', viewerId: 'late-joiner', ts: T0 }]),
    });
    assert.deepEqual(res.json().data, { accepted: 1, rejected: [] });
  });

  it('answers realtime viewers per channel and per user', async () => {
    const get = (url: string) => h.f.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } });
    assert.deepEqual((await get('/admin/v1/channels/100/realtime')).json().data, { viewers: 2 }); // v1 cdn, v2 rtc
    assert.deepEqual((await get('/admin/v1/channels/100/realtime?pullType=rtc')).json().data, { viewers: 1 });
    assert.deepEqual((await get('/admin/v1/users/u1/realtime')).json().data, { viewers: 3 }); // + v9 on 101
    assert.equal((await get('/admin/v1/channels/555/realtime')).statusCode, 404);
    assert.equal((await get('/admin/v1/users/u1/realtime?pullType=hls')).statusCode, 400);
    const noToken = await h.f.app.inject({ method: 'GET', url: '/admin/v1/users/u1/realtime' });
    assert.equal(noToken.statusCode, 401);
    h.clock.now = T0 + 61_000; // every beat is now older than 60 s
    assert.deepEqual((await get('/admin/v1/users/u1/realtime')).json().data, { viewers: 0 });
    h.clock.now = T0;
  });

  it('writes a minute to the store once closed, and refuses its heartbeats from then on', async () => {
    await h.service.flush();
    assert.equal((await channelMinutes(h.store, '100')).size, 0, 'an open minute is not written');
    h.clock.now = (M0 + 1) * 60_000 + LATENESS; // minute M0 closes exactly now
    await h.service.flush();
    assert.deepEqual([...(await channelMinutes(h.store, '100', 'cdn'))], [[M0, 1]]); // v1 (twice)
    assert.deepEqual([...(await channelMinutes(h.store, '100', 'rtc'))], [[M0, 1]]);
    assert.deepEqual([...(await channelMinutes(h.store, '200'))], [[M0, 2]]);
    const user = await h.store.readCurves('user', ['u1'], M0, M0 + 1);
    assert.equal(
      user.reduce((n, s) => n + (s.values[M0 - s.start] ?? 0), 0),
      3,
    );
    const late = await h.f.app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: auth,
      payload: ndjson([{ channelId: '100', viewerId: 'new', ts: T0 }]),
    });
    assert.match(late.json().data.rejected[0].reason, /^late/);
    assert.equal(h.service.flushedBefore(), M0 + 1);
  });
});

describe('beacon', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.service.stop();
    await h.f.close();
  });

  it('counts GET, text/plain (sendBeacon), JSON and form beacons at server time, answering 204', async () => {
    const get = await h.f.app.inject({
      method: 'GET',
      url: '/v1/beacon?channelId=100&viewerId=g1&pullType=rtc',
      headers: { origin: 'https://player.example' },
    });
    assert.equal(get.statusCode, 204);
    assert.equal(get.body, '');
    assert.equal(get.headers['access-control-allow-origin'], '*');
    const text = await h.f.app.inject({
      method: 'POST',
      url: '/v1/beacon',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify({ channelId: '100', viewerId: 't1', ts: 1 }), // ts ignored: server time
    });
    assert.equal(text.statusCode, 204);
    const json = await h.f.app.inject({ method: 'POST', url: '/v1/beacon', payload: { channelId: 100, viewerId: 'j1' } });
    assert.equal(json.statusCode, 204);
    const form = await h.f.app.inject({
      method: 'POST',
      url: '/v1/beacon',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'channelId=100&viewerId=f1&pullType=cdn',
    });
    assert.equal(form.statusCode, 204);
    // an empty pullType (a pixel URL from a template) is the default, cdn
    const empty = await h.f.app.inject({ method: 'GET', url: '/v1/beacon?channelId=100&viewerId=e1&pullType=' });
    assert.equal(empty.statusCode, 204);
    assert.equal(h.service.aggregator.count(M0, '100', 'cdn'), 4);
    assert.equal(h.service.aggregator.count(M0, '100', 'rtc'), 1);
  });

  it('answers a CORS preflight', async () => {
    const res = await h.f.app.inject({
      method: 'OPTIONS',
      url: '/v1/beacon',
      headers: { origin: 'https://player.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  it('answers 400 naming the problem', async () => {
    const cases: [string, RegExp][] = [
      ['channelId=100', /viewerId is required/],
      ['channelId=7777&viewerId=a', /unknown channel: 7777/],
      ['channelId=100&viewerId=a&pullType=hls', /unknown pullType: hls/],
    ];
    for (const [q, message] of cases) {
      const res = await h.f.app.inject({ method: 'GET', url: `/v1/beacon?${q}` });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /^param validate error: /);
      assert.match(res.json().message, message);
    }
  });
});

describe('restart from the log', () => {
  it('rebuilds open minutes after a stop, skips a torn tail, then writes and compacts', async () => {
    const h = await harness();
    const payload = ndjson(['a', 'b', 'c', 'a'].map((v, i) => ({ channelId: '100', viewerId: v, ts: T0 + i })));
    const res = await h.f.app.inject({ method: 'POST', url: '/v1/heartbeats', headers: auth, payload });
    assert.equal(res.json().data.accepted, 4);
    await h.service.stop(); // M0 is open: stays in the log, nothing written
    await h.f.app.close();
    assert.equal((await channelMinutes(h.store, '100')).size, 0);

    const logDir = path.join(h.dataDir, 'log');
    const segments = fs.readdirSync(logDir).sort();
    fs.appendFileSync(path.join(logDir, segments.at(-1)!), Buffer.from([200, 0, 0, 0, 1, 2, 3])); // a torn frame

    const config = testConfig({ allowedLatenessMs: LATENESS, dataDir: h.dataDir });
    const clock = { now: T0 + 5_000 };
    const again = await IngestService.open(config, h.store, { now: () => clock.now, timers: false });
    assert.equal(again.aggregator.count(M0, '100', 'cdn'), 3);
    assert.equal(await again.channelViewers('100'), 3);
    clock.now = (M0 + 1) * 60_000 + LATENESS;
    await again.flush();
    assert.deepEqual([...(await channelMinutes(h.store, '100'))], [[M0, 3]]);
    assert.equal(fs.readdirSync(logDir).length, 1, 'only the new active segment is left');
    await again.stop();
    await h.store.close();
  });

  it('says the ingest is unavailable when the process does not run it', async () => {
    const f = await fixture({ users: { u1: ['100'] }, config: { ingestToken: TOKEN } });
    const res = await f.app.inject({ method: 'GET', url: '/v1/beacon?channelId=100&viewerId=a' });
    assert.equal(res.statusCode, 503);
    await f.close();
  });
});
