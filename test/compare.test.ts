/**
 * `live-ccv compare` between two real live-ccv servers holding known minutes: no differences while they
 * agree; then every changed minute, peak and statAt listed, with the summary line and exit 1; exit 2 when
 * a side cannot answer. The diff rules themselves are unit-tested at the end.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { diffSeries, diffSummary } from '../src/cli/compare-diff.js';
import { cli as inProcess, tempDir } from './helpers.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const ADMIN = 'compare-admin-token-01';
const APP = { appId: 'cmpapp01', appSecret: 'compare-secret-compare-01' };
const [C1, C2] = ['8200001', '8200002'];
let a: ServerProcess;
let b: ServerProcess;

/** The CLI in-process (runCli), with no POLYV_* variables of the test's own environment. */
const cli = (args: string[], env: Record<string, string> = {}) =>
  inProcess(args, { POLYV_BASE_URL: '', POLYV_APP_ID: '', POLYV_APP_SECRET: '', ...env });

async function admin(base: string, method: string, p: string, body: string, type = 'application/json') {
  const res = await fetch(`${base}/admin/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+08:00`);

/** c1: cdn 10 from 20:00 to 20:59 with 50 at 20:30, rtc 5, every day; c2: cdn 20 on the first two days. */
function rows(): string {
  const out = ['channelId,pullType,minute,ccv'];
  for (const [i, day] of ['2024-03-01', '2024-03-02', '2024-03-03'].entries()) {
    for (let m = 0; m < 60; m++) {
      const t = at(day, `20:${String(m).padStart(2, '0')}`);
      out.push(`${C1},cdn,${t},${m === 30 ? 50 : 10}`, `${C1},rtc,${t},5`);
      if (i < 2) out.push(`${C2},cdn,${t},20`);
    }
  }
  return out.join('\n');
}

async function setUp(base: string) {
  await admin(base, 'POST', '/apps', JSON.stringify({ name: 'cmp', ...APP }));
  await admin(base, 'POST', `/apps/${APP.appId}/users`, JSON.stringify({ userId: 'u1' }));
  await admin(base, 'POST', `/apps/${APP.appId}/users`, JSON.stringify({ userId: 'u2' }));
  await admin(base, 'POST', '/users/u1/channels', JSON.stringify({ channelId: C1 }));
  await admin(base, 'POST', '/users/u2/channels', JSON.stringify({ channelId: C2 }));
  await admin(base, 'POST', '/ccv', rows(), 'text/csv');
}

const env = () => ({
  POLYV_BASE_URL: a.url,
  POLYV_APP_ID: APP.appId,
  POLYV_APP_SECRET: APP.appSecret,
  LIVE_CCV_BASE_URL: b.url,
  LIVE_CCV_APP_ID: APP.appId,
  LIVE_CCV_APP_SECRET: APP.appSecret,
});
const days = ['--start', '2024-03-01', '--end', '2024-03-03'];

before(async () => {
  const settings = { LIVE_CCV_ADMIN_TOKEN: ADMIN, LIVE_CCV_DEMO: 'false', LIVE_CCV_INGEST: 'false' };
  [a, b] = await Promise.all([
    spawnServer({ ...settings, LIVE_CCV_DATA_DIR: tempDir() }),
    spawnServer({ ...settings, LIVE_CCV_DATA_DIR: tempDir() }),
  ]);
  await Promise.all([setUp(a.url), setUp(b.url)]);
});
after(async () => {
  await Promise.all([a.stop(), b.stop()]);
});

test('two deployments that agree: no differences, exit 0', async () => {
  const channels = await cli(['compare', '--channels', `${C1},${C2}`, ...days], env());
  assert.equal(channels.code, 0, channels.stderr);
  assert.equal(
    channels.stdout,
    `compare: no differences: 0 of 8640 minutes, 0 of 6 peaks, 0 of 0 statAt (channels ${C1},${C2}, 2024-03-01..2024-03-03)\n`,
  );
  const users = await cli(['compare', '--users', 'u1,u2', ...days, '--chunk-days', '2'], env());
  assert.equal(users.code, 0, users.stderr);
  assert.equal(
    users.stdout,
    'compare: no differences: 0 of 8640 minutes, 0 of 14 peaks, 0 of 14 statAt (users u1,u2, 2024-03-01..2024-03-03)\n',
  );
});

test('every differing minute, peak and statAt is listed, with the summary line and exit 1', async () => {
  // B counts differently: 20:30 on the 2nd is higher (a new peak), 20:10 on the 3rd as high as the peak (an earlier statAt)
  await admin(
    b.url,
    'POST',
    '/ccv',
    `${C1},cdn,${at('2024-03-02', '20:30')},60\n${C1},cdn,${at('2024-03-03', '20:10')},50`,
    'text/csv',
  );
  const channels = await cli(['compare', '--channels', `${C1},${C2}`, ...days], env());
  assert.equal(channels.code, 1, channels.stderr);
  assert.equal(
    channels.stdout,
    [
      `channel ${C1}  2024-03-02 20:30  minute  A 55  B 65`,
      `channel ${C1}  2024-03-03 20:10  minute  A 15  B 55`,
      `channel ${C1}  2024-03-02 all  peak  A 55  B 65`,
      `compare: 3 differences: 2 of 8640 minutes, 1 of 6 peaks, 0 of 0 statAt (channels ${C1},${C2}, 2024-03-01..2024-03-03)`,
      '',
    ].join('\n'),
  );

  const users = await cli(['compare', '--users', 'u1,u2', ...days, '--json', '--concurrency', '3'], env());
  assert.equal(users.code, 1, users.stderr);
  const report = JSON.parse(users.stdout) as { summary: Record<string, unknown>; differences: unknown[] };
  assert.deepEqual(report.summary, {
    minutes: 8640,
    peaks: 14,
    statAts: 14,
    differ: { minute: 2, peak: 2, statAt: 2 },
    what: 'users u1,u2, 2024-03-01..2024-03-03',
  });
  assert.deepEqual(report.differences, [
    { kind: 'minute', subject: 'user u1', day: '2024-03-02', minute: '20:30', a: 55, b: 65 },
    { kind: 'minute', subject: 'user u1', day: '2024-03-03', minute: '20:10', a: 15, b: 55 },
    { kind: 'peak', subject: 'user u1', day: '2024-03-02', pullType: 'cdn', a: 50, b: 60 },
    { kind: 'peak', subject: 'users u1,u2', day: '2024-03-02', pullType: 'cdn', a: 70, b: 80 },
    {
      kind: 'statAt',
      subject: 'user u1',
      day: '2024-03-03',
      pullType: 'cdn',
      a: at('2024-03-03', '20:30'),
      b: at('2024-03-03', '20:10'),
    },
    {
      kind: 'statAt',
      subject: 'users u1,u2',
      day: '2024-03-03',
      pullType: 'cdn',
      a: at('2024-03-03', '20:30'),
      b: at('2024-03-03', '20:10'),
    },
  ]);

  const human = await cli(['compare', '--users', 'u1', ...days, '--pull-type', 'cdn'], env());
  assert.match(
    human.stdout,
    /^user u1 {2}2024-03-03 cdn {2}statAt {2}A 2024-03-03 20:30 \+08:00 \(\d+\) {2}B 2024-03-03 20:10 \+08:00 \(\d+\)$/m,
  );
});

test('trouble is one line and exit 2: an unreachable side, a refused signature, bad usage', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const gone = `http://127.0.0.1:${(closed.address() as net.AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  // with retries, a failure stops the other calls' retries too: the run ends after the first one gives up
  const down = await cli(['compare', '--channels', C1, ...days, '--retries', '1', '--no-progress'], {
    ...env(),
    LIVE_CCV_BASE_URL: gone,
  });
  assert.equal(down.code, 2);
  assert.match(
    down.stderr,
    new RegExp(
      `^live-ccv: channel 8200001 (concurrence|peak) [-.\\d]+ on side B \\(${gone}\\): request failed: GET .*ECONNREFUSED.*\n$`,
    ),
  );
  const refused = await cli(['compare', '--channels', C1, ...days, '--retries', '0'], {
    ...env(),
    POLYV_APP_SECRET: 'not-the-secret-000000',
  });
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /^live-ccv: channel 8200001 concurrence .* on side A \(http:\/\/127\.0\.0\.1:\d+\): invalid signature\. \(code 403, request [\w-]+\)\n$/,
  );
  const usage = await cli(['compare', '--channels', C1, '--start', '2024-03-01'], env());
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, "live-ccv: required option '--end <yyyy-MM-dd>' not specified\n");
  const both = await cli(['compare', ...days], env());
  assert.equal(both.code, 2);
  assert.equal(both.stderr, 'live-ccv: give what to compare: --channels IDS or --users IDS\n');
  const noSecret = await cli(['compare', '--channels', C1, ...days], { ...env(), LIVE_CCV_APP_SECRET: '' });
  assert.equal(noSecret.stderr, 'live-ccv: no application secret for side B: pass --b-app-secret or set LIVE_CCV_APP_SECRET\n');
});

test('diff rules: a minute one side left out is 0 there; a repeated DST hour matches by order; a pull type one side lacks', () => {
  const p = (day: string, minute: string, viewers: number) => ({ day, minute, viewers });
  const series = diffSeries(
    'channel 1',
    [p('2024-11-03', '01:30', 4), p('2024-11-03', '01:30', 6), p('2024-11-03', '02:00', 1)],
    [p('2024-11-03', '01:30', 4), p('2024-11-03', '01:30', 7), p('2024-11-03', '03:00', 2)],
  );
  assert.equal(series.minutes, 4);
  assert.deepEqual(
    series.differences.map((d) => [d.kind === 'minute' && d.minute, d.a, d.b]),
    [
      ['01:30', 6, 7],
      ['02:00', 1, 0],
      ['03:00', 0, 2],
    ],
  );
  const summary = diffSummary('user u', '2024-03-01', [{ statAt: 60_000, peakCCV: '5', pullType: 'rtc' }], []);
  assert.deepEqual(summary.differences, [
    { kind: 'peak', subject: 'user u', day: '2024-03-01', pullType: 'rtc', a: 5, b: 0 },
    { kind: 'statAt', subject: 'user u', day: '2024-03-01', pullType: 'rtc', a: 60_000, b: null },
  ]);
  assert.deepEqual(diffSummary('user u', '2024-03-01', [{ statAt: 1, peakCCV: '5', pullType: 'rtc' }], [], 'cdn'), {
    minutes: 0,
    peaks: 0,
    statAts: 0,
    differences: [],
  });
});
