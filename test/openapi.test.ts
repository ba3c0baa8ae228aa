import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IngestService } from '../src/ingest/ingest-service.js';
import { fixture, tempStore, testConfig, type Fixture } from './helpers.js';
import { appRoutes, documentRoutes, validated } from './openapi-validate.js';

const anonymous = (routes: string[]) => routes.map((r) => r.replace(/\{[^}]+\}/g, '{}'));

describe('OpenAPI document', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture({ config: { adminToken: 'admin-token-0123456789' } });
  });
  after(() => f.close());

  it('is served at /openapi.json as plain JSON', async () => {
    const res = await validated(f.app, { method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/live/v3/channel/statistics/concurrence'].get);
  });

  it('describes every route the app registers, and nothing the app lacks', () => {
    const inApp = anonymous(appRoutes(f.app));
    const inDoc = anonymous(documentRoutes());
    assert.ok(inApp.length > 10, 'the route listing could not be read');
    assert.deepEqual(
      inApp.filter((r) => !inDoc.includes(r)),
      [],
      'routes missing from the document',
    );
    assert.deepEqual(
      inDoc.filter((r) => !inApp.includes(r)),
      [],
      'documented routes the app does not serve',
    );
  });

  it('validates health and admin answers, errors included', async () => {
    await validated(f.app, { method: 'GET', url: '/healthz' });
    const auth = { authorization: 'Bearer admin-token-0123456789' };
    const created = await validated(f.app, {
      method: 'POST',
      url: '/admin/v1/apps',
      headers: auth,
      payload: { name: 'x', appId: 'app-x' },
    });
    assert.equal(created.statusCode, 200);
    await validated(f.app, { method: 'GET', url: '/admin/v1/apps', headers: auth });
    await validated(f.app, { method: 'GET', url: '/admin/v1/apps/app-x', headers: auth });
    await validated(f.app, { method: 'POST', url: '/admin/v1/apps/app-x/users', headers: auth, payload: { userId: 'ux' } });
    await validated(f.app, { method: 'POST', url: '/admin/v1/users/ux/channels', headers: auth, payload: { channelId: 42 } });
    await validated(f.app, { method: 'GET', url: '/admin/v1/users/ux/channels', headers: auth });
    await validated(f.app, {
      method: 'GET',
      url: '/admin/v1/channels/42/minutes?start=2024-01-01&end=2024-01-01',
      headers: auth,
    });
    const missing = await validated(f.app, { method: 'GET', url: '/admin/v1/apps/nope', headers: auth });
    assert.equal(missing.statusCode, 404);
    const refused = await validated(f.app, { method: 'GET', url: '/admin/v1/apps' });
    assert.equal(refused.statusCode, 401);
  });
});

describe('OpenAPI document: ingest and realtime answers', () => {
  const auth = { authorization: 'Bearer admin-token-0123456789' };
  let f: Fixture;
  let ingest: IngestService;
  before(async () => {
    const store = tempStore();
    ingest = await IngestService.open(testConfig({ ingestToken: 'ingest-token-0123456789' }), store, { timers: false });
    f = await fixture({ users: { u1: ['100'] }, config: { adminToken: 'admin-token-0123456789' }, deps: { store, ingest } });
  });
  after(async () => {
    await ingest.stop();
    await f.close();
  });

  it('validates beacon, batch and realtime answers', async () => {
    assert.equal((await validated(f.app, { method: 'GET', url: '/v1/beacon?channelId=100&viewerId=v1' })).statusCode, 204);
    assert.equal(
      (
        await validated(f.app, {
          method: 'POST',
          url: '/v1/beacon',
          payload: { channelId: '100', viewerId: 'v2', pullType: 'rtc' },
        })
      ).statusCode,
      204,
    );
    assert.equal(
      (await validated(f.app, { method: 'GET', url: '/v1/beacon?channelId=100&viewerId=v1&pullType=hls' })).statusCode,
      400,
    );
    const batch = await validated(f.app, {
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { authorization: 'Bearer ingest-token-0123456789' },
      payload: [
        { channelId: '100', viewerId: 'v3' },
        { channelId: 'x', viewerId: 'v4' },
      ],
    });
    assert.equal(batch.json().data.accepted, 1);
    assert.equal((await validated(f.app, { method: 'POST', url: '/v1/heartbeats', payload: [] })).statusCode, 401);
    const channel = await validated(f.app, { method: 'GET', url: '/admin/v1/channels/100/realtime', headers: auth });
    assert.deepEqual(channel.json().data, { viewers: 3 });
    const user = await validated(f.app, { method: 'GET', url: '/admin/v1/users/u1/realtime?pullType=rtc', headers: auth });
    assert.deepEqual(user.json().data, { viewers: 1 });
  });

  it('validates the 503 answers of a process without the ingest', async () => {
    const bare = await fixture({ users: { u1: ['100'] }, config: { adminToken: 'admin-token-0123456789' } });
    try {
      assert.equal((await validated(bare.app, { method: 'GET', url: '/v1/beacon?channelId=100&viewerId=v1' })).statusCode, 503);
      assert.equal(
        (await validated(bare.app, { method: 'GET', url: '/admin/v1/channels/100/realtime', headers: auth })).statusCode,
        503,
      );
    } finally {
      await bare.close();
    }
  });
});
