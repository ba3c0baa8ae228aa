/** The admin API of docs/api.md over inject against a real SQLite file. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixture, query, signed, type Fixture } from './helpers.js';

const TOKEN = 'admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('admin API', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture({ config: { adminToken: TOKEN } });
  });
  after(() => f.close());

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = auth,
  ) => f.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  test('refuses a missing or wrong token with 401', async () => {
    const none = await call('GET', '/admin/v1/apps', undefined, {});
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().message, 'invalid admin token.');
    assert.equal((await call('GET', '/admin/v1/apps', undefined, { authorization: 'Bearer nope' })).statusCode, 401);
  });

  test('apps: create (generated or given credentials), list without secrets, show, patch, rotate', async () => {
    const created = await call('POST', '/admin/v1/apps', { name: 'Partner A' });
    assert.equal(created.statusCode, 200);
    const a = created.json().data;
    assert.deepEqual(Object.keys(a), ['appId', 'appSecret', 'name', 'enabled']);
    assert.match(a.appId, /^[a-z0-9]{10}$/);
    assert.match(a.appSecret, /^[a-z0-9]{32}$/);
    assert.equal(a.enabled, true);

    const known = await call('POST', '/admin/v1/apps', {
      name: 'Known',
      appId: 'g4rqgmmjuo',
      appSecret: 'fsq2k5weced1h8vui657xtdva66whf0g',
    });
    assert.equal(known.json().data.appId, 'g4rqgmmjuo');
    const dup = await call('POST', '/admin/v1/apps', { name: 'Again', appId: 'g4rqgmmjuo' });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().message, 'application g4rqgmmjuo already exists');

    const list = (await call('GET', '/admin/v1/apps')).json().data as Record<string, unknown>[];
    assert.ok(list.some((x) => x.appId === a.appId));
    assert.ok(list.every((x) => !('appSecret' in x)));
    const one = (await call('GET', `/admin/v1/apps/${a.appId}`)).json().data;
    assert.equal(one.name, 'Partner A');
    assert.equal(one.appSecret, undefined);
    assert.equal((await call('GET', '/admin/v1/apps/missing')).statusCode, 404);

    const patched = await call('PATCH', `/admin/v1/apps/${a.appId}`, { enabled: false, rateLimit: 50 });
    assert.equal(patched.json().data.enabled, false);
    assert.equal(patched.json().data.rateLimit, 50);
    const badPatch = await call('PATCH', `/admin/v1/apps/${a.appId}`, { enabled: 'no' });
    assert.equal(badPatch.statusCode, 400);
    assert.match(badPatch.json().message, /^param validate error: enabled/);

    const rotated = (await call('POST', `/admin/v1/apps/${a.appId}/secret`)).json().data;
    assert.equal(rotated.appId, a.appId);
    assert.notEqual(rotated.appSecret, a.appSecret);
  });

  test('users and channels: add, list, conflicts, remove; ownership feeds the signed API', async () => {
    const a = (await call('POST', '/admin/v1/apps', { name: 'B' })).json().data;
    assert.equal((await call('POST', `/admin/v1/apps/${a.appId}/users`, { userId: 'b1' })).json().data.userId, 'b1');
    assert.equal((await call('POST', `/admin/v1/apps/${a.appId}/users`, { userId: 'b1' })).statusCode, 409);
    const badUser = await call('POST', `/admin/v1/apps/${a.appId}/users`, { userId: 'has space' });
    assert.equal(badUser.statusCode, 400);
    assert.match(badUser.json().message, /^param validate error: userId/);
    assert.equal((await call('POST', '/admin/v1/apps/missing/users', { userId: 'b2' })).statusCode, 404);

    const ch = await call('POST', '/admin/v1/users/b1/channels', { channelId: '3151318' });
    assert.deepEqual({ ...ch.json().data, createdAt: 0 }, { channelId: '3151318', userId: 'b1', appId: a.appId, createdAt: 0 });
    assert.equal((await call('POST', '/admin/v1/users/b1/channels', { channelId: 'abc' })).statusCode, 400);
    assert.equal((await call('POST', '/admin/v1/users/b1/channels', { channelId: '3151318' })).statusCode, 409);
    assert.equal((await call('GET', '/admin/v1/users/b1/channels')).json().data.length, 1);
    assert.equal((await call('GET', `/admin/v1/apps/${a.appId}/users`)).json().data.length, 1);

    const s = signed(a, { users: 'b1', start: '2021-08-01', end: '2021-08-01' });
    const url = `/live/internal/v3/user/concurrent/yunduo/summary?${query(s)}`;
    assert.equal((await f.app.inject({ method: 'GET', url })).statusCode, 200);

    assert.equal((await call('DELETE', '/admin/v1/channels/3151318')).json().data.removed, true);
    assert.equal((await call('DELETE', '/admin/v1/channels/3151318')).statusCode, 404);
    assert.equal((await call('DELETE', '/admin/v1/users/b1')).statusCode, 200);
    const gone = await f.app.inject({
      method: 'GET',
      url: `/live/internal/v3/user/concurrent/yunduo/summary?${query(signed(a, { users: 'b1', start: '2021-08-01', end: '2021-08-01' }))}`,
    });
    assert.equal(gone.json().message, 'illegal user id: b1');
  });

  test('POST /admin/v1/ccv imports CSV idempotently, reporting bad lines and keeping good ones', async () => {
    const a = (await call('POST', '/admin/v1/apps', { name: 'C' })).json().data;
    await call('POST', `/admin/v1/apps/${a.appId}/users`, { userId: 'c1' });
    await call('POST', '/admin/v1/users/c1/channels', { channelId: '500' });
    await call('POST', '/admin/v1/users/c1/channels', { channelId: '501' });
    const csv = [
      'channelId,pullType,minute,ccv',
      '500,cdn,2021-08-17T10:14:00+08:00,2000',
      `501,cdn,${Date.parse('2021-08-17T10:14:00+08:00')},888`,
      '500,cdn,2021-08-17 10:15,100',
      '999,cdn,2021-08-17T10:14:00+08:00,1',
      '500,hls,2021-08-17T10:14:00+08:00,1',
      '500,cdn,2021-08-17T10:14:30+08:00,1',
      '500,cdn,not-a-time,1',
      '500,cdn,2021-08-17T10:16:00+08:00,-4',
      '500,cdn',
    ].join('\n');
    const post = () =>
      f.app.inject({ method: 'POST', url: '/admin/v1/ccv', headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });
    const first = await post();
    assert.equal(first.statusCode, 200, first.body);
    const { accepted, rejected } = first.json().data;
    assert.equal(accepted, 3);
    assert.deepEqual(
      rejected.map((r: { line: number }) => r.line),
      [5, 6, 7, 8, 9, 10],
    );
    assert.match(rejected[0].reason, /unknown channel 999/);
    assert.match(rejected[1].reason, /unknown pullType "hls"/);
    assert.match(rejected[2].reason, /minute boundary/);
    assert.match(rejected[4].reason, /ccv must be a non-negative integer/);
    assert.match(rejected[5].reason, /expected 4 columns/);

    const summaryOf = async () => {
      const s = signed(a, { users: 'c1', start: '2021-08-17', end: '2021-08-17' });
      return (await f.app.inject({ method: 'GET', url: `/live/internal/v3/user/concurrent/yunduo/summary?${query(s)}` })).json()
        .data;
    };
    const once = await summaryOf();
    assert.deepEqual(once, [{ statAt: Date.parse('2021-08-17T10:14:00+08:00'), peakCCV: '2888', pullType: 'cdn' }]);
    await post();
    assert.deepEqual(await summaryOf(), once);

    // curl --data-binary without a content type sends a CSV as a form; it still imports
    const asForm = await f.app.inject({
      method: 'POST',
      url: '/admin/v1/ccv',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'channelId,pullType,minute,ccv\n500,cdn,2021-08-17T10:14:00+08:00,2000\n',
    });
    assert.deepEqual(asForm.json().data, { accepted: 1, rejected: [] });

    const ndjson = '{"channelId":500,"pullType":"rtc","minute":"2021-08-17T12:00:00+08:00","ccv":7}\n{"channelId":"500"}';
    const nd = await f.app.inject({
      method: 'POST',
      url: '/admin/v1/ccv',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      payload: ndjson,
    });
    assert.equal(nd.json().data.accepted, 1);
    assert.deepEqual(nd.json().data.rejected, [{ line: 2, reason: 'pullType is missing' }]);

    const minutes = await call('GET', '/admin/v1/channels/500/minutes?start=2021-08-17&end=2021-08-17');
    assert.deepEqual(minutes.json().data, [
      { minute: Date.parse('2021-08-17T10:14:00+08:00'), pullType: 'cdn', ccv: 2000 },
      { minute: Date.parse('2021-08-17T10:15:00+08:00'), pullType: 'cdn', ccv: 100 },
      { minute: Date.parse('2021-08-17T12:00:00+08:00'), pullType: 'rtc', ccv: 7 },
    ]);
  });
});

test('the admin API is refused entirely when no token is configured', async () => {
  const f = await fixture();
  try {
    const res = await f.app.inject({ method: 'GET', url: '/admin/v1/apps', headers: { authorization: 'Bearer ' } });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().message, /admin API disabled/);
  } finally {
    await f.close();
  }
});
