import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, query, signed, type Fixture } from './helpers.js';
import { PATHS } from './family-helpers.js';
import { validated } from './openapi-validate.js';

/** Valid business parameters for each endpoint, so that only the signing part of a call is wrong. */
const ENDPOINTS: [string, Record<string, string>][] = [
  [PATHS.concurrence, { channelId: '100', startDate: '2024-03-10', endDate: '2024-03-10' }],
  [PATHS.maxHistory, { channelId: '100', startTime: '1710000000000', endTime: '1710003600000' }],
  [PATHS.mc, { channelIds: '100', startDate: '2024-03-10', endDate: '2024-03-10' }],
  [PATHS.user, { startDate: '2024-03-10', endDate: '2024-03-10' }],
  [PATHS.realtime, {}],
];

describe('signing, limits and routing errors of every family endpoint', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture({ users: { u1: ['100'] }, config: { ipLimit: 1000 } });
  });
  after(() => f.close());

  const get = async (path: string, params: Record<string, string>) => {
    const res = await validated(f.app, { method: 'GET', url: `${path}?${query(params)}` });
    return { status: res.statusCode, body: res.json() as { code: number; message: string; data: unknown } };
  };

  it('answers the catalogue errors in order', async () => {
    for (const [path, params] of ENDPOINTS) {
      const good = signed(f.caller, params);
      const cases: [Record<string, string>, number, string][] = [
        [{ ...good, appId: '' }, 400, 'appId is required.'],
        [signed({ appId: 'nope', appSecret: 'x' }, params), 400, 'application not found.'],
        [signed(f.caller, { ...params, timestamp: String(Date.now() - 181_000) }), 400, 'invalid timestamp.'],
        [signed(f.caller, { ...params, timestamp: '17100000000' }), 400, 'invalid timestamp.'],
        [{ ...good, sign: 'A'.repeat(32) }, 403, 'invalid signature.'],
        [{ ...good, channelId: '999' }, 403, 'invalid signature.'],
      ];
      for (const [p, code, message] of cases) {
        const { status, body } = await get(path, p);
        assert.equal(status, code, `${path} ${message}`);
        assert.deepEqual(body, { code, status: 'error', message, data: '' });
      }
      const nonce = signed(f.caller, { ...params, signatureNonce: `n-${path}` });
      assert.notEqual((await get(path, nonce)).status, 403);
      const again = await get(path, nonce);
      assert.equal(again.status, 403);
      assert.equal(again.body.message, `signatureNonce already used: n-${path}`);

      const post = await f.app.inject({ method: 'POST', url: path });
      assert.equal(post.statusCode, 405);
      assert.equal(post.json().message, `method not allowed: POST ${path}`);
    }
  });

  it('answers 429 with Retry-After past the IP limit', async () => {
    const limited = await fixture({ users: { u1: ['100'] }, config: { ipLimit: 2 } });
    try {
      for (const [path, params] of ENDPOINTS.slice(0, 3)) {
        const res = await validated(limited.app, { method: 'GET', url: `${path}?${query(signed(limited.caller, params))}` });
        if (res.statusCode !== 429) continue;
        assert.equal(res.json().message, 'qps exceeds number of calls');
        assert.ok(Number(res.headers['retry-after']) >= 1);
        return;
      }
      assert.fail('no 429 after 3 calls with an IP limit of 2');
    } finally {
      await limited.close();
    }
  });
});
