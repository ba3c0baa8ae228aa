/**
 * A full disk for real: the real server runs with its data dir on a small tmpfs, which the test fills.
 * While full, heartbeats (batch and beacon) and imports answer the 503 `storage unavailable: <reason>`
 * envelope with Retry-After (the CLI import says it on its one line), /readyz names the failing components
 * and /healthz stays 200. Once the space is back, readiness and writes recover by themselves, without a
 * restart; in the end the stored minutes equal exactly the distinct viewers of every acknowledged heartbeat
 * (nothing lost, nothing counted twice).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { spawnServer } from './server-process.js';
import { postBeats, Tally, type Beat } from './heartbeat-tally.js';
import { cli, tempDir } from './helpers.js';
import { assertRefused } from './refusals.js';
import { mountSmallFs } from './small-fs.js';

const INGEST = 'disk-full-ingest-token';
const ADMIN = 'disk-full-admin-token';
const CHANNELS = ['10', '11', '12'];
const fsys = mountSmallFs(24 * 1024 * 1024);
after(() => fsys.unmount());
const dataDir = path.join(fsys.dir, 'data');
const c = Math.floor(Date.now() / 60_000);
const MINUTES = [c - 3, c - 2, c - 1];

const env = (latenessMs: number) => ({
  LIVE_CCV_DATA_DIR: dataDir,
  LIVE_CCV_INGEST_TOKEN: INGEST,
  LIVE_CCV_ADMIN_TOKEN: ADMIN,
  LIVE_CCV_ALLOWED_LATENESS_MS: String(latenessMs),
  LIVE_CCV_LOG_LEVEL: 'info',
  LIVE_CCV_DEMO: 'false',
});

const tally = new Tally();
let n = 0;
function batch(size: number): Beat[] {
  return Array.from({ length: size }, () => {
    n++;
    return {
      channelId: CHANNELS[n % 3]!,
      viewerId: `v${(n * 7919) % 500}`,
      pullType: n % 2 ? 'cdn' : 'rtc',
      ts: MINUTES[n % 3]! * 60_000 + (n % 60_000),
    };
  });
}
const record = (beats: Beat[]) => tally.record(beats);
const post = (url: string, beats: Beat[]) => postBeats(url, INGEST, beats);
async function admin(url: string, method: string, p: string, body?: string, type = 'application/json') {
  return fetch(`${url}/admin/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': type } : {}) },
    body,
  });
}
/** Per-minute CCV rows of many old days: enough new pages that the store must grow. */
function importCsv(firstDay: number, days: number): string {
  const rows = ['channelId,pullType,minute,ccv'];
  for (let d = 0; d < days; d++) {
    for (const ch of CHANNELS) {
      for (let m = 0; m < 1440; m += 7) rows.push(`${ch},cdn,${(firstDay + d) * 86_400_000 + m * 60_000},${(d + m) % 1000}`);
    }
  }
  return rows.join('\n');
}
const DAY0 = Math.floor(Date.UTC(2021, 0, 1) / 86_400_000);

test('a full disk answers 503 storage unavailable with Retry-After, readiness names it, and everything recovers without a restart', {
  timeout: 180_000,
}, async () => {
  const s = await spawnServer(env(10 * 60_000));
  const { url } = s;
  assert.equal((await admin(url, 'POST', '/apps', JSON.stringify({ name: 'full', appId: 'fullapp' }))).status, 200);
  assert.equal((await admin(url, 'POST', '/apps/fullapp/users', JSON.stringify({ userId: 'fulluser' }))).status, 200);
  for (const ch of CHANNELS) {
    assert.equal((await admin(url, 'POST', '/users/fulluser/channels', JSON.stringify({ channelId: ch }))).status, 200);
  }
  for (let i = 0; i < 5; i++) {
    const beats = batch(200);
    const res = await post(url, beats);
    assert.equal(res.status, 200);
    record(beats);
  }
  assert.equal((await fetch(`${url}/readyz`)).status, 200);

  fsys.fill();

  await assertRefused(
    await post(url, batch(3000)),
    503,
    'storage unavailable: heartbeat log: no space left on device (ENOSPC)',
    '5',
  );
  // A small frame may still fit in the last page of the log file: use up that slack with one-beat batches
  // (each acknowledged one counts), then a beacon of the same size finds no room either.
  for (let i = 0; ; i++) {
    const one = [{ channelId: '10', viewerId: `s${String(i).padStart(5, '0')}`, pullType: 'cdn', ts: MINUTES[0]! * 60_000 }];
    const res = await post(url, one);
    if (res.status === 503) break;
    assert.equal(res.status, 200);
    record(one);
  }
  const beacon = await fetch(`${url}/v1/beacon?channelId=10&viewerId=b00000&pullType=cdn`);
  assert.equal(beacon.status, 503);
  assert.match(((await beacon.json()) as { message: string }).message, /^storage unavailable: heartbeat log: /);

  const imported = await admin(url, 'POST', '/ccv', importCsv(DAY0, 60), 'text/csv');
  await assertRefused(imported, 503, 'storage unavailable: disk full (SQLITE_FULL)', '5');
  // the CLI import on the same store says it in its one line
  const csv = path.join(tempDir('live-ccv-import-'), 'rows.csv');
  fs.writeFileSync(csv, importCsv(DAY0, 60));
  const imported2 = await cli(['import', 'ccv', csv, '--data-dir', dataDir]);
  assert.equal(imported2.code, 1);
  assert.equal(imported2.stderr, 'live-ccv: storage unavailable: disk full (SQLITE_FULL)\n');

  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 503);
  assert.ok(ready.headers.get('retry-after'));
  const message = ((await ready.json()) as { message: string }).message;
  assert.match(message, /^not ready: /);
  assert.match(message, /heartbeatLog: heartbeat log: no space left on device \(ENOSPC\) since /);
  // The store is named until its probe (a one-row meta write, once a second) succeeds: on a full file system a
  // write that small can still land in SQLite's free pages, so by now the store may rightly be ready again.
  if (message.includes('store:')) assert.match(message, /store: disk full \(SQLITE_FULL\) since \d{4}-/);
  assert.equal((await fetch(`${url}/healthz`)).status, 200, 'liveness does not depend on the disk');

  fsys.free();
  // Recovery needs no request and no restart: readiness turns by itself (the probes run every second).
  while ((await fetch(`${url}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 5; i++) {
    const beats = batch(200);
    const res = await post(url, beats);
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(((await res.json()) as { data: unknown }).data, { accepted: 200, rejected: [] });
    record(beats);
  }
  const again = await admin(url, 'POST', '/ccv', importCsv(DAY0, 60), 'text/csv');
  assert.equal(again.status, 200, await again.clone().text());
  assert.equal(await s.stop(), 0);

  // Every minute closes at the next start: the store must hold exactly the acknowledged viewers.
  const closing = await spawnServer(env(0));
  assert.equal(await closing.stop(), 0);
  const store = new SqliteStore(path.join(dataDir, 'live-ccv.sqlite'));
  try {
    const got = new Map<string, number>();
    for (const ch of CHANNELS) {
      for (const seg of await store.readCurves('channel', [ch], c - 10, c + 5)) {
        for (const [i, v] of Array.from(seg.values).entries()) if (v > 0) got.set(`${ch}|${seg.key}|${seg.start + i}`, v);
      }
    }
    assert.deepEqual(got, tally.counts());
    const old = await store.readCurves('channel', ['11'], DAY0 * 1440, (DAY0 + 60) * 1440);
    const sum = old.reduce((t, seg) => t + Array.from(seg.values).reduce((a, b) => a + b, 0), 0);
    let want = 0;
    for (let d = 0; d < 60; d++) for (let m = 0; m < 1440; m += 7) want += (d + m) % 1000;
    assert.equal(sum, want, 'the import after recovery is complete');
  } finally {
    await store.close();
  }
});
