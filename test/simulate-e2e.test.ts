/**
 * End to end: the real server as a child process, `live-ccv simulate` sending batch heartbeats (with
 * duplicates, pull-type switches, a spike and late beats) and `live-ccv verify --wait` comparing the stored
 * minutes with the truth; then the signed summary's peak must equal the peak computed from the truth.
 * With 1 s lateness the run covers the current minute of a clock shared by server and simulator.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sign } from '../src/auth/sign.js';
import { labelMinute, localDay, localStamp } from '../src/domain/calendar.js';
import { formatTruth, parseTruth, truthPeaks } from '../src/sim/truth.js';
import { cli, tempDir } from './helpers.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const ADMIN = 'e2e-admin-token-0001';
const INGEST = 'e2e-ingest-token-0001';
const CHANNELS = ['3000001', '3000002', '3000003'];
const dir = tempDir('live-ccv-sim-e2e-');
/**
 * Server and simulator share a clock shifted so that it reads 10 s before the end of a minute now: the simulated
 * minute closes (1 s lateness) a few seconds into the test instead of up to a minute later.
 */
const CLOCK_OFFSET_MS = String((50_000 - (Date.now() % 60_000) + 60_000) % 60_000);
const env = {
  LIVE_CCV_ALLOWED_LATENESS_MS: '1000',
  LIVE_CCV_ADMIN_TOKEN: ADMIN,
  LIVE_CCV_INGEST_TOKEN: INGEST,
  LIVE_CCV_DEMO: 'false',
  LIVE_CCV_LOG_LEVEL: 'info',
  LIVE_CCV_CLOCK_OFFSET_MS: CLOCK_OFFSET_MS,
};
let server: ServerProcess;
let url = '';

const run = (args: string[]) => cli(args, env);

async function admin(method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/admin/v1${pathname}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { data: Record<string, unknown> };
  assert.equal(res.status, 200, JSON.stringify(json));
  return json.data;
}

before(async () => {
  // the one spawned server of the suite with a query thread (spawnCli starts none): the summary below is computed
  // in it, warm-up included, as in production
  server = await spawnServer({ ...env, LIVE_CCV_DATA_DIR: dir, LIVE_CCV_QUERY_THREADS: '1' });
  url = server.url;
});

after(async () => {
  await server.stop();
});

test('simulate then verify: the stored minutes equal the truth, late beats are refused, the summary peak matches', {
  timeout: 120_000,
}, async () => {
  const app = await admin('POST', '/apps', { name: 'sim-e2e' });
  const appId = String(app.appId);
  const appSecret = String(app.appSecret);
  await admin('POST', `/apps/${appId}/users`, { userId: 'simuser1' });
  for (const channelId of CHANNELS) await admin('POST', '/users/simuser1/channels', { channelId });

  const truthFile = path.join(dir, 'truth.ndjson');
  const sim = await run([
    'simulate',
    '--base-url',
    url,
    '--ingest-token',
    INGEST,
    '--channels',
    CHANNELS.join(','),
    '--truth',
    truthFile,
    '--viewers',
    '40',
    '--seed',
    '42',
    '--rate',
    '20000',
    '--batch-size',
    '500',
    '--allowed-lateness-ms',
    '1000',
    '--late',
    '0.02',
    '--duplicates',
    '0.05',
    '--switch',
    '0.05',
    '--no-progress',
    '--json',
  ]);
  assert.equal(sim.code, 0, `${sim.stdout}\n${sim.stderr}`);
  const report = JSON.parse(sim.stdout) as {
    sent: number;
    accepted: number;
    rejected: Record<string, number>;
    planned: { late: number; duplicate: number };
    lateAccepted: number;
    timeZone: string;
    days: { start: string; end: string };
    peaks: { pullType: string; statAt: number; local: string; peakCCV: number }[];
  };
  assert.equal(report.timeZone, 'Asia/Shanghai', 'the deployment zone by default');
  for (const p of report.peaks) assert.equal(p.local, localStamp(p.statAt, 'Asia/Shanghai'));
  assert.ok(report.sent > 100, `sent ${report.sent}`);
  assert.ok(report.planned.late > 0 && report.planned.duplicate > 0);
  assert.equal(report.lateAccepted, 0);
  const refused = Object.values(report.rejected).reduce((s, n) => s + n, 0);
  assert.equal(refused, report.sent - report.accepted);
  assert.ok(refused >= report.planned.late, JSON.stringify(report.rejected));

  const rows = parseTruth(fs.readFileSync(truthFile, 'utf8'));
  assert.ok(rows.length >= CHANNELS.length);
  assert.deepEqual(new Set(rows.map((r) => r.pullType)), new Set(['cdn', 'rtc', 'p2p']));

  const verified = await run([
    'verify',
    '--truth',
    truthFile,
    '--base-url',
    url,
    '--admin-token',
    ADMIN,
    '--wait',
    '--timeout',
    '90',
    '--poll',
    '500',
  ]);
  assert.equal(verified.code, 0, `${verified.stdout}\n${verified.stderr}\n${server.output().slice(-2000)}`);
  assert.match(verified.stdout, /verify: \d+ minute cells match, 0 mismatches/);

  // the peak of the sum over the user's channels, per pull type, as the signed summary computes it
  const expected = truthPeaks(rows, CHANNELS);
  // the local days simulate printed are the ones the truth covers, whatever the hour
  const days = rows.map((r) => labelMinute(r.minuteMs / 60_000, 'Asia/Shanghai').day).sort();
  assert.deepEqual(report.days, { start: days[0], end: days.at(-1) });
  const params: Record<string, string> = {
    appId,
    timestamp: String(Date.now()),
    users: 'simuser1',
    start: report.days.start,
    end: report.days.end,
  };
  params.sign = sign(params, appSecret);
  const res = await fetch(`${url}/live/internal/v3/user/concurrent/yunduo/summary?${new URLSearchParams(params)}`);
  const summary = (await res.json()) as { data: { statAt: number; peakCCV: string; pullType: string }[] };
  assert.equal(res.status, 200, JSON.stringify(summary));
  assert.deepEqual(
    summary.data,
    expected.map((p) => ({ statAt: p.minute * 60_000, peakCCV: String(p.value), pullType: p.key })),
  );

  // a mismatch makes verify fail: a truth claiming one more viewer somewhere
  const wrong = path.join(dir, 'wrong.csv');
  const first = rows[0]!;
  const altered = [{ ...first, ccv: first.ccv + 1 }, ...rows.slice(1)];
  fs.writeFileSync(wrong, formatTruth(altered, 'csv'));
  const failed = await run(['verify', '--truth', wrong, '--base-url', url, '--admin-token', ADMIN]);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /\d+ minute cells match, 1 mismatch\n {2}channel \d+ \w+ .*expected \d+, server \d+/);
});

test('simulate prints its times and the local days to query in the zone it is given', { timeout: 60_000 }, async () => {
  const zoneApp = await admin('POST', '/apps', { name: 'zone' });
  await admin('POST', `/apps/${String(zoneApp.appId)}/users`, { userId: 'zoneuser' });
  await admin('POST', '/users/zoneuser/channels', { channelId: '3000009' });
  const zone = 'America/New_York';
  const sim = await run([
    'simulate',
    '--base-url',
    url,
    '--ingest-token',
    INGEST,
    '--channels',
    '3000009',
    '--truth',
    path.join(dir, 'zone.csv'),
    '--viewers',
    '5',
    '--late',
    '0',
    '--allowed-lateness-ms',
    '1000',
    '--time-zone',
    zone,
    '--no-progress',
  ]);
  assert.equal(sim.code, 0, sim.stderr);
  const rows = parseTruth(fs.readFileSync(path.join(dir, 'zone.csv'), 'utf8'));
  const minutes = rows.map((r) => r.minuteMs).sort((a, b) => a - b);
  assert.match(
    sim.stderr,
    /simulated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0[45]:00 \.\. \d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0[45]:00 \(spike at \d\d:\d\d:\d\d\)/,
  );
  assert.match(sim.stdout, /^peak cdn: \d+ at \d{4}-\d\d-\d\d \d\d:\d\d -0[45]:00$/m);
  const daysLine = `local days (${zone}): --start ${localDay(minutes[0]!, zone)} --end ${localDay(minutes.at(-1)!, zone)}`;
  assert.ok(sim.stdout.split('\n').includes(daysLine), sim.stdout);
  const badZone = await run([
    'verify',
    '--truth',
    path.join(dir, 'zone.csv'),
    '--base-url',
    url,
    '--admin-token',
    ADMIN,
    '--time-zone',
    'Mars/Base',
  ]);
  assert.equal(
    badZone.stderr,
    'live-ccv: invalid --time-zone: expected an IANA time zone such as Asia/Shanghai, got "Mars/Base"\n',
  );
});

test('bad input is one clear line and a non-zero exit', async () => {
  const noChannels = await run(['simulate', '--base-url', url, '--channels', 'abc', '--truth', path.join(dir, 'x.ndjson')]);
  assert.notEqual(noChannels.code, 0);
  assert.equal(noChannels.stderr.trim(), 'live-ccv: invalid --channels: channel ids are digits, got "abc"');
  const badRate = await run([
    'simulate',
    '--base-url',
    url,
    '--channels',
    '1',
    '--truth',
    path.join(dir, 'x.ndjson'),
    '--rate',
    'fast',
  ]);
  assert.equal(badRate.stderr.trim().split('\n').at(-1), 'live-ccv: invalid --rate: expected a number >= 0.001, got "fast"');
  const missing = await run(['verify', '--truth', path.join(dir, 'nope.ndjson'), '--base-url', url, '--admin-token', ADMIN]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), `live-ccv: cannot read truth file ${path.join(dir, 'nope.ndjson')}: ENOENT`);
});
