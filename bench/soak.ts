/**
 * Soak: `npm run bench:soak [-- --minutes 5] [--load 2]`. A real server process takes several minutes of
 * mixed traffic at `--load` times a nominal load (default twice), open loop (requests are sent on
 * schedule whether or not earlier ones answered, so a slow server shows as latency, not as less load):
 *
 * nominal load (one ingest+API server of a mid-size deployment):
 * - 10,000 viewers, each beating every 10 s: 1,000 heartbeats/s, posted by edge collectors as NDJSON
 *   batches of 100 every 100 ms, plus 10 player beacons/s straight to /v1/beacon;
 * - 20 signed API calls/s, mixed: summary (1-10 users, 1-31 days), channel concurrence, max history,
 *   concurrence-mc, user concurrence, realtime.
 *
 * Reports the server's RSS every 30 s, every non-2xx answer or transport error, and latency percentiles
 * per kind, with same-run ratios: RSS at the end against after the first minute (growth), and the last
 * minute's p99 against the first full minute's (drift). `--burst` runs bench/soak-burst.ts instead.
 */
import { performance } from 'node:perf_hooks';
import { sign } from '../src/auth/sign.js';
import { labelMinute } from '../src/domain/calendar.js';
import {
  channelConcurrence,
  channelMaxHistoryConcurrent,
  channelsConcurrence,
  summary,
  userConcurrence,
  userRealtimeConcurrence,
} from '@live-ccv/client/contract';
import { percentile } from './stats.js';
import { CALLER, flag, INGEST_TOKEN, startSoakServer } from './soak-server.js';

if (process.argv.includes('--burst')) {
  await import('./soak-burst.js');
  process.exit(0);
}
const MINUTES = Number(flag('--minutes') ?? 5);
const LOAD = Number(flag('--load') ?? 2);
const TICK_MS = 100;
const NOMINAL = { viewers: 10_000, beatEveryS: 10, beaconsPerS: 10, callsPerS: 20 };
const VIEWERS = NOMINAL.viewers * LOAD;
const BEATS_PER_TICK = Math.round(((VIEWERS / NOMINAL.beatEveryS) * TICK_MS) / 1000);
const BEACONS_PER_S = NOMINAL.beaconsPerS * LOAD;
const CALLS_PER_S = NOMINAL.callsPerS * LOAD;
const TZ = 'Asia/Shanghai';

type Kind = 'batch' | 'beacon' | 'summary' | 'concurrence' | 'max-history' | 'concurrence-mc' | 'user-concurrence' | 'realtime';
interface Sample {
  kind: Kind;
  at: number;
  ms: number;
  status: number;
}

const server = await startSoakServer({ users: 20, channelsPerUser: 10 });
const { url, users, channels } = server;
const samples: Sample[] = [];
const failures = new Map<string, number>();
const rss: { at: number; rss: number }[] = [];

async function timed(kind: Kind, request: () => Promise<Response>): Promise<void> {
  const t = performance.now();
  let status = 0;
  try {
    const res = await request();
    status = res.status;
    const body = await res.text();
    if (status >= 300)
      failures.set(`${kind} ${status} ${body.slice(0, 120)}`, (failures.get(`${kind} ${status} ${body.slice(0, 120)}`) ?? 0) + 1);
  } catch (e) {
    failures.set(
      `${kind} transport ${(e as Error).message}`,
      (failures.get(`${kind} transport ${(e as Error).message}`) ?? 0) + 1,
    );
  }
  samples.push({ kind, at: t, ms: performance.now() - t, status });
}

const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;
const today = () => labelMinute(Math.floor(Date.now() / 60_000), TZ).day;
const daysAgo = (n: number) => labelMinute(Math.floor(Date.now() / 60_000) - n * 1440, TZ).day;

function signedGet(path: string, params: Record<string, string>): Promise<Response> {
  const all: Record<string, string> = { appId: CALLER.appId, timestamp: String(Date.now()), ...params };
  all.sign = sign(all, CALLER.appSecret);
  return fetch(`${url}${path}?${new URLSearchParams(all)}`);
}

/** One signed call of a random kind, with realistic parameters. */
function signedCall(): Promise<void> {
  const r = Math.random();
  if (r < 0.4) {
    const n = 1 + Math.floor(Math.random() * 10);
    const chosen = Array.from({ length: n }, () => pick(users));
    return timed('summary', () =>
      signedGet(summary.path, { users: chosen.join(','), start: daysAgo(Math.floor(Math.random() * 31)), end: today() }),
    );
  }
  if (r < 0.55)
    return timed('concurrence', () =>
      signedGet(channelConcurrence.path, { channelId: pick(channels), startDate: today(), endDate: today() }),
    );
  if (r < 0.7)
    return timed('max-history', () =>
      signedGet(channelMaxHistoryConcurrent.path, {
        channelId: pick(channels),
        startTime: String(Date.now() - 3_600_000),
        endTime: String(Date.now()),
      }),
    );
  if (r < 0.8)
    return timed('concurrence-mc', () =>
      signedGet(channelsConcurrence.path, {
        channelIds: Array.from({ length: 5 }, () => pick(channels)).join(','),
        startDate: daysAgo(6),
        endDate: today(),
      }),
    );
  if (r < 0.9)
    return timed('user-concurrence', () =>
      signedGet(userConcurrence.path, { userId: pick(users), startDate: today(), endDate: today() }),
    );
  return timed('realtime', () => signedGet(userRealtimeConcurrence.path, { userId: pick(users) }));
}

let viewerCursor = 0;
function heartbeatBatch(): Promise<void> {
  const lines: string[] = [];
  const now = Date.now();
  for (let i = 0; i < BEATS_PER_TICK; i++) {
    const v = viewerCursor++ % VIEWERS;
    lines.push(
      JSON.stringify({
        channelId: channels[v % channels.length],
        viewerId: `v${v}`,
        pullType: v % 10 === 0 ? 'rtc' : 'cdn',
        ts: now,
      }),
    );
  }
  return timed('batch', () =>
    fetch(`${url}/v1/heartbeats`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    }),
  );
}
function beacon(): Promise<void> {
  const v = Math.floor(Math.random() * VIEWERS);
  return timed('beacon', () => fetch(`${url}/v1/beacon?channelId=${channels[v % channels.length]}&viewerId=b${v}&pullType=cdn`));
}

process.stdout.write(
  `soak: ${MINUTES} min at ${LOAD}x nominal: ${VIEWERS.toLocaleString('en-US')} viewers (${((BEATS_PER_TICK * 1000) / TICK_MS).toLocaleString('en-US')} heartbeats/s in batches of ${BEATS_PER_TICK}), ` +
    `${BEACONS_PER_S} beacons/s, ${CALLS_PER_S} signed calls/s; server ${url} (node ${process.version})\n`,
);
const start = performance.now();
const end = start + MINUTES * 60_000;
const inflight = new Set<Promise<void>>();
const track = (p: Promise<void>) => {
  inflight.add(p);
  void p.finally(() => inflight.delete(p));
};
let tick = 0;
let callDebt = 0;
let beaconDebt = 0;
rss.push({ at: 0, rss: server.memory().rss });
while (performance.now() < end) {
  const due = start + tick * TICK_MS;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  tick++;
  track(heartbeatBatch());
  callDebt += (CALLS_PER_S * TICK_MS) / 1000;
  beaconDebt += (BEACONS_PER_S * TICK_MS) / 1000;
  for (; callDebt >= 1; callDebt--) track(signedCall());
  for (; beaconDebt >= 1; beaconDebt--) track(beacon());
  if (tick % (30_000 / TICK_MS) === 0) {
    const at = performance.now() - start;
    const m = server.memory();
    rss.push({ at, rss: m.rss });
    process.stdout.write(
      `  ${(at / 60_000).toFixed(1).padStart(4)} min: RSS ${(m.rss / 1048576).toFixed(0)} MB, ${samples.length.toLocaleString('en-US')} requests, ${[...failures.values()].reduce((a, b) => a + b, 0)} failed, ${inflight.size} in flight\n`,
    );
  }
}
await Promise.all([...inflight]);
const cpu = server.cpuSeconds();
const elapsedS = (performance.now() - start) / 1000;
const { hwm } = server.memory();
await server.stop();

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const f = (ms: number) => (ms < 10 ? ms.toFixed(1) : ms.toFixed(0));
process.stdout.write(`\nlatency (ms) by kind, whole run:\n`);
process.stdout.write(
  `  ${'kind'.padEnd(18)} ${'count'.padStart(8)} ${'p50'.padStart(6)} ${'p90'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)}\n`,
);
const kinds = [...new Set(samples.map((s) => s.kind))];
for (const kind of kinds) {
  const ms = samples
    .filter((s) => s.kind === kind)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  process.stdout.write(
    `  ${kind.padEnd(18)} ${String(ms.length).padStart(8)} ${f(percentile(ms, 50)).padStart(6)} ${f(percentile(ms, 90)).padStart(6)} ${f(percentile(ms, 99)).padStart(6)} ${f(ms.at(-1)!).padStart(6)}\n`,
  );
}
const p99Of = (from: number, to: number) =>
  percentile(
    samples
      .filter((s) => s.at - start >= from && s.at - start < to)
      .map((s) => s.ms)
      .sort((a, b) => a - b),
    99,
  );
const total = samples.length;
const failed = [...failures.values()].reduce((a, b) => a + b, 0);
const warm = rss.find((r) => r.at >= 55_000) ?? rss.at(-1)!; // the sample taken at one minute
process.stdout.write(`\nerrors: ${failed} of ${total.toLocaleString('en-US')} requests\n`);
for (const [what, n] of failures) process.stdout.write(`  ${n} x ${what}\n`);
process.stdout.write(
  `RSS: ${rss.map((r) => `${(r.at / 60_000).toFixed(1)}m ${mb(r.rss)}`).join(', ')}; peak ${mb(hwm)}\n` +
    `RSS growth after warm-up: end ${mb(rss.at(-1)!.rss)} / at 1 min ${mb(warm.rss)} = ${(rss.at(-1)!.rss / warm.rss).toFixed(2)}x\n` +
    `p99 drift: last minute ${f(p99Of((MINUTES - 1) * 60_000, MINUTES * 60_000))} ms / first full minute ${f(p99Of(60_000, 120_000))} ms = ` +
    `${(p99Of((MINUTES - 1) * 60_000, MINUTES * 60_000) / p99Of(60_000, 120_000)).toFixed(2)}x\n` +
    `server CPU: ${((cpu / elapsedS) * 100).toFixed(0)}% of one core on average (${cpu.toFixed(0)} s over ${elapsedS.toFixed(0)} s)\n`,
);
if (failed > 0) process.exitCode = 1;
