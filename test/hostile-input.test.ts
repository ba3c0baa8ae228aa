/**
 * Hostile and odd input (issue: hardening): the answer is always the envelope with code = HTTP status and a stable
 * X-Error-Code, never a 500, the same on both stores; nothing echoes the input where it should not; secrets stay out
 * of answers and logs.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { signedEndpoints, summary } from '@live-ccv/client/contract';
import pino from 'pino';
import { bearerToken } from '../src/auth/bearer.js';
import { buildApp } from '../src/http/app.js';
import { fixture, query, signed, testConfig, type Fixture } from './helpers.js';
import { adapters } from './store-adapters.js';

const ADMIN = 'admin-token-0123456789';
const DAY = { start: '2024-03-10', end: '2024-03-10' };

function envelope(
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
  code: number,
  message: RegExp | string,
) {
  const body = JSON.parse(res.body) as { code: number; status: string; message: string; data: unknown };
  assert.equal(res.statusCode, code, res.body);
  assert.equal(body.code, code);
  assert.equal(body.status, 'error');
  assert.equal(body.data, '');
  if (typeof message === 'string') assert.equal(body.message, message);
  else assert.match(body.message, message);
  assert.match(String(res.headers['x-error-code']), /^CCV_ERR_[A-Z_]+$/);
  return body;
}

for (const adapter of adapters()) {
  describe(`hostile input on ${adapter.name}`, () => {
    let f: Fixture;
    let drop: () => Promise<void>;
    before(async () => {
      const db = await adapter.open();
      drop = db.drop;
      f = await fixture({ deps: { store: db.store }, users: { u1: ['100'], u2: ['200'] }, config: { adminToken: ADMIN } });
    });
    after(async () => {
      await f.app.close();
      await drop();
      await adapter.teardown?.();
    });
    const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
      f.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN}` },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    test('a NUL byte in appId answers "application not found." on every signed endpoint, before any credential', async () => {
      for (const e of signedEndpoints) {
        const res = await f.app.inject({ method: 'GET', url: `${e.path}?appId=x%00y&timestamp=${Date.now()}&sign=AB` });
        envelope(res, 400, 'application not found.');
        assert.equal(res.headers['x-error-code'], 'CCV_ERR_APP_NOT_FOUND');
      }
    });

    test('NUL bytes and out-of-range integers in admin ids, names and bodies are refused by name', async () => {
      envelope(
        await admin('POST', '/admin/v1/apps', { name: 'a\u0000b' }),
        400,
        'param validate error: name: must not contain a NUL character',
      );
      envelope(await admin('POST', '/admin/v1/apps', { name: 'ok', appId: 'x\u0000y' }), 400, /^param validate error: appId: /);
      envelope(
        await admin('GET', '/admin/v1/apps/x%00y'),
        400,
        'param validate error: appId must be 1-64 letters, digits, _ or -',
      );
      envelope(await admin('GET', '/admin/v1/users/u%00/channels'), 400, /^param validate error: userId must be/);
      envelope(await admin('GET', '/admin/v1/channels/1%002'), 400, 'param validate error: channelId must be digits');
      envelope(
        await admin('PATCH', `/admin/v1/apps/${f.caller.appId}`, { rateLimit: 3_000_000_000 }),
        400,
        /^param validate error: rateLimit: /,
      );
      envelope(
        await admin('PATCH', `/admin/v1/apps/${f.caller.appId}`, { ingestToken: 'token-token-token\u0000' }),
        400,
        /^param validate error: ingestToken: /,
      );
      envelope(
        await admin('POST', `/admin/v1/apps/${f.caller.appId}/users`, { userId: 'a\u0000' }),
        400,
        /^param validate error: userId: /,
      );
      envelope(
        await admin('POST', '/admin/v1/users/u1/channels', { channelId: '1\u0000' }),
        400,
        /^param validate error: channelId: /,
      );
      // nothing was created or changed by the refused calls
      const app = JSON.parse((await admin('GET', `/admin/v1/apps/${f.caller.appId}`)).body).data;
      assert.equal(app.rateLimit, null);
    });

    test('a JSON body nested 100k levels deep is a 400 on the summary and on the import', async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const url = `${summary.path}?${query(signed(f.caller, {}))}`;
      const res = await f.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: deep });
      envelope(res, 400, 'param validate error: the JSON body is nested too deeply (at most 32 levels)');
      const imp = await f.app.inject({
        method: 'POST',
        url: '/admin/v1/ccv',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        payload: deep,
      });
      envelope(imp, 400, 'param validate error: the JSON body is nested too deeply (at most 32 levels)');
      const deepObject = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
      const res2 = await f.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: deepObject,
      });
      envelope(res2, 400, /nested too deeply/);
    });

    test('a list parameter accepts a JSON array as the full list; a list for a single value is refused by name', async () => {
      const url = `${summary.path}?${query(signed(f.caller, {}))}`;
      const post = (payload: object) =>
        f.app.inject({ method: 'POST', url: `${summary.path}?${query(signed(f.caller, {}))}`, payload });
      const asArray = await post({ users: ['u1', 'u2'], ...DAY });
      assert.equal(asArray.statusCode, 200, asArray.body);
      // u2 must be in the list: a foreign id in second place is refused, so the whole array was read
      envelope(await post({ users: ['u1', 'ghost'], ...DAY }), 403, 'illegal user id: ghost');
      envelope(
        await post({ users: 'u1', start: ['2024-03-10'], end: DAY.end }),
        400,
        'param validate error: start must be a single value, not a list',
      );
      envelope(
        await post({ users: { a: 1 }, ...DAY }),
        400,
        'param validate error: users must be a string, a number or a list of them',
      );
      envelope(
        await post({ users: [['u1']], ...DAY }),
        400,
        'param validate error: users must be a string, a number or a list of them',
      );
      assert.ok(url);
    });

    test("an empty JSON body (Content-Length: 0, as POLYV's TypeScript SDK posts) means no body parameters", async () => {
      const url = `${summary.path}?${query(signed(f.caller, { users: 'u1', ...DAY }))}`;
      const res = await f.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'content-length': '0' },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(JSON.parse(res.body).data, []);
    });

    test("whitespace-only values are left out of the signature, as POLYV's Java signer does", async () => {
      const params = { users: 'u1', ...DAY };
      const withBlank = { ...signed(f.caller, params), requestId: '  ' };
      const res = await f.app.inject({ method: 'GET', url: `${summary.path}?${query(withBlank)}` });
      assert.equal(res.statusCode, 200, res.body);
    });

    test('the bearer scheme is case-insensitive', async () => {
      for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
        const res = await f.app.inject({
          method: 'GET',
          url: '/admin/v1/apps',
          headers: { authorization: `${scheme} ${ADMIN}` },
        });
        assert.equal(res.statusCode, 200, `${scheme}: ${res.body}`);
      }
      envelope(
        await f.app.inject({ method: 'GET', url: '/admin/v1/apps', headers: { authorization: `Basic ${ADMIN}` } }),
        401,
        'invalid admin token.',
      );
    });

    test('a path segment over 100 characters answers 414 as the envelope, without echoing the path', async () => {
      const long = 'a'.repeat(300);
      const res = await admin('GET', `/admin/v1/apps/${long}`);
      const body = envelope(res, 414, 'request URI too long');
      assert.ok(!res.body.includes(long.slice(0, 50)));
      assert.equal(body.message, 'request URI too long');
    });
  });
}

describe('the edges that need a real socket, and what answers and logs never carry', () => {
  test('request headers over the limit answer 431 as the envelope', async () => {
    const f = await fixture();
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = f.app.server.address() as AddressInfo;
      const big = 'x'.repeat(20_000);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { a: big, b: big, c: big, d: big, e: big } });
      assert.equal(res.status, 431);
      assert.equal(res.headers.get('x-error-code'), 'CCV_ERR_HEADERS_TOO_LARGE');
      assert.deepEqual(await res.json(), { code: 431, status: 'error', message: 'request header fields too large', data: '' });
    } finally {
      await f.close();
    }
  });

  test('an unexpected failure answers a generic 500: no stack, no SQL, no secret', async () => {
    const f = await fixture({ users: { u1: ['100'] } });
    const secret = f.caller.appSecret;
    const store = f.store as unknown as { readCurves: () => Promise<never>; userPeaks: () => Promise<never> };
    store.readCurves = store.userPeaks = async () => {
      throw new Error(
        `SQLITE_ERROR near "SELECT app_secret FROM apps WHERE app_secret = '${secret}'"\n    at Object.<anonymous> (/src/x.ts:1:1)`,
      );
    };
    const res = await f.app.inject({ method: 'GET', url: `${summary.path}?${query(signed(f.caller, { users: 'u1', ...DAY }))}` });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(JSON.parse(res.body), { code: 500, status: 'error', message: 'internal server error.', data: '' });
    for (const leak of [secret, 'SELECT', 'SQLITE', ' at ', '.ts:']) assert.ok(!res.body.includes(leak), leak);
    await f.close();
  });

  test('logged URLs carry no signature, nonce, token or secret', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const base = await fixture({ users: { u1: ['100'] } });
    const { logSerializers } = await import('../src/http/log-redaction.js');
    const app = await buildApp({
      config: testConfig({ logLevel: 'info' }),
      store: base.store,
      logger: pino({ level: 'info', serializers: logSerializers }, sink) as never,
    });
    const params = signed(base.caller, { users: 'u1', ...DAY, signatureNonce: 'nonce-value-1234' });
    await app.inject({
      method: 'GET',
      url: `${summary.path}?${query(params)}&access_token=tok-value-5678&appSecret=sec-value-9`,
    });
    await app.close();
    const log = lines.join('');
    // the default request log (LIVE_CCV_REQUEST_LOG=notable) shows this refused call with its URL
    assert.match(log, /request refused/);
    for (const leak of [params.sign!, 'nonce-value-1234', 'tok-value-5678', 'sec-value-9'])
      assert.ok(!log.includes(leak), `log shows ${leak}`);
    assert.match(log, /sign=\[redacted\]/);
    await base.close();
  });
});

test('bearerToken reads the token whatever the scheme case, and nothing from other schemes', () => {
  const t = (authorization?: string) => bearerToken({ headers: { authorization } });
  assert.equal(t('Bearer abc'), 'abc');
  assert.equal(t('bearer   abc '), 'abc');
  assert.equal(t('BEARER abc'), 'abc');
  assert.equal(t('Basic abc'), '');
  assert.equal(t('Bearer'), '');
  assert.equal(t(undefined), '');
});
