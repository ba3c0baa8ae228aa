/**
 * The seed endpoint over the framework's inject against a real SQLite file: success shapes, the three
 * ways parameters travel, and the error catalogue in its order (docs/api.md).
 */
import assert from 'node:assert/strict';
import { summary as summaryEndpoint } from '@live-ccv/client/contract';
import { after, before, describe, test } from 'node:test';
import { sign } from '../src/auth/sign.js';
import { fixture, query, signed, type Fixture } from './helpers.js';

const PATH = summaryEndpoint.path;
const t = (iso: string) => Date.parse(iso) / 60_000;

describe('summary endpoint', () => {
  let f: Fixture;
  const ok = { users: 'u1,u2', start: '2021-08-01', end: '2021-08-31' };

  before(async () => {
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'], u3: [] } });
    await f.tenancy.createApp({ name: 'other', appId: 'otherapp', appSecret: 'other-secret-other-secret' });
    await f.tenancy.addUser('otherapp', 'x9');
    await f.store.setChannelMinutes([
      { channelId: '100', pullType: 'cdn', minute: t('2021-08-17T10:14:00+08:00'), ccv: 2000 },
      { channelId: '101', pullType: 'cdn', minute: t('2021-08-17T10:14:00+08:00'), ccv: 800 },
      { channelId: '200', pullType: 'cdn', minute: t('2021-08-17T10:14:00+08:00'), ccv: 88 },
      { channelId: '200', pullType: 'cdn', minute: t('2021-08-17T10:15:00+08:00'), ccv: 2887 },
      { channelId: '100', pullType: 'rtc', minute: t('2021-08-02T00:00:00+08:00'), ccv: 5 },
      // outside the range in Asia/Shanghai: 2021-07-31 23:59 local
      { channelId: '100', pullType: 'p2p', minute: t('2021-07-31T23:59:00+08:00'), ccv: 99999 },
    ]);
  });
  after(() => f.close());

  const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    f.app.inject({ method: 'GET', url: `${PATH}?${query(params)}`, headers });

  test('answers the peak of the per-minute sum per pull type, sorted by pullType', async () => {
    const res = await get(signed(f.caller, ok));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      code: 200,
      status: 'success',
      message: '',
      data: [
        { statAt: Date.parse('2021-08-17T10:14:00+08:00'), peakCCV: '2888', pullType: 'cdn' },
        { statAt: Date.parse('2021-08-02T00:00:00+08:00'), peakCCV: '5', pullType: 'rtc' },
      ],
    });
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.ok(res.headers['x-request-id']);
  });

  test('a user without data adds nothing; no data at all is an empty array', async () => {
    const res = await get(signed(f.caller, { users: 'u3', start: '2021-08-01', end: '2021-08-31' }));
    assert.deepEqual(res.json().data, []);
  });

  test('spaces around commas and repeated ids are tolerated', async () => {
    const res = await get(signed(f.caller, { ...ok, users: ' u1 , u2,u2 ' }));
    assert.equal(res.json().data[0].peakCCV, '2888');
  });

  test('POST form: query and form fields signed together', async () => {
    const params = signed(f.caller, ok);
    const { appId, timestamp, sign: s, ...form } = params;
    const res = await f.app.inject({
      method: 'POST',
      url: `${PATH}?${query({ appId: appId!, timestamp: timestamp!, sign: s! })}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: query(form),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data[0].peakCCV, '2888');
  });

  test('POST form with every parameter in the body, as the seed Java example does', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: PATH,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: query(signed(f.caller, ok)),
    });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('POST JSON: signed query, unsigned body supplies business parameters', async () => {
    const q = signed(f.caller, {});
    const res = await f.app.inject({ method: 'POST', url: `${PATH}?${query(q)}`, payload: ok });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data[0].peakCCV, '2888');
  });

  test('SHA256 signatures and lower-case hex are accepted', async () => {
    const p = signed(f.caller, ok, 'SHA256');
    assert.equal(p.sign!.length, 64);
    assert.equal((await get(p)).statusCode, 200);
    const lower = signed(f.caller, ok);
    assert.equal((await get({ ...lower, sign: lower.sign!.toLowerCase() })).statusCode, 200);
  });

  test('requestId is signed like any other parameter', async () => {
    assert.equal((await get(signed(f.caller, { ...ok, requestId: 'r-1' }))).statusCode, 200);
    const p = signed(f.caller, ok);
    assert.equal((await get({ ...p, requestId: 'unsigned' })).json().message, 'invalid signature.');
  });

  const expectError = async (params: Record<string, string>, code: number, message: string | RegExp) => {
    const res = await get(params);
    assert.equal(res.statusCode, code, res.body);
    const body = res.json();
    assert.equal(body.code, code);
    assert.equal(body.status, 'error');
    assert.equal(body.data, '');
    if (typeof message === 'string') assert.equal(body.message, message);
    else assert.match(body.message, message);
  };

  test('appId missing or empty', async () => {
    await expectError({ timestamp: String(Date.now()), ...ok }, 400, 'appId is required.');
    await expectError({ appId: '', timestamp: 'x', ...ok }, 400, 'appId is required.');
  });

  test('appId unknown or disabled', async () => {
    await expectError({ appId: 'nope', timestamp: 'x' }, 400, 'application not found.');
    await f.tenancy.createApp({ name: 'off', appId: 'offapp', appSecret: 'off-secret-off-secret-01' });
    await f.tenancy.updateApp('offapp', { enabled: false });
    const off = { appId: 'offapp', appSecret: 'off-secret-off-secret-01' };
    await expectError(signed(off, ok), 400, 'application not found.');
  });

  test('timestamp missing, malformed or outside the window (either way)', async () => {
    await expectError({ appId: f.caller.appId, ...ok }, 400, 'invalid timestamp.');
    for (const ts of ['abc', '162916644000', '16291664400000', String(Date.now() - 181_000), String(Date.now() + 181_000)]) {
      await expectError(signed(f.caller, { ...ok, timestamp: ts }), 400, 'invalid timestamp.');
    }
    assert.equal((await get(signed(f.caller, { ...ok, timestamp: String(Date.now() - 170_000) }))).statusCode, 200);
  });

  test('sign missing or wrong', async () => {
    const p = signed(f.caller, ok);
    await expectError({ ...p, sign: '' }, 403, 'invalid signature.');
    await expectError({ ...p, users: 'u1' }, 403, 'invalid signature.');
    await expectError({ ...p, sign: sign({ ...p }, 'wrong-secret') }, 403, 'invalid signature.');
    await expectError(signed(f.caller, { ...ok, signatureMethod: 'SHA1' }), 403, 'invalid signature.');
  });

  test('a signatureNonce is accepted once inside the window', async () => {
    const p = signed(f.caller, { ...ok, signatureNonce: `n-${Math.random()}` });
    assert.equal((await get(p)).statusCode, 200);
    await expectError(p, 403, /signatureNonce already used/);
    // a nonce is per app: another app may use the same string
    const other = { appId: 'otherapp', appSecret: 'other-secret-other-secret' };
    const q = signed(other, { users: 'x9', start: '2021-08-01', end: '2021-08-01', signatureNonce: p.signatureNonce! });
    assert.equal((await get(q)).statusCode, 200);
  });

  test('business parameters: "param validate error" naming the parameter', async () => {
    await expectError(
      signed(f.caller, { start: '2021-08-01', end: '2021-08-02' }),
      400,
      'param validate error: users is required',
    );
    await expectError(signed(f.caller, { ...ok, users: ' , ' }), 400, 'param validate error: users is required');
    await expectError(signed(f.caller, { ...ok, users: 'u1,bad id' }), 400, /^param validate error: users .*bad id/);
    await expectError(signed(f.caller, { ...ok, start: '' }), 400, 'param validate error: start is required');
    await expectError(
      signed(f.caller, { ...ok, end: '2021/08/31' }),
      400,
      /^param validate error: end must be a date yyyy-MM-dd/,
    );
    await expectError(signed(f.caller, { ...ok, start: '2021-02-30' }), 400, /^param validate error: start must be a date/);
    await expectError(signed(f.caller, { ...ok, start: '2021-09-01' }), 400, 'param validate error: start is after end');
    const many = Array.from({ length: 1001 }, (_, i) => `z${i}`).join(',');
    await expectError(signed(f.caller, { ...ok, users: many }), 400, /^param validate error: users has 1001 ids, at most 1000/);
  });

  test('92 days is allowed, 93 is not', async () => {
    assert.equal((await get(signed(f.caller, { ...ok, start: '2021-06-01', end: '2021-08-31' }))).statusCode, 200);
    await expectError(signed(f.caller, { ...ok, start: '2021-05-31', end: '2021-08-31' }), 400, /spans 93 days, at most 92/);
  });

  test('a user of another app (or unknown) is 403 illegal user id, named in list order', async () => {
    await expectError(signed(f.caller, { ...ok, users: 'u1,x9,ghost' }), 403, 'illegal user id: x9');
    await expectError(signed(f.caller, { ...ok, users: 'ghost,x9' }), 403, 'illegal user id: ghost');
  });

  test('errors come in the contract order: param errors before ownership, signature before params', async () => {
    await expectError(signed(f.caller, { users: 'x9', start: 'bad', end: '2021-08-01' }), 400, /^param validate error/);
    await expectError({ ...signed(f.caller, { users: 'x9', start: 'bad' }), sign: 'AA' }, 403, 'invalid signature.');
    await expectError({ appId: f.caller.appId, timestamp: '1', sign: 'AA' }, 400, 'invalid timestamp.');
  });

  test('a rotated secret stops working at once', async () => {
    const app = await f.tenancy.createApp({ name: 'rot', appId: 'rotapp', appSecret: 'rot-secret-rot-secret-01' });
    await f.tenancy.addUser('rotapp', 'r1');
    const before = signed(app, { users: 'r1', start: '2021-08-01', end: '2021-08-01' });
    assert.equal((await get(before)).statusCode, 200);
    const rotated = await f.tenancy.rotateSecret('rotapp');
    await expectError(signed(app, { users: 'r1', start: '2021-08-01', end: '2021-08-01' }), 403, 'invalid signature.');
    assert.equal((await get(signed(rotated, { users: 'r1', start: '2021-08-01', end: '2021-08-01' }))).statusCode, 200);
  });

  test('unknown path is a 404 envelope, unsupported method a 405 envelope', async () => {
    const nf = await f.app.inject({ method: 'GET', url: '/live/v3/nothing' });
    assert.equal(nf.statusCode, 404);
    assert.deepEqual(Object.keys(nf.json()), ['code', 'status', 'message', 'data']);
    assert.equal(nf.json().code, 404);
    const na = await f.app.inject({ method: 'DELETE', url: PATH });
    assert.equal(na.statusCode, 405);
    assert.equal(na.json().code, 405);
    assert.equal(na.json().status, 'error');
  });

  test('a body that is not JSON is a param error envelope, not a stack trace', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: `${PATH}?${query(signed(f.caller, {}))}`,
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().message, /^param validate error/);
  });
});

describe('summary with always-200', () => {
  test('every envelope answers HTTP 200 and keeps its code', async () => {
    const f = await fixture({ users: { u1: [] }, config: { always200: true } });
    try {
      const bad = await f.app.inject({ method: 'GET', url: `${PATH}?appId=nope` });
      assert.equal(bad.statusCode, 200);
      assert.equal(bad.json().code, 400);
      const nf = await f.app.inject({ method: 'GET', url: '/nowhere' });
      assert.equal(nf.statusCode, 200);
      assert.equal(nf.json().code, 404);
    } finally {
      await f.close();
    }
  });
});

describe('failures inside the service', () => {
  test('an unexpected error is a 500 envelope with a generic message; readyz turns 503, healthz stays 200', async () => {
    const f = await fixture({ users: { u1: [] } });
    const params = signed(f.caller, { users: 'u1', start: '2021-08-01', end: '2021-08-01' });
    await f.store.close();
    const res = await f.app.inject({ method: 'GET', url: `${PATH}?${query(params)}` });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { code: 500, status: 'error', message: 'internal server error.', data: '' });
    const ready = await f.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().message, 'not ready: store: does not answer');
    assert.equal(ready.headers['retry-after'], '5');
    assert.equal((await f.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    await f.app.close();
  });
});
