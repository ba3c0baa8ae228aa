/**
 * Durability for real: the real server process is SIGKILLed while heartbeats stream in, restarted, and
 * the final per-minute counts must equal the exact distinct counts of everything acknowledged (unknown
 * batches, whose answer the kill swallowed, are resent: the set semantics must absorb the repeat).
 * The allowed lateness changes between starts, so minutes close within seconds instead of minutes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { labelMinute } from '../src/domain/calendar.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';
import { postBeats, Tally, type Beat } from './heartbeat-tally.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const INGEST = 'crash-test-ingest-token';
const ADMIN = 'crash-test-admin-token';
const CHANNELS = ['10', '11', '12'];
const PULLS = ['cdn', 'rtc'];
const dataDir = tempDir('live-ccv-crash-');
const c = Math.floor(Date.now() / 60_000); // "now" minute of the test; heartbeats use c-6 .. c-1

/** The real server on the test's data dir, with the lateness this phase wants (test/server-process.ts). */
function start(latenessMs: number): Promise<ServerProcess> {
  return spawnServer({
    LIVE_CCV_DATA_DIR: dataDir,
    LIVE_CCV_ALLOWED_LATENESS_MS: String(Math.max(0, Math.round(latenessMs))),
    LIVE_CCV_INGEST_TOKEN: INGEST,
    LIVE_CCV_ADMIN_TOKEN: ADMIN,
    LIVE_CCV_DEMO: 'false',
    LIVE_CCV_LOG_LEVEL: 'info',
  });
}

async function stop(s: ServerProcess): Promise<void> {
  assert.equal(await s.stop('SIGTERM'), 0);
}

async function admin(s: ServerProcess, method: string, p: string, body?: unknown) {
  const res = await fetch(`${s.url}/admin/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { data: unknown };
}

let seed = 7;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
function batch(minutes: number[], size = 150): Beat[] {
  return Array.from({ length: size }, () => {
    const m = minutes[rand(minutes.length)]!;
    return {
      channelId: CHANNELS[rand(CHANNELS.length)]!,
      viewerId: `v${rand(400)}`,
      pullType: PULLS[rand(PULLS.length)]!,
      ts: m * 60_000 + rand(60_000),
    };
  });
}

/** Acknowledged beats. */
const tally = new Tally();
const record = (beats: Beat[]) => tally.record(beats);

async function send(s: ServerProcess, beats: Beat[]) {
  const res = await postBeats(s.url, INGEST, beats);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { accepted: number; rejected: { index: number; reason: string }[] } }).data;
}

/**
 * Streams batches with 4 in flight and SIGKILLs the server after `killAfter` acknowledgements; returns
 * the batches whose fate the kill hid.
 */
async function streamAndKill(s: ServerProcess, minutes: number[], killAfter: number): Promise<Beat[][]> {
  const unknown: Beat[][] = [];
  let acked = 0;
  let killed = false;
  const worker = async () => {
    while (!killed) {
      const beats = batch(minutes);
      try {
        const r = await send(s, beats);
        assert.deepEqual(r, { accepted: beats.length, rejected: [] });
        record(beats);
        if (++acked >= killAfter && !killed) {
          killed = true;
          s.child.kill('SIGKILL');
        }
      } catch (e) {
        if (!killed) throw e;
        unknown.push(beats);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await s.exited;
  return unknown;
}

async function resend(s: ServerProcess, batches: Beat[][]) {
  for (const beats of batches) {
    assert.deepEqual(await send(s, beats), { accepted: beats.length, rejected: [] });
    record(beats);
  }
}

async function readStore(): Promise<{ channels: Map<string, number>; user: Map<number, number> }> {
  const store = new SqliteStore(path.join(dataDir, 'live-ccv.sqlite'));
  const channels = new Map<string, number>();
  const user = new Map<number, number>();
  try {
    for (const ch of CHANNELS) {
      for (const seg of await store.readCurves('channel', [ch], c - 20, c + 5)) {
        for (const [i, v] of Array.from(seg.values).entries()) if (v > 0) channels.set(`${ch}|${seg.key}|${seg.start + i}`, v);
      }
    }
    for (const seg of await store.readCurves('user', ['crashuser'], c - 20, c + 5)) {
      for (const [i, v] of Array.from(seg.values).entries())
        if (v > 0) user.set(seg.start + i, (user.get(seg.start + i) ?? 0) + v);
    }
  } finally {
    await store.close();
  }
  return { channels, user };
}

const counts = (filter: (minute: number) => boolean) => tally.counts(filter);

it('survives SIGKILL mid-stream: final per-minute counts equal the exact distinct counts', { timeout: 120_000 }, async () => {
  const early = [c - 6, c - 5, c - 4];
  const lateMinutes = [c - 3, c - 2, c - 1];
  const BIG = 10 * 60_000;

  // 1: everything open; kill mid-stream.
  let s = await start(BIG);
  await admin(s, 'POST', '/apps', { name: 'crash', appId: 'crashapp' });
  await admin(s, 'POST', '/apps/crashapp/users', { userId: 'crashuser' });
  for (const ch of CHANNELS) await admin(s, 'POST', '/users/crashuser/channels', { channelId: ch });
  let unknown = await streamAndKill(s, [...early, ...lateMinutes], 12);

  // 2: resend what the kill hid; a clean stop writes nothing, since no minute is closed yet.
  s = await start(BIG);
  await resend(s, unknown);
  await stop(s);
  assert.equal((await readStore()).channels.size, 0, 'open minutes are not written on a clean stop');
  assert.ok(fs.readdirSync(path.join(dataDir, 'log')).length >= 2, 'open minutes stay in the log');

  // 3: the early minutes are closed at start and written; stream into the later ones, refuse a late beat, kill.
  const closeEarly = () => Date.now() - (c - 3) * 60_000 - 2_000;
  s = await start(closeEarly());
  const day = (m: number) => labelMinute(m, 'Asia/Shanghai').day;
  const rows = (await admin(s, 'GET', `/channels/10/minutes?start=${day(c - 6)}&end=${day(c - 1)}`)).data as {
    minute: number;
    pullType: string;
    ccv: number;
  }[];
  const got = new Map(rows.map((r) => [`10|${r.pullType}|${r.minute / 60_000}`, r.ccv]));
  const closed = new Map([...counts((m) => m < c - 3)].filter(([k]) => k.startsWith('10|')));
  assert.ok(closed.size > 0);
  assert.deepEqual(got, closed, 'minutes closed while the server was down are written at start');
  const late = await send(s, [{ channelId: '10', viewerId: 'too-late', pullType: 'cdn', ts: (c - 5) * 60_000 + 1 }]);
  assert.equal(late.accepted, 0);
  assert.match(late.rejected[0]!.reason, /^late/);
  unknown = await streamAndKill(s, lateMinutes, 10);

  // 4: resend, clean stop.
  s = await start(closeEarly());
  await resend(s, unknown);
  await stop(s);

  // 5: every minute closed at start: all written, the log compacted.
  s = await start(0);
  await stop(s);
  const { channels, user } = await readStore();
  assert.deepEqual(
    channels,
    counts(() => true),
  );
  const perMinute = new Map<number, number>();
  for (const [k, n] of counts(() => true)) {
    const m = Number(k.split('|')[2]);
    perMinute.set(m, (perMinute.get(m) ?? 0) + n);
  }
  assert.deepEqual(user, perMinute, "the user's curve is the sum of its channels'");
  assert.equal(fs.readdirSync(path.join(dataDir, 'log')).length, 1, 'flushed segments are deleted');
});
