/**
 * Roles and the cluster settings: what each combination means, the one line a start prints when the
 * JetStream log is required or unreachable, and which routes each role serves.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { fixture, tempDir } from './helpers.js';
import { spawnCli } from './server-process.js';

describe('roles and cluster settings', () => {
  test('default: every role in one process on the embedded log; the cluster defaults', () => {
    const c = loadConfig({});
    assert.deepEqual(c.roles, ['api', 'collector', 'aggregator']);
    assert.equal(c.natsUrl, '');
    assert.equal(c.natsPrefix, 'live-ccv');
    assert.equal(c.partitions, 32);
    assert.equal(c.natsReplicas, 1);
  });

  test('roles split across processes need the JetStream log; an API-only server does not', () => {
    for (const roles of ['collector', 'aggregator', 'collector,aggregator', 'api,collector', 'api,aggregator']) {
      assert.throws(
        () => loadConfig({ LIVE_CCV_ROLES: roles }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message ===
            `invalid setting LIVE_CCV_NATS_URL: required when LIVE_CCV_ROLES=${roles}: collectors and aggregators in separate processes share the JetStream log`,
      );
      assert.deepEqual(
        loadConfig({ LIVE_CCV_ROLES: roles, LIVE_CCV_NATS_URL: 'nats://n1:4222,nats://n2:4222' }).roles,
        roles.split(','),
      );
    }
    assert.deepEqual(loadConfig({ LIVE_CCV_ROLES: 'api' }).roles, ['api']);
    assert.deepEqual(loadConfig({ LIVE_CCV_ROLES: ' aggregator, api ,collector' }).roles, ['aggregator', 'api', 'collector']);
  });

  test('LIVE_CCV_INGEST=false is an alias of LIVE_CCV_ROLES=api, and may not contradict it', () => {
    assert.deepEqual(loadConfig({ LIVE_CCV_INGEST: 'false' }).roles, ['api']);
    assert.deepEqual(loadConfig({ LIVE_CCV_INGEST: 'false', LIVE_CCV_ROLES: 'api' }).roles, ['api']);
    assert.throws(
      () => loadConfig({ LIVE_CCV_INGEST: 'false', LIVE_CCV_ROLES: 'api,collector', LIVE_CCV_NATS_URL: 'nats://n:4222' }),
      { message: /^invalid setting LIVE_CCV_INGEST: false contradicts LIVE_CCV_ROLES=api,collector/ },
    );
  });

  test('bad cluster settings name themselves', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ LIVE_CCV_ROLES: 'api,reader' }, /^invalid setting LIVE_CCV_ROLES: expected a comma list of api, collector, aggregator/],
      [{ LIVE_CCV_ROLES: '' }, /^invalid setting LIVE_CCV_ROLES: /],
      [{ LIVE_CCV_NATS_URL: 'http://n:4222' }, /^invalid setting LIVE_CCV_NATS_URL: expected nats:\/\/host:port/],
      [{ LIVE_CCV_NATS_PREFIX: 'a.b' }, /^invalid setting LIVE_CCV_NATS_PREFIX: expected 1-32 letters, digits, - or _/],
      [{ LIVE_CCV_PARTITIONS: '0' }, /^invalid setting LIVE_CCV_PARTITIONS: expected an integer of at least 1/],
      [{ LIVE_CCV_DATABASE_SCHEMA: 'Bad-Name' }, /^invalid setting LIVE_CCV_DATABASE_SCHEMA: /],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
        JSON.stringify(env),
      );
    }
  });

  test('a start whose roles need NATS, without it or unable to reach it, stops with one line naming the setting', async () => {
    const run = async (env: Record<string, string>) => {
      const p = spawnCli(['serve', '--port', '0'], { LIVE_CCV_DEMO: 'false', ...env });
      return { code: await p.exited, output: p.output() };
    };
    const missing = await run({ LIVE_CCV_ROLES: 'collector' });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.output,
      'live-ccv: invalid setting LIVE_CCV_NATS_URL: required when LIVE_CCV_ROLES=collector: collectors and aggregators in separate processes share the JetStream log\n',
    );
    const unreachable = await run({
      LIVE_CCV_ROLES: 'aggregator',
      LIVE_CCV_NATS_URL: 'nats://127.0.0.1:1',
      LIVE_CCV_DATA_DIR: tempDir(),
    });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.output, /^live-ccv: LIVE_CCV_NATS_URL: NATS at nats:\/\/127\.0\.0\.1:1 is not reachable: \S+\n$/);
  });

  test('a collector serves no API, an api process collects nothing, every role answers /healthz', async () => {
    const natsUrl = 'nats://127.0.0.1:4222';
    const collector = await fixture({ config: { roles: 'collector', natsUrl, adminToken: 'admin-token-0001' } });
    const api = await fixture({ config: { roles: 'api', adminToken: 'admin-token-0001' } });
    try {
      const auth = { authorization: 'Bearer admin-token-0001' };
      assert.equal((await collector.app.inject({ url: '/admin/v1/apps', headers: auth })).statusCode, 404);
      assert.equal((await collector.app.inject({ url: '/openapi.json' })).statusCode, 404);
      assert.equal((await api.app.inject({ url: '/admin/v1/apps', headers: auth })).statusCode, 200);
      const beacon = await api.app.inject({ url: '/v1/beacon?channelId=1&viewerId=v' });
      assert.equal(beacon.statusCode, 503);
      assert.match(beacon.json().message, /heartbeat ingest .* unavailable/);
      for (const f of [collector, api]) {
        const h = await f.app.inject({ url: '/healthz' });
        assert.equal(h.statusCode, 200);
        assert.deepEqual(h.json().data.roles, f === api ? ['api'] : ['collector']);
      }
    } finally {
      await collector.close();
      await api.close();
    }
  });
});
