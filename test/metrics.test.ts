/**
 * GET /metrics: scraped from a real `live-ccv serve`, checked by promtool, and its counters must move with
 * the requests made; its own port; freshness on an API-only process; the instruments' classification.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sign } from '../src/auth/sign.js';
import { buildApp } from '../src/http/app.js';
import { WATERMARK_KEY } from '../src/ingest/ingest-service.js';
import { freshnessLagSeconds, scrape } from '../src/metrics/metrics.js';
import { heartbeatReason, signedRefusalReason } from '../src/metrics/reasons.js';
import { instrumentStore, storeOperationKind } from '../src/metrics/store.js';
import { version } from '../src/version.js';
import { tempDir, tempStore, testConfig } from './helpers.js';
import { has, promtool, samples, value } from './prometheus-text.js';
import { spawnServer } from './server-process.js';

const SUMMARY = '/live/internal/v3/user/concurrent/yunduo/summary';
const INGEST_TOKEN = 'ingest-token-000000001';

async function text(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

function signedUrl(base: string, appId: string, secret: string, params: Record<string, string>, tamper = false): string {
  const p: Record<string, string> = { appId, timestamp: String(Date.now()), ...params };
  p.sign = sign(p, secret);
  if (tamper) p.sign = p.sign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  return `${base}${SUMMARY}?${new URLSearchParams(p)}`;
}

test('a running server: /metrics passes promtool, names the version, and its counters move with the traffic', async () => {
  const s = await spawnServer({ LIVE_CCV_DATA_DIR: tempDir(), LIVE_CCV_INGEST_TOKEN: INGEST_TOKEN });
  try {
    // the demo banner comes on stderr once the server listens
    const secret = (await s.waitFor(/appSecret:\s+(\S+)/, 'stderr'))[1]!;
    const appId = /appId:\s+(\S+)/.exec(s.stderr())![1]!;
    const before = await text(`${s.url}/metrics`);
    assert.deepEqual(promtool(before), { status: 0, output: '' });
    assert.equal(value(before, 'live_ccv_build_info', { version: version }), 1);
    for (const name of [
      'live_ccv_process_cpu_user_seconds_total',
      'live_ccv_process_resident_memory_bytes',
      'live_ccv_nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(has(before, name), `${name} is exported`);
    }

    const days = { users: 'demouser01', start: '2021-08-01', end: '2021-08-31' };
    assert.equal((await fetch(signedUrl(s.url, appId, secret, days))).status, 200);
    assert.equal((await fetch(signedUrl(s.url, appId, secret, days, true))).status, 403);
    assert.equal((await fetch(signedUrl(s.url, appId, secret, { ...days, users: 'nobody' }))).status, 403);
    const stale = `${s.url}${SUMMARY}?${new URLSearchParams({ appId, timestamp: '1600000000000', ...days, sign: 'x' })}`;
    assert.equal((await fetch(stale)).status, 400);

    const now = Date.now();
    const batch = [
      { channelId: '1000001', viewerId: 'a', ts: now },
      { channelId: '1000001', viewerId: 'b', ts: now },
      { channelId: '1000001', viewerId: 'c', pullType: 'rtc', ts: now },
      { channelId: '999', viewerId: 'd', ts: now },
    ]
      .map((b) => JSON.stringify(b))
      .concat('{not json')
      .join('\n');
    const res = await fetch(`${s.url}/v1/heartbeats`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
      body: batch,
    });
    assert.equal(((await res.json()) as { data: { accepted: number } }).data.accepted, 3);
    assert.equal((await fetch(`${s.url}/v1/beacon?channelId=424242&viewerId=z`)).status, 400);

    const after = await text(`${s.url}/metrics`);
    assert.deepEqual(promtool(after), { status: 0, output: '' });
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    const requests = 'live_ccv_http_requests_total';
    assert.equal(delta(requests, { route: SUMMARY, method: 'GET', code: '200' }), 1);
    assert.equal(delta(requests, { route: SUMMARY, method: 'GET', code: '403' }), 2);
    assert.equal(delta(requests, { route: SUMMARY, method: 'GET', code: '400' }), 1);
    assert.equal(delta('live_ccv_http_request_duration_seconds_count', { route: SUMMARY, method: 'GET' }), 4);
    assert.equal(delta(requests, { route: '/metrics', method: 'GET', code: '200' }), 1);
    assert.equal(delta('live_ccv_signed_refusals_total', { reason: 'invalid_signature' }), 1);
    assert.equal(delta('live_ccv_signed_refusals_total', { reason: 'illegal_user' }), 1);
    assert.equal(delta('live_ccv_signed_refusals_total', { reason: 'invalid_timestamp' }), 1);
    assert.equal(delta('live_ccv_heartbeats_accepted_total', { endpoint: 'batch' }), 3);
    assert.equal(delta('live_ccv_heartbeats_rejected_total', { endpoint: 'batch', reason: 'unknown_channel' }), 1);
    assert.equal(delta('live_ccv_heartbeats_rejected_total', { endpoint: 'batch', reason: 'invalid_json' }), 1);
    assert.equal(delta('live_ccv_heartbeats_rejected_total', { endpoint: 'beacon', reason: 'unknown_channel' }), 1);
    assert.ok(delta('live_ccv_segment_log_append_seconds_count') >= 1);
    assert.ok(delta('live_ccv_segment_log_fsync_seconds_count') >= 1);
    assert.ok(delta('live_ccv_store_operation_seconds_count', { kind: 'read', operation: 'userPeaks' }) >= 1);
    assert.ok(delta('live_ccv_curve_cache_misses_total') + delta('live_ccv_curve_cache_hits_total') >= 1);
    assert.ok(value(after, 'live_ccv_open_minute_windows') >= 1);
    assert.ok(value(after, 'live_ccv_open_minute_viewers') >= 3);
    const lag = value(after, 'live_ccv_freshness_lag_seconds');
    // default lateness 120 s: the newest closed minute ended between 120 and ~181 s ago
    assert.ok(lag >= 120 && lag < 200, `freshness lag ${lag}`);
    assert.ok(
      samples(after).every((x) => !/nobody|999|424242/.test(Object.values(x.labels).join())),
      'no ids in labels',
    );

    // The refused calls are in the log with the refusal the client got.
    const refusals = s
      .output()
      .split('\n')
      .filter((l) => l.includes('signed call refused'))
      .map((l) => JSON.parse(l) as { refusal: string; reason: string; appId: string; params: string; level: number });
    assert.deepEqual(refusals.map((r) => r.refusal).sort(), [
      'illegal user id: nobody',
      'invalid signature.',
      'invalid timestamp.',
    ]);
    const bad = refusals.find((r) => r.reason === 'invalid_signature')!;
    assert.equal(bad.appId, appId);
    assert.equal(bad.params, 'appId,end,sign,start,timestamp,users');
    assert.equal(bad.level, 40, 'a signing problem is a warning');
    assert.ok(!s.stdout().includes(secret), 'the secret is never logged (the banner shows it once, on stderr)');
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('LIVE_CCV_METRICS_PORT serves /metrics on its own listener only', async () => {
  const s = await spawnServer({ LIVE_CCV_DATA_DIR: tempDir(), LIVE_CCV_METRICS_PORT: '0', LIVE_CCV_DEMO: 'false' });
  try {
    const listening = /metrics listening at (http:\/\/127\.0\.0\.1:\d+\/metrics)/;
    while (!listening.test(s.output())) await new Promise((r) => setTimeout(r, 20));
    const metricsUrl = /metrics listening at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(s.output())![1]!;
    assert.equal((await fetch(`${s.url}/metrics`)).status, 404);
    const body = await text(metricsUrl);
    assert.equal(value(body, 'live_ccv_build_info', { version: version }), 1);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/healthz'))).status, 404);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('an API-only process reports freshness from the store watermark; NaN while there is none', async () => {
  const store = tempStore();
  const app = await buildApp({ config: testConfig({ ingest: false }), store, logger: false });
  try {
    const lagOf = async () =>
      value((await app.inject({ method: 'GET', url: '/metrics' })).body, 'live_ccv_freshness_lag_seconds');
    assert.ok(Number.isNaN(await lagOf()));
    const closedBefore = Math.floor(Date.now() / 60_000) - 5;
    await store.setMeta(WATERMARK_KEY, String(closedBefore));
    const lag = await lagOf();
    assert.ok(lag >= 300 && lag < 400, `lag ${lag}`);
  } finally {
    await app.close();
    await store.close();
  }
  assert.ok(Number.isNaN(value((await scrape()).body, 'live_ccv_freshness_lag_seconds')), 'a closed app stops reporting');
});

test('an instrumented store times reads and writes and counts failures, and still behaves as the store', async () => {
  const raw = tempStore();
  const store = instrumentStore(raw);
  const count = async (labels: Record<string, string>) =>
    value((await scrape()).body, 'live_ccv_store_operation_seconds_count', labels);
  const reads = await count({ kind: 'read', operation: 'getMeta' });
  const writes = await count({ kind: 'write', operation: 'setMeta' });
  await store.setMeta('k', 'v');
  assert.equal(await store.getMeta('k'), 'v');
  assert.equal(store.kind, 'sqlite');
  assert.equal(await count({ kind: 'read', operation: 'getMeta' }), reads + 1);
  assert.equal(await count({ kind: 'write', operation: 'setMeta' }), writes + 1);
  await store.close();
  const errors = value((await scrape()).body, 'live_ccv_store_errors_total', { operation: 'getMeta' });
  await assert.rejects(store.getMeta('k'));
  assert.equal(value((await scrape()).body, 'live_ccv_store_errors_total', { operation: 'getMeta' }), errors + 1);
  assert.equal(storeOperationKind('readCurves'), 'read');
  assert.equal(storeOperationKind('listAllChannels'), 'read');
  assert.equal(storeOperationKind('setChannelMinutes'), 'write');
  assert.equal(storeOperationKind('removeChannel'), 'write');
});

test('refusals and heartbeat rejections fold into a fixed set of reasons', () => {
  assert.equal(signedRefusalReason('CCV_ERR_INVALID_SIGNATURE'), 'invalid_signature');
  assert.equal(signedRefusalReason('CCV_ERR_RATE_LIMITED'), 'rate_limited');
  assert.equal(signedRefusalReason('CCV_ERR_ILLEGAL_USER'), 'illegal_user');
  assert.equal(signedRefusalReason('something else'), 'other');
  const beats: [string, string][] = [
    ['not valid JSON', 'invalid_json'],
    ['a heartbeat must be a JSON object', 'not_object'],
    ['channelId is required', 'invalid_channel_id'],
    ['channelId must be digits: abc', 'invalid_channel_id'],
    ['viewerId is required', 'invalid_viewer_id'],
    ['unknown pullType: hls', 'unknown_pull_type'],
    ['ts must be epoch milliseconds', 'invalid_ts'],
    ['ts is 90000 ms in the future (at most 60000 allowed)', 'future_ts'],
    ['unknown channel: 5', 'unknown_channel'],
    ['illegal channel id: 5', 'illegal_channel'],
    ['late: minute 2024-01-01T00:00:00.000Z is already closed', 'late'],
    ['something new', 'other'],
  ];
  for (const [reason, label] of beats) assert.equal(heartbeatReason(reason), label, reason);
  assert.equal(freshnessLagSeconds(10, 10 * 60_000 + 1500), 1.5);
});
