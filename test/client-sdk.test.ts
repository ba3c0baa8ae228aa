import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createClient, PolyvApiError, sign, type FetchLike } from '../src/client/index.js';
import { RealtimeWindow } from '../src/ingest/realtime-window.js';
import { fixture, type Fixture } from './helpers.js';

const AUG17_1014 = Date.parse('2021-08-17T10:14:00+08:00');
const minute = (ms: number) => ms / 60_000;

async function listening(f: Fixture): Promise<string> {
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
}

/** Seeds u1 (channels 100, 101) and u2 (200) so the peak of the sum differs from the sum of peaks. */
async function seed(f: Fixture): Promise<void> {
  const m = minute(AUG17_1014);
  await f.store.setChannelMinutes([
    { channelId: '100', pullType: 'cdn', minute: m, ccv: 2000 },
    { channelId: '101', pullType: 'cdn', minute: m, ccv: 888 },
    { channelId: '200', pullType: 'cdn', minute: m + 5, ccv: 2500 },
    { channelId: '100', pullType: 'rtc', minute: m + 1, ccv: 40 },
  ]);
}

/** Records what the real fetch answered, so a test can see the attempts a call made. */
function recordingFetch(statuses: number[]): FetchLike {
  return async (url, init) => {
    const res = await fetch(url, init);
    statuses.push(res.status);
    return res;
  };
}

describe('SDK against a listening live-ccv', () => {
  let f: Fixture;
  let baseUrl: string;
  before(async () => {
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] } });
    await seed(f);
    baseUrl = await listening(f);
  });
  after(() => f.close());

  const client = (extra: Partial<Parameters<typeof createClient>[0]> = {}) =>
    createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, ...extra });

  test('summary over GET: one item per pull type, the peak of the sum', async () => {
    const data = await client().summary({ users: ['u1', 'u2'], start: '2021-08-01', end: '2021-08-31' });
    assert.deepEqual(data, [
      { statAt: AUG17_1014, peakCCV: '2888', pullType: 'cdn' },
      { statAt: AUG17_1014 + 60_000, peakCCV: '40', pullType: 'rtc' },
    ]);
  });

  test('summary over form POST, SHA256, a comma string of users and a requestId', async () => {
    const data = await client({ method: 'POST', signatureMethod: 'SHA256', baseUrl: `${baseUrl}/` }).summary(
      { users: 'u2', start: '2021-08-17', end: '2021-08-17' },
      { requestId: 'req-42' },
    );
    assert.deepEqual(data, [{ statAt: AUG17_1014 + 5 * 60_000, peakCCV: '2500', pullType: 'cdn' }]);
  });

  test('no data in range: an empty array', async () => {
    assert.deepEqual(await client().summary({ users: 'u1', start: '2021-09-01', end: '2021-09-02' }), []);
  });

  test('wrong secret: PolyvApiError 403 with the server request id, not retried', async () => {
    const statuses: number[] = [];
    const c = client({ appSecret: 'not-the-right-secret', fetch: recordingFetch(statuses) });
    const err = await c.summary({ users: 'u1', start: '2021-08-01', end: '2021-08-02' }).catch((e: unknown) => e);
    assert.ok(err instanceof PolyvApiError);
    assert.equal(err.code, 403);
    assert.equal(err.httpStatus, 403);
    assert.equal(err.message, 'invalid signature.');
    assert.match(err.requestId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(statuses, [403]);
  });

  test("another app's user and a bad date: the catalogue's codes and messages", async () => {
    await assert.rejects(client().summary({ users: 'nobody', start: '2021-08-01', end: '2021-08-02' }), {
      name: 'PolyvApiError',
      code: 403,
      message: 'illegal user id: nobody',
    });
    await assert.rejects(client().summary({ users: 'u1', start: '2021-02-30', end: '2021-03-01' }), (e: unknown) => {
      assert.ok(e instanceof PolyvApiError);
      assert.equal(e.code, 400);
      assert.match(e.message, /^param validate error: start/);
      return true;
    });
  });

  test('unknown app over an unknown path', async () => {
    await assert.rejects(client().call('/live/v3/nothing/here', {}), { code: 404, httpStatus: 404 });
    await assert.rejects(client({ appId: 'ghost' }).summary({ users: 'u1', start: '2021-08-01', end: '2021-08-01' }), {
      code: 400,
      message: 'application not found.',
    });
  });

  test('the re-exported sign matches POLYV test vector', () => {
    const params = {
      appId: 'g4rqgmmjuo',
      channelIds: '2477096,2272655',
      startDay: '2022-05-20',
      endDay: '2022-06-18',
      timestamp: '1660270926732',
      page: null,
    };
    assert.equal(sign(params, 'fsq2k5weced1h8vui657xtdva66whf0g'), '0D2BDA2FD04D93A2B8832B91FD973C4D');
  });
});

describe('SDK: the v3 concurrency family', () => {
  let f: Fixture;
  let c: ReturnType<typeof createClient>;
  before(async () => {
    // The real "now" window, fed real heartbeats, standing where the ingest service plugs in.
    const window = new RealtimeWindow();
    const now = Date.now();
    for (const viewerId of ['a', 'b', 'c']) window.add({ channelId: '100', viewerId, pullType: 'cdn', ts: now }, now);
    window.add({ channelId: '101', viewerId: 'd', pullType: 'rtc', ts: now }, now);
    window.add({ channelId: '200', viewerId: 'e', pullType: 'cdn', ts: now }, now);
    const realtime = {
      channelViewers: async (id: string, p?: string) => window.count(id, Date.now(), p),
      channelsViewers: async (ids: readonly string[], p?: string) =>
        ids.reduce((n, id) => n + window.count(id, Date.now(), p), 0),
    };
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] }, deps: { realtime } });
    await seed(f);
    c = createClient({ baseUrl: await listening(f), appId: f.caller.appId, appSecret: f.caller.appSecret });
  });
  after(() => f.close());
  const day = { startDate: '2021-08-17', endDate: '2021-08-17' };
  const at = (items: { minute: string; viewers: number }[], minute: string) => items.find((i) => i.minute === minute)?.viewers;

  test('channelConcurrence: every minute of the day, all pull types unless narrowed', async () => {
    const all = await c.channelConcurrence({ channelId: '100', ...day });
    assert.equal(all.length, 1440);
    assert.deepEqual(all[614], { day: '2021-08-17', minute: '10:14', viewers: 2000 });
    assert.equal(at(all, '10:15'), 40);
    const rtc = await c.channelConcurrence({ channelId: '100', ...day, pullType: 'rtc' });
    assert.deepEqual([at(rtc, '10:14'), at(rtc, '10:15')], [0, 40]);
  });

  test('channelMaxHistoryConcurrent: the peak between two instants, Date or epoch ms', async () => {
    const hour = 3_600_000;
    assert.equal(
      await c.channelMaxHistoryConcurrent({
        channelId: '100',
        startTime: AUG17_1014 - hour,
        endTime: new Date(AUG17_1014 + hour),
      }),
      2000,
    );
    assert.equal(
      await c.channelMaxHistoryConcurrent({
        channelId: '100',
        startTime: AUG17_1014 - hour,
        endTime: AUG17_1014 + hour,
        pullType: 'rtc',
      }),
      40,
    );
  });

  test('channelsConcurrence: minutes within a day, daily peaks across days', async () => {
    const minutes = await c.channelsConcurrence({ channelIds: ['100', '101'], ...day });
    assert.equal(at(minutes, '10:14'), 2888);
    const days = await c.channelsConcurrence({ channelIds: '100,101,200', startDate: '2021-08-16', endDate: '2021-08-18' });
    assert.deepEqual(days, [
      { day: '2021-08-16', minute: '00:00', viewers: 0 },
      { day: '2021-08-17', minute: '00:00', viewers: 2888 },
      { day: '2021-08-18', minute: '00:00', viewers: 0 },
    ]);
    await assert.rejects(c.channelsConcurrence({ channelIds: 'abc', ...day }), { code: 400, message: 'param is not digit: abc' });
    await assert.rejects(c.channelsConcurrence({ channelIds: '100,999', ...day }), {
      code: 403,
      message: 'illegal channel id: 999',
    });
  });

  test("userConcurrence: the user's channels summed; userId needed when the app has several", async () => {
    const u1 = await c.userConcurrence({ userId: 'u1', ...day });
    assert.deepEqual([at(u1, '10:14'), at(u1, '10:15'), at(u1, '10:19')], [2888, 40, 0]);
    await assert.rejects(
      c.userConcurrence(day),
      (e: unknown) => e instanceof PolyvApiError && e.code === 400 && /userId is required/.test(e.message),
    );
  });

  test('userRealtimeConcurrence: viewers now, optionally of one pull type', async () => {
    assert.equal(await c.userRealtimeConcurrence({ userId: 'u1' }), 4);
    assert.equal(await c.userRealtimeConcurrence({ userId: 'u1', pullType: 'rtc' }), 1);
    assert.equal(await c.userRealtimeConcurrence({ userId: 'u2' }), 1);
  });
});

describe('SDK retries', () => {
  test('429 with Retry-After: waits, re-signs with a fresh nonce, then succeeds', async () => {
    const f = await fixture({ users: { u1: ['100'] }, config: { appLimit: 1, rateWindowMs: 1000 } });
    try {
      await seed(f);
      const baseUrl = await listening(f);
      const statuses: number[] = [];
      const c = createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, fetch: recordingFetch(statuses) });
      const q = { users: 'u1', start: '2021-08-17', end: '2021-08-17' };
      await c.summary(q);
      const second = await c.summary(q);
      assert.equal(second[0]?.peakCCV, '2000');
      // A replayed nonce would have been refused with 403 after the 429 consumed it.
      assert.deepEqual(statuses, [200, 429, 200]);

      const impatient = createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, retries: 0 });
      const err = await impatient
        .summary(q)
        .then(() => impatient.summary(q))
        .catch((e: unknown) => e);
      assert.ok(err instanceof PolyvApiError);
      assert.equal(err.code, 429);
      assert.equal(err.message, 'qps exceeds number of calls');
      assert.equal(err.retryAfterS, 1);

      // A server asking for a longer wait than the caller accepts gets an immediate error.
      const capped = createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, maxRetryAfterMs: 100 });
      await assert.rejects(capped.summary(q), { code: 429 });
    } finally {
      await f.close();
    }
  });

  test('429 inside an always-200 envelope is retried too; errors keep code and HTTP status apart', async () => {
    const f = await fixture({ users: { u1: ['100'] }, config: { appLimit: 1, rateWindowMs: 1000, always200: true } });
    try {
      const baseUrl = await listening(f);
      const statuses: number[] = [];
      const c = createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, fetch: recordingFetch(statuses) });
      const q = { users: 'u1', start: '2021-08-17', end: '2021-08-17' };
      await c.summary(q);
      assert.deepEqual(await c.summary(q), []);
      assert.deepEqual(statuses, [200, 200, 200]);
      const wrong = createClient({ baseUrl, appId: f.caller.appId, appSecret: 'wrong-wrong-wrong-wrong' });
      await new Promise((r) => setTimeout(r, 1000));
      await assert.rejects(wrong.summary(q), { code: 403, httpStatus: 200 });
    } finally {
      await f.close();
    }
  });

  test('a 503 page from a proxy in front is retried, then the real answer comes through', async () => {
    const f = await fixture({ users: { u1: ['100'] } });
    await seed(f);
    const upstream = await listening(f);
    let refused = 0;
    // A flaky load balancer: refuses the first request with an HTML page, then forwards to live-ccv.
    const proxy = http.createServer((req, res) => {
      if (refused++ === 0) {
        res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
        return;
      }
      fetch(`${upstream}${req.url}`).then(async (r) => {
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const baseUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const c = createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, backoffMs: 10 });
      const data = await c.summary({ users: 'u1', start: '2021-08-17', end: '2021-08-17' });
      assert.equal(data[0]?.peakCCV, '2000');
      assert.equal(refused, 2);

      const once = createClient({ baseUrl, appId: f.caller.appId, appSecret: f.caller.appSecret, retries: 0 });
      refused = 0;
      const err = await once.summary({ users: 'u1', start: '2021-08-17', end: '2021-08-17' }).catch((e: unknown) => e);
      assert.ok(err instanceof PolyvApiError);
      assert.equal(err.code, 503);
      assert.match(err.message, /not a JSON envelope: <html><body>503 Service Unavailable/);
    } finally {
      proxy.close();
      await f.close();
    }
  });

  test('no answer: a timeout and a refused connection are PolyvApiError code 0 after the retries', async () => {
    const silent = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const slow = createClient({
        baseUrl: `http://127.0.0.1:${port}`,
        appId: 'a',
        appSecret: 's',
        timeoutMs: 100,
        retries: 1,
        backoffMs: 10,
      });
      const err = await slow.userRealtimeConcurrence().catch((e: unknown) => e);
      assert.ok(err instanceof PolyvApiError);
      assert.equal(err.code, 0);
      assert.match(
        err.message,
        /^request timed out after 100 ms: GET http:\/\/127\.0\.0\.1:\d+\/live\/v3\/user\/statistics\/realtime-concurrence$/,
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    const refused = createClient({ baseUrl: `http://127.0.0.1:${port}`, appId: 'a', appSecret: 's', retries: 2, backoffMs: 5 });
    await assert.rejects(refused.userRealtimeConcurrence(), (e: unknown) => {
      assert.ok(e instanceof PolyvApiError);
      assert.equal(e.code, 0);
      assert.match(e.message, /request failed: GET .*ECONNREFUSED/);
      return true;
    });
  });

  test('a caller abort stops the call without retrying', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const c = createClient({
        baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        appId: 'a',
        appSecret: 's',
      });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(c.userRealtimeConcurrence({}, { signal: ac.signal }), { code: 0, message: /^request aborted/ });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('bad options are refused at construction', () => {
    assert.throws(() => createClient({ baseUrl: 'localhost:8080', appId: 'a', appSecret: 's' }), /baseUrl must be/);
    assert.throws(() => createClient({ baseUrl: 'http://x', appId: '', appSecret: 's' }), /appId is required/);
    assert.throws(() => createClient({ baseUrl: 'http://x', appId: 'a', appSecret: 's', retries: -1 }), /retries must be/);
  });
});
