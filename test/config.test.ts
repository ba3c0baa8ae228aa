import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.js';

test('defaults: embedded store under ./data on port 8080, Asia/Shanghai, POLYV limits', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, './data');
  assert.equal(c.store, 'sqlite');
  assert.equal(c.timeZone, 'Asia/Shanghai');
  assert.deepEqual(c.pullTypes, ['cdn', 'rtc', 'p2p']);
  assert.equal(c.timestampWindowMs, 180_000);
  assert.equal(c.ipLimit, 1500);
  assert.equal(c.rateWindowMs, 10_000);
  assert.equal(c.rateBlockMs, 300_000);
  assert.equal(c.maxUsers, 1000);
  assert.equal(c.maxDays, 92);
  assert.equal(c.always200, false);
});

test('flags override the environment', () => {
  const c = loadConfig({ LIVE_CCV_PORT: '9000', LIVE_CCV_ALWAYS_200: 'true' }, { port: '9100' });
  assert.equal(c.port, 9100);
  assert.equal(c.always200, true);
});

test('a bad setting names itself and what was wrong', () => {
  const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
    [{ LIVE_CCV_PORT: 'eighty' }, {}, /^invalid setting LIVE_CCV_PORT: expected an integer \(got "eighty"\)$/],
    [{ LIVE_CCV_PORT: '70000' }, {}, /^invalid setting LIVE_CCV_PORT: expected an integer of at most 65535/],
    [{}, { port: '1.5' }, /^invalid setting --port: expected an integer/],
    [{ LIVE_CCV_TIME_ZONE: 'Mars/Base' }, {}, /^invalid setting LIVE_CCV_TIME_ZONE: expected an IANA time zone/],
    [{ LIVE_CCV_STORE: 'mysql' }, {}, /^invalid setting LIVE_CCV_STORE: /],
    [{ LIVE_CCV_STORE: 'postgres' }, {}, /^invalid setting LIVE_CCV_DATABASE_URL: required when LIVE_CCV_STORE=postgres$/],
    [{ LIVE_CCV_ALWAYS_200: 'maybe' }, {}, /^invalid setting LIVE_CCV_ALWAYS_200: /],
    [{ LIVE_CCV_PULL_TYPES: 'cdn,RTC!' }, {}, /^invalid setting LIVE_CCV_PULL_TYPES: /],
    [{ LIVE_CCV_TRUST_PROXY: 'not an address' }, {}, /^invalid setting LIVE_CCV_TRUST_PROXY: /],
  ];
  for (const [env, flags, message] of cases) {
    assert.throws(
      () => loadConfig(env, flags),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

test('query threads: auto is one per core but one, between 1 and 4; a number; 0 for none; request logging', () => {
  const auto = loadConfig({}).queryThreads;
  assert.ok(auto >= 1 && auto <= 4, String(auto));
  assert.equal(loadConfig({ LIVE_CCV_QUERY_THREADS: '0' }).queryThreads, 0);
  assert.equal(loadConfig({}, { queryThreads: '3' }).queryThreads, 3);
  assert.throws(
    () => loadConfig({ LIVE_CCV_QUERY_THREADS: 'many' }),
    /^Error: invalid setting LIVE_CCV_QUERY_THREADS: expected auto or a number/,
  );
  assert.throws(() => loadConfig({ LIVE_CCV_QUERY_THREADS: '65' }), /LIVE_CCV_QUERY_THREADS: expected at most 64/);
  assert.equal(loadConfig({}).requestLog, 'notable');
  assert.equal(loadConfig({}).slowRequestMs, 1000);
  assert.throws(() => loadConfig({ LIVE_CCV_REQUEST_LOG: 'some' }), /LIVE_CCV_REQUEST_LOG/);
});
