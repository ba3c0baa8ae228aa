/**
 * The endpoints the dashboard reads, through the real app (fastify inject, answers validated against the served
 * OpenAPI document): compact curves, accounts and viewers now, signed for a partner and under the admin API for an
 * operator; /freshness; /dashboard/settings; and /dashboard without a build.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MINUTE_MS } from '../src/domain/calendar.js';
import { IngestService } from '../src/ingest/ingest-service.js';
import { call, local } from './family-helpers.js';
import { cli, fixture, query, signed, tempDir, tempStore, testConfig, type Fixture } from './helpers.js';
import { validated } from './openapi-validate.js';

const ADMIN = 'admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
const CURVE = '/live/ccv/v1/summary/curve';
const CHANNELS = '/live/ccv/v1/channels/curve';
const TZ = 'Asia/Shanghai';

interface Curve {
  timeZone: string;
  from: number;
  minutes: number;
  days: { day: string; index: number }[];
  series: { pullType: string; peakCCV: string; statAt: number; values: number[]; shares: { id: string; viewers: number }[] }[];
}

describe('curves, accounts and viewers now: signed and admin', () => {
  let f: Fixture;
  let other: { appId: string; appSecret: string };
  const t0 = local('2024-03-10 20:00', TZ);
  before(async () => {
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] }, config: { adminToken: ADMIN } });
    other = await f.tenancy.createApp({ name: 'other', appId: 'otherapp', appSecret: 'other-secret-0123456789' });
    await f.tenancy.addUser('otherapp', 'x1');
    await f.tenancy.addChannel('x1', '900');
    await f.store.setChannelMinutes([
      { channelId: '100', pullType: 'cdn', minute: t0, ccv: 5 },
      { channelId: '101', pullType: 'cdn', minute: t0, ccv: 2 },
      { channelId: '200', pullType: 'cdn', minute: t0 + 1, ccv: 9 },
      { channelId: '200', pullType: 'cdn', minute: t0, ccv: 1 },
      { channelId: '100', pullType: 'rtc', minute: t0 + 1440, ccv: 4 },
      { channelId: '900', pullType: 'cdn', minute: t0, ccv: 50 },
    ]);
  });
  after(() => f.close());

  it('answers the summary curve with the summary peaks, each user at the peak, by GET and by signed form POST', async () => {
    const params = { users: 'u1,u2', start: '2024-03-10', end: '2024-03-11' };
    const got = await call(f, CURVE, params);
    assert.equal(got.status, 200);
    const curve = got.body.data as Curve;
    assert.equal(curve.timeZone, TZ);
    assert.equal(curve.from, local('2024-03-10 00:00', TZ) * MINUTE_MS);
    assert.equal(curve.minutes, 2 * 1440);
    assert.deepEqual(curve.days, [
      { day: '2024-03-10', index: 0 },
      { day: '2024-03-11', index: 1440 },
    ]);
    const summary = await call(f, '/live/internal/v3/user/concurrent/yunduo/summary', params);
    assert.deepEqual(
      curve.series.map(({ statAt, peakCCV, pullType }) => ({ statAt, peakCCV, pullType })),
      summary.body.data,
    );
    const cdn = curve.series[0]!;
    assert.equal(cdn.values[20 * 60], 8);
    assert.equal(cdn.values[20 * 60 + 1], 9);
    assert.deepEqual(cdn.shares, [
      { id: 'u1', viewers: 0 },
      { id: 'u2', viewers: 9 },
    ]);
    assert.deepEqual(curve.series[1]!.shares, [
      { id: 'u1', viewers: 4 },
      { id: 'u2', viewers: 0 },
    ]);

    const form = new URLSearchParams(signed(f.caller, { ...params, pullType: 'rtc' })).toString();
    const posted = await validated(f.app, {
      method: 'POST',
      url: CURVE,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form,
    });
    assert.equal(posted.statusCode, 200);
    assert.deepEqual(
      (posted.json().data as Curve).series.map((s) => s.pullType),
      ['rtc'],
    );
  });

  it('answers curves as CSV rows of minute, pull type and viewers', async () => {
    const got = await call(f, CHANNELS, { channelIds: '200', start: '2024-03-10', end: '2024-03-10', format: 'csv' });
    assert.equal(got.status, 200);
    const lines = got.text.trimEnd().split('\r\n');
    assert.equal(lines[0], 'minute,pullType,viewers');
    assert.equal(lines.length, 1 + 1440);
    assert.equal(lines[1 + 20 * 60 + 1], `${(t0 + 1) * MINUTE_MS},cdn,9`);
  });

  it('refuses what the summary refuses, and accounts of another application', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      [CURVE, { users: 'u1,x1', start: '2024-03-10', end: '2024-03-10' }, 403, 'illegal user id: x1'],
      [CURVE, { users: 'u1', start: '2024-03-11', end: '2024-03-10' }, 400, 'param validate error: start is after end'],
      [
        CURVE,
        { users: 'u1', start: '2024-01-01', end: '2024-04-02' },
        400,
        'param validate error: the range spans 93 days, at most 92 are allowed',
      ],
      [
        CURVE,
        { users: 'u1', start: '2024-03-10', end: '2024-03-10', pullType: 'hls' },
        400,
        'param validate error: pullType must be one of cdn, rtc, p2p, got hls',
      ],
      [CHANNELS, { channelIds: '100,900', start: '2024-03-10', end: '2024-03-10' }, 403, 'illegal channel id: 900'],
      [CHANNELS, { channelIds: '100,abc', start: '2024-03-10', end: '2024-03-10' }, 400, 'param is not digit: abc'],
      [CHANNELS, { start: '2024-03-10', end: '2024-03-10' }, 400, 'param validate error: channelIds is required'],
    ];
    for (const [path, params, status, message] of cases) {
      const got = await call(f, path, params);
      assert.deepEqual([got.status, got.body.message], [status, message], JSON.stringify(params));
    }
  });

  it("lists the caller's own users and channels only", async () => {
    const got = await call(f, '/live/ccv/v1/accounts', {});
    assert.deepEqual(got.body.data, {
      appId: 'testapp01',
      name: 'test',
      users: [
        { userId: 'u1', channels: ['100', '101'] },
        { userId: 'u2', channels: ['200'] },
      ],
    });
    const theirs = await call(f, '/live/ccv/v1/accounts', {}, { caller: other });
    assert.deepEqual(theirs.body.data, { appId: 'otherapp', name: 'other', users: [{ userId: 'x1', channels: ['900'] }] });
    const csv = await call(f, '/live/ccv/v1/accounts', { format: 'csv' });
    assert.equal(csv.text, 'userId,channelId\r\nu1,100\r\nu1,101\r\nu2,200\r\n');
  });

  it('answers freshness null where no ingest has ever closed a minute', async () => {
    const got = await validated(f.app, { method: 'GET', url: '/freshness' });
    assert.equal(got.statusCode, 200);
    assert.deepEqual({ ...got.json().data, now: 0 }, { now: 0, closedBefore: null, lagMs: null });
  });

  it('answers viewers now 503 in a process without the ingest', async () => {
    const got = await call(f, '/live/ccv/v1/realtime', {});
    assert.deepEqual([got.status, got.body.message], [503, 'realtime unavailable']);
  });

  it('has CLI commands: the curve as its peaks in a table, accounts as JSON', async () => {
    const url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    const creds = ['--base-url', url, '--app-id', f.caller.appId, '--app-secret', f.caller.appSecret];
    const curve = await cli([
      'call',
      'summary-curve',
      ...creds,
      '--users',
      'u1,u2',
      '--start',
      '2024-03-10',
      '--end',
      '2024-03-11',
    ]);
    assert.equal(curve.code, 0, curve.stderr);
    const lines = curve.stdout.trim().split('\n');
    assert.match(lines[0]!, /^pullType\s+peakCCV\s+statAt\s+local time \(Asia\/Shanghai\)$/);
    assert.match(lines[2]!, /^cdn\s+9\s+\d{13}\s+2024-03-10 20:01$/);
    assert.match(lines[3]!, /^rtc\s+4\s+\d{13}\s+2024-03-11 20:00$/);
    const accounts = await cli(['call', 'accounts', ...creds, '--json']);
    assert.equal(accounts.code, 0, accounts.stderr);
    assert.equal(JSON.parse(accounts.stdout).users.length, 2);
  });

  it('serves the same views to an operator, for any application by its id', async () => {
    const get = (url: string, headers: Record<string, string> = auth) => validated(f.app, { method: 'GET', url, headers });
    const accounts = await get('/admin/v1/apps/otherapp/accounts');
    assert.deepEqual(accounts.json().data.users, [{ userId: 'x1', channels: ['900'] }]);
    const q = query({ users: 'u1,u2', start: '2024-03-10', end: '2024-03-11' });
    const asOperator = await get(`/admin/v1/apps/testapp01/curves/users?${q}`);
    const asPartner = await call(f, CURVE, { users: 'u1,u2', start: '2024-03-10', end: '2024-03-11' });
    assert.deepEqual(asOperator.json().data, asPartner.body.data);
    const channels = await get(
      `/admin/v1/apps/otherapp/curves/channels?${query({ channelIds: '900', start: '2024-03-10', end: '2024-03-10' })}`,
    );
    assert.equal((channels.json().data as Curve).series[0]!.peakCCV, '50');

    const refusals: [string, Record<string, string>, number, string][] = [
      [`/admin/v1/apps/testapp01/curves/users?${q}`, {}, 401, 'invalid admin token.'],
      [`/admin/v1/apps/nope/curves/users?${q}`, auth, 404, 'application nope not found'],
      [`/admin/v1/apps/otherapp/curves/users?${q}`, auth, 403, 'illegal user id: u1'],
      [
        `/admin/v1/apps/otherapp/curves/channels?${query({ channelIds: 'x', start: '2024-03-10', end: '2024-03-10' })}`,
        auth,
        400,
        'param is not digit: x',
      ],
      ['/admin/v1/apps/otherapp/realtime', auth, 503, 'realtime unavailable'],
    ];
    for (const [url, headers, status, message] of refusals) {
      const res = await get(url, headers);
      assert.deepEqual([res.statusCode, res.json().message], [status, message], url);
    }
  });
});

describe('viewers now and freshness with the ingest running', () => {
  // a fixed clock near real time: signed calls carry the real time in their timestamp
  const now = Date.now();
  let f: Fixture;
  let ingest: IngestService;
  before(async () => {
    const store = tempStore();
    const config = testConfig();
    ingest = await IngestService.open(config, store, { timers: false, now: () => now });
    f = await fixture({
      users: { u1: ['100', '101'], u2: ['200'] },
      config: { adminToken: ADMIN },
      deps: { store, ingest, now: () => now },
    });
  });
  after(async () => {
    await ingest.stop();
    await f.close();
  });

  it('answers freshness: the watermark the ingest has closed and stored, and its lag', async () => {
    await ingest.directory.reload();
    for (const [channelId, viewerId, pullType] of [
      ['100', 'a', 'cdn'],
      ['100', 'b', 'rtc'],
      ['101', 'c', 'cdn'],
      ['200', 'd', 'cdn'],
    ] as const) {
      const res = await f.app.inject({ method: 'GET', url: `/v1/beacon?${query({ channelId, viewerId, pullType })}` });
      assert.equal(res.statusCode, 204);
    }
    const closedBefore = Math.floor((now - f.config.allowedLatenessMs) / MINUTE_MS) * MINUTE_MS;
    const after = await validated(f.app, { method: 'GET', url: '/freshness' });
    assert.deepEqual(after.json().data, { now, closedBefore, lagMs: now - closedBefore });
  });

  it('counts viewers now per channel and user, by pull type, signed and admin', async () => {
    const expected = {
      at: now,
      users: [
        { userId: 'u1', viewers: 3, byPullType: { cdn: 2, rtc: 1 } },
        { userId: 'u2', viewers: 1, byPullType: { cdn: 1 } },
      ],
      channels: [
        { channelId: '100', userId: 'u1', viewers: 2, byPullType: { cdn: 1, rtc: 1 } },
        { channelId: '101', userId: 'u1', viewers: 1, byPullType: { cdn: 1 } },
        { channelId: '200', userId: 'u2', viewers: 1, byPullType: { cdn: 1 } },
      ],
    };
    const signedCall = await call(f, '/live/ccv/v1/realtime', {});
    assert.deepEqual(signedCall.body.data, expected, signedCall.body.message);
    const admin = await validated(f.app, { method: 'GET', url: '/admin/v1/apps/testapp01/realtime', headers: auth });
    assert.deepEqual(admin.json().data, expected);
    const csv = await call(f, '/live/ccv/v1/realtime', { format: 'csv' });
    assert.equal(csv.text, 'userId,channelId,viewers\r\nu1,100,2\r\nu1,101,1\r\nu2,200,1\r\n');
  });
});

describe('the dashboard routes', () => {
  it('answers the settings, and 503 for the page when the server has no build', async () => {
    const empty = tempDir();
    const f = await fixture({ config: { dashboardDir: empty, timeZone: 'Europe/Berlin', pullTypes: 'cdn,hls', maxDays: 31 } });
    try {
      const settings = await validated(f.app, { method: 'GET', url: '/dashboard/settings' });
      assert.deepEqual(
        { ...settings.json().data, version: undefined },
        {
          version: undefined,
          timeZone: 'Europe/Berlin',
          pullTypes: ['cdn', 'hls'],
          maxDays: 31,
          maxUsers: 1000,
          adminApi: false,
        },
      );
      const page = await validated(f.app, { method: 'GET', url: '/dashboard' });
      assert.equal(page.statusCode, 503);
      assert.equal(page.json().message, 'dashboard (not built: run npm run build, or set LIVE_CCV_DASHBOARD_DIR) unavailable');
      assert.ok(!page.body.includes(empty), 'the answer must not show the server file system');
      const asset = await validated(f.app, { method: 'GET', url: '/dashboard/assets/index.js' });
      assert.equal(asset.statusCode, 404);
    } finally {
      await f.close();
    }
  });
});
