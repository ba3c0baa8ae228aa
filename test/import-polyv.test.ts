/**
 * `live-ccv import polyv` end to end: a live-ccv server with known minutes is the POLYV source (it speaks the
 * same signed API), a real HTTP proxy in front of it answers a 429 and a 502 mid-run, and the CLI runs as the bin
 * runs it (in-process through runCli; as a real process for the kill), into a store and into another server's
 * admin API. The target must end up with exactly the
 * source's minutes; a second run changes nothing; a failed or killed run resumes from its state file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sqlitePath } from '../src/config/config.js';
import { localDay, MINUTE_MS } from '../src/domain/calendar.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { BAD_GATEWAY, faultProxy, TOO_MANY } from './fault-proxy.js';
import { cli, tempDir } from './helpers.js';
import { spawnCli, spawnServer, type ServerProcess } from './server-process.js';

const ADMIN = 'polyv-admin-token-0001';
const APP = { appId: 'srcapp01', appSecret: 'source-secret-source-01' };
const CHANNELS = ['8100001', '8100002'];
const CONCURRENCE = '/live/v3/channel/statistics/concurrence';
const START = '2024-03-01';
const END = '2024-03-12';
let source: ServerProcess;
/** per channel and pull type: epoch ms -> ccv, as loaded into the source */
const loaded = new Map<string, Map<number, number>>();

/** The CLI in-process (runCli), with no POLYV_* variables of the test's own environment. */
const run = (args: string[], env: Record<string, string> = {}) => cli(args, { POLYV_APP_ID: '', POLYV_APP_SECRET: '', ...env });

async function admin(base: string, method: string, p: string, body?: string, type = 'application/json') {
  const res = await fetch(`${base}/admin/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type },
    body,
  });
  const json = (await res.json()) as { data: unknown; message: string };
  assert.equal(res.status, 200, json.message);
  return json.data;
}

/** Known source data: shows on most days, cdn and rtc, a different curve per channel. */
function sourceRows(): string {
  const lines = ['channelId,pullType,minute,ccv'];
  const day0 = Date.parse(`${START}T00:00:00+08:00`);
  for (const [c, channelId] of CHANNELS.entries()) {
    for (let d = 0; d < 12; d++) {
      if (d === 4 && c === 0) continue; // a dark day
      const showStart = day0 + d * 86_400_000 + (19 + c) * 3_600_000 + d * 60_000;
      for (let i = 0; i < 150; i++) {
        for (const [pullType, scale] of [
          ['cdn', 3],
          ['rtc', 1],
        ] as const) {
          const ccv = Math.round(scale * (50 + 40 * Math.sin(i / 20) + c * 7 + d));
          const minute = showStart + i * MINUTE_MS;
          lines.push(`${channelId},${pullType},${minute},${ccv}`);
          const key = `${channelId} ${pullType}`;
          if (!loaded.has(key)) loaded.set(key, new Map());
          loaded.get(key)!.set(minute, ccv);
        }
      }
    }
  }
  return lines.join('\n');
}

/** The source's per-minute total over pull types, what a concurrence call without pullType answers. */
function expectedTotal(channelId: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const pt of ['cdn', 'rtc']) for (const [m, v] of loaded.get(`${channelId} ${pt}`) ?? []) out.set(m, (out.get(m) ?? 0) + v);
  return out;
}

const RANGE = { from: Date.parse(`${START}T00:00:00+08:00`), to: Date.parse('2024-03-13T00:00:00+08:00') };

async function storedIn(dataDir: string, channelId: string, pullType: string): Promise<Map<number, number>> {
  const store = new SqliteStore(sqlitePath({ dataDir }));
  try {
    const out = new Map<number, number>();
    for (const s of await store.readCurves(
      'channel',
      [channelId],
      RANGE.from / MINUTE_MS - 1440,
      RANGE.to / MINUTE_MS + 30 * 1440,
      pullType,
    )) {
      for (let i = 0; i < s.values.length; i++) if (s.values[i]! > 0) out.set((s.start + i) * MINUTE_MS, s.values[i]!);
    }
    return out;
  } finally {
    await store.close();
  }
}

async function localTarget(channels = CHANNELS): Promise<string> {
  const dataDir = tempDir();
  const store = new SqliteStore(sqlitePath({ dataDir }));
  const t = new Tenancy(store);
  await t.createApp({ name: 'target', appId: 'tgt01' });
  await t.addUser('tgt01', 'tgtuser');
  for (const c of channels) await t.addChannel('tgtuser', c);
  await store.close();
  return dataDir;
}

const common = (sourceUrl: string, state: string) => [
  'import',
  'polyv',
  '--source',
  sourceUrl,
  '--app-id',
  APP.appId,
  '--start',
  START,
  '--end',
  END,
  '--chunk-days',
  '5',
  '--state',
  state,
];
const secret = { POLYV_APP_SECRET: APP.appSecret };

before(async () => {
  source = await spawnServer({
    LIVE_CCV_DATA_DIR: tempDir(),
    LIVE_CCV_ADMIN_TOKEN: ADMIN,
    LIVE_CCV_DEMO: 'false',
    LIVE_CCV_INGEST: 'false',
  });
  await admin(source.url, 'POST', '/apps', JSON.stringify({ name: 'source', ...APP }));
  await admin(source.url, 'POST', `/apps/${APP.appId}/users`, JSON.stringify({ userId: 'srcuser' }));
  for (const c of CHANNELS) await admin(source.url, 'POST', '/users/srcuser/channels', JSON.stringify({ channelId: c }));
  const result = (await admin(source.url, 'POST', '/ccv', sourceRows(), 'text/csv')) as { rejected: unknown[] };
  assert.deepEqual(result.rejected, []);
});
after(async () => {
  await source.stop();
});

test('through a proxy that answers a 429 and a 502: the store ends with exactly the source minutes; twice changes nothing', async () => {
  const proxy = await faultProxy(source.url, (n, p) =>
    p !== CONCURRENCE ? undefined : n === 2 ? TOO_MANY : n === 4 ? BAD_GATEWAY : undefined,
  );
  const dataDir = await localTarget();
  // stale data in the target: a minute inside the range the source has no viewers in, and one outside it
  const inside = Date.parse('2024-03-05T03:00:00Z');
  const outside = Date.parse('2024-03-20T03:00:00Z');
  const store = new SqliteStore(sqlitePath({ dataDir }));
  await store.setChannelMinutes([
    { channelId: CHANNELS[0]!, pullType: 'cdn', minute: inside / MINUTE_MS, ccv: 99 },
    { channelId: CHANNELS[0]!, pullType: 'cdn', minute: outside / MINUTE_MS, ccv: 55 },
  ]);
  await store.close();
  const state = path.join(dataDir, 'polyv.state.json');
  const args = [
    ...common(proxy.url, state),
    '--channels',
    CHANNELS.join(','),
    '--concurrency',
    '2',
    '--data-dir',
    dataDir,
    '--json',
  ];
  try {
    const first = await run(args, secret);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as Record<string, number>;
    const total = CHANNELS.reduce((n, c) => n + expectedTotal(c).size, 0);
    assert.deepEqual(
      {
        units: report.units,
        resumed: report.resumed,
        set: report.minutesSet,
        zeroed: report.minutesZeroed,
        unchanged: report.minutesUnchanged,
      },
      { units: 6, resumed: 0, set: total, zeroed: 1, unchanged: 0 },
    );
    assert.deepEqual(
      { requests: report.requests, rateLimited: report.rateLimited, retries: report.retries },
      { requests: 8, rateLimited: 1, retries: 1 },
    );
    assert.equal(proxy.seen(CONCURRENCE), 8);
    assert.match(
      first.stderr,
      /^import polyv: rate limited by the source: waiting 1 s \(channel \d+ \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d\)$/m,
    );
    assert.match(
      first.stderr,
      /^import polyv: retrying channel \d+ .* after: unexpected answer to GET .* \(HTTP 502\), not a JSON envelope: <html>.* \(code 502\) \(attempt 1 of 8\)$/m,
    );
    // every request was signed for POLYV: appId, timestamp, nonce, sign
    assert.ok(proxy.log.every((u) => !u.startsWith(CONCURRENCE) || /[?&]sign=[0-9A-F]{32}(&|$)/.test(u)));

    const expected0 = new Map([...expectedTotal(CHANNELS[0]!), [outside, 55]]);
    assert.deepEqual(
      sorted(await storedIn(dataDir, CHANNELS[0]!, 'cdn')),
      sorted(expected0),
      'the stale minute inside the range is 0 now',
    );
    assert.deepEqual(sorted(await storedIn(dataDir, CHANNELS[1]!, 'cdn')), sorted(expectedTotal(CHANNELS[1]!)));

    const again = await run(args, secret);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      pick(JSON.parse(again.stdout)),
      { resumed: 6, requests: 0, minutesSet: 0, minutesZeroed: 0 },
      'all done already',
    );

    const restarted = await run([...args, '--restart'], secret);
    assert.equal(restarted.code, 0, restarted.stderr);
    const r = JSON.parse(restarted.stdout) as Record<string, number>;
    assert.deepEqual(
      pick(r),
      { resumed: 0, requests: 6, minutesSet: 0, minutesZeroed: 0 },
      'everything fetched again, nothing written',
    );
    assert.equal(r.minutesUnchanged, total);
    assert.deepEqual(sorted(await storedIn(dataDir, CHANNELS[0]!, 'cdn')), sorted(expected0));
  } finally {
    await proxy.close();
  }
});

test("into another server's admin API for every channel of a user; a failed run resumes where it stopped", async () => {
  const target = await spawnServer({
    LIVE_CCV_DATA_DIR: tempDir(),
    LIVE_CCV_ADMIN_TOKEN: ADMIN,
    LIVE_CCV_DEMO: 'false',
    LIVE_CCV_INGEST: 'false',
  });
  const proxy = await faultProxy(source.url, (n, p) => (p === CONCURRENCE && n === 3 ? BAD_GATEWAY : undefined));
  try {
    await admin(target.url, 'POST', '/apps', JSON.stringify({ name: 'tgt', appId: 'tgt02' }));
    await admin(target.url, 'POST', '/apps/tgt02/users', JSON.stringify({ userId: 'tgtuser' }));
    for (const c of CHANNELS) await admin(target.url, 'POST', '/users/tgtuser/channels', JSON.stringify({ channelId: c }));
    const state = path.join(tempDir(), 'remote.state.json');
    const args = [
      ...common(proxy.url, state),
      '--user',
      'tgtuser',
      '--concurrency',
      '1',
      '--retries',
      '0',
      '--base-url',
      target.url,
      '--source-pull-type',
      'rtc',
      '--pull-type',
      'rtc',
    ];
    const env = { ...secret, LIVE_CCV_ADMIN_TOKEN: ADMIN };
    const failed = await run(args, env);
    assert.equal(failed.code, 1);
    const lines = failed.stderr.trim().split('\n');
    assert.equal(lines.length, 1, failed.stderr);
    assert.match(
      lines[0]!,
      new RegExp(
        `^live-ccv: channel ${CHANNELS[0]} 2024-03-11\\.\\.2024-03-12: unexpected answer to GET .*\\(code 502\\); 2 of 6 channel-chunks are done and recorded in ${state}: run the same command to resume$`,
      ),
    );

    const resumed = await run([...args, '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    const report = JSON.parse(resumed.stdout) as Record<string, number>;
    assert.deepEqual({ resumed: report.resumed, requests: report.requests }, { resumed: 2, requests: 4 });
    assert.equal(proxy.seen(CONCURRENCE), 3 + 4, 'the done channel-chunks were not fetched again');

    for (const c of CHANNELS) {
      const q = new URLSearchParams({ start: '2024-02-29', end: '2024-03-13', pullType: 'rtc' });
      const rows = (await admin(target.url, 'GET', `/channels/${c}/minutes?${q}`)) as { minute: number; ccv: number }[];
      assert.deepEqual(sorted(new Map(rows.map((r) => [r.minute, r.ccv]))), sorted(loaded.get(`${c} rtc`)!), `channel ${c} rtc`);
    }
  } finally {
    await proxy.close();
    await target.stop();
  }
});

test('killed mid-run (SIGKILL), the same command resumes and the result is exact', async () => {
  const proxy = await faultProxy(source.url, () => undefined, 400);
  const dataDir = await localTarget();
  const state = path.join(dataDir, 'kill.state.json');
  const args = [
    ...common(proxy.url, state),
    '--channels',
    CHANNELS.join(','),
    '--concurrency',
    '1',
    '--data-dir',
    dataDir,
    '--json',
  ];
  try {
    // a real process, killed for real
    const first = spawnCli(args, { ...secret, POLYV_APP_ID: '' });
    const deadline = Date.now() + 30_000;
    // kill once the state file records two channel-chunks: the run is then mid-way (6 in all)
    const recorded = () => {
      try {
        return (JSON.parse(fs.readFileSync(state, 'utf8')) as { done: string[] }).done.length;
      } catch {
        return 0;
      }
    };
    while (recorded() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by the signal');
    const second = await run(args, secret);
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { resumed: number; requests: number };
    assert.ok(report.resumed >= 2 && report.resumed < 6, `resumed ${report.resumed}`);
    assert.equal(report.resumed + report.requests, 6, 'the recorded channel-chunks are not fetched again');
    for (const c of CHANNELS) assert.deepEqual(sorted(await storedIn(dataDir, c, 'cdn')), sorted(expectedTotal(c)));
  } finally {
    await proxy.close();
  }
});

test('bad input and refusals: one line naming the problem', async () => {
  const dataDir = await localTarget();
  const base = [...common(source.url, path.join(dataDir, 's.json')), '--data-dir', dataDir];
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      [...base, '--channels', '8100001,8199999'],
      secret,
      /^live-ccv: channel 8199999 is not in the store: add it to its user first \(live-ccv channels add 8199999 --user USER\)\n$/,
    ],
    [
      [...base, '--channels', '8100001'],
      { POLYV_APP_SECRET: 'wrong-secret-wrong-secret' },
      /^live-ccv: channel 8100001 2024-03-\d\d\.\.2024-03-\d\d: invalid signature\. \(code 403, request [\w-]+\); 0 of 3 channel-chunks are done/,
    ],
    [
      [...base, '--channels', '8100001'],
      {},
      /^live-ccv: no source application secret: pass --app-secret or set POLYV_APP_SECRET\n$/,
    ],
    [[...base], secret, /^live-ccv: give the channels to import: --channels IDS or --user USER\n$/],
    [[...base, '--user', 'nobody'], secret, /^live-ccv: user nobody not found\n$/],
    [
      [...base, '--channels', '8100001', '--chunk-days', '63'],
      secret,
      /^live-ccv: invalid --chunk-days: expected an integer from 1 to 62, got "63"\n$/,
    ],
    [[...base, '--channels', '8100001', '--pull-type', 'hls'], secret, /unknown pullType "hls" \(accepted: cdn, rtc, p2p\)/],
  ];
  const today = localDay(Date.now(), 'Asia/Shanghai');
  cases.push([
    [...base.slice(0, base.indexOf('--end')), '--end', today, ...base.slice(base.indexOf('--end') + 2), '--channels', '8100001'],
    secret,
    new RegExp(
      `^live-ccv: --end must be a day that is over at the source \\(before ${today} in Asia/Shanghai\\): its numbers are not final yet\\n$`,
    ),
  ]);
  // each case its own state file: they run at once
  const results = await Promise.all(
    cases.map(([args, env], i) => run([...args, '--state', path.join(dataDir, `s${i}.json`)], env)),
  );
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 1, `case ${i}: ${r.stderr}`);
    assert.match(r.stderr, cases[i]![2], `case ${i}`);
  }
});

const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
const pick = (r: Record<string, number>) => ({
  resumed: r.resumed,
  requests: r.requests,
  minutesSet: r.minutesSet,
  minutesZeroed: r.minutesZeroed,
});
