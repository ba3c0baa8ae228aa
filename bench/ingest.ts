/**
 * Heartbeat ingest throughput: `npm run bench:ingest [-- --heartbeats N] [--smoke]`.
 * 1. the aggregator alone (exact distinct sets per channel, pull type and minute, plus the realtime window);
 * 2. the collector in process: validation, log append with fsync (group commit), aggregation;
 * 3. end to end over real HTTP: a real server process, NDJSON batches to POST /v1/heartbeats, and the
 *    server's peak RSS (VmHWM) at the end.
 * Defaults: 1M heartbeats over 10k viewers and 100 channels; `--fsync never` shows the cost of durability.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadConfig } from '../src/config/config.js';
import type { Heartbeat } from '../src/ingest/heartbeat.js';
import { IngestService } from '../src/ingest/ingest-service.js';
import { MinuteAggregator } from '../src/ingest/minute-aggregator.js';
import { RealtimeWindow } from '../src/ingest/realtime-window.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { INGEST_TOKEN, memoryOf, SMOKE_NO_QUERY_THREADS, serve } from './serve.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const smoke = argv.includes('--smoke');
const N = Number(flag('--heartbeats') ?? (smoke ? 20_000 : 1_000_000));
const VIEWERS = 10_000;
const CHANNELS = 100;
const BATCH = Number(flag('--batch') ?? 5_000);
const CONCURRENCY = Number(flag('--concurrency') ?? 8);
const FSYNC = flag('--fsync') ?? 'always';
if (!Number.isInteger(N) || N <= 0) throw new Error('--heartbeats must be a positive integer');

const channelIds = Array.from({ length: CHANNELS }, (_, i) => String(100_000 + i));
/** Each viewer watches one channel on one pull type and beats every few seconds. */
function heartbeats(now: number): Heartbeat[] {
  const out: Heartbeat[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const v = i % VIEWERS;
    out[i] = {
      channelId: channelIds[v % CHANNELS]!,
      viewerId: `viewer-${v}`,
      pullType: v % 10 === 0 ? 'rtc' : 'cdn',
      ts: now - 50_000 + Math.floor((i / N) * 50_000),
    };
  }
  return out;
}

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const lines: string[] = [];
const report = (s: string) => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};

async function aggregatorAlone(beats: Heartbeat[], pass: string) {
  const agg = new MinuteAggregator();
  const rt = new RealtimeWindow();
  const now = Date.now();
  const t = performance.now();
  for (const b of beats) {
    agg.add(b);
    rt.add(b, now);
  }
  const ms = performance.now() - t;
  report(`aggregator alone:          ${rate(beats.length, ms)} (${ms.toFixed(0)} ms, 1 core, ${pass})`);
}

/**
 * Memory of 100k concurrent viewers: each beats in every open minute (with the default 120 s lateness a
 * minute stays open about 3 minutes, so 4 are open at once) and sits in the realtime window. UUID-like ids
 * as players send them. Heap measured after full collections.
 */
function memoryPer100k() {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const VIEWERS_NOW = 100_000;
  const OPEN_MINUTES = 4;
  gc();
  const before = process.memoryUsage();
  const agg = new MinuteAggregator();
  const rt = new RealtimeWindow();
  const now = Date.now();
  const ids = Array.from({ length: VIEWERS_NOW }, (_, v) => `${v.toString(16).padStart(8, '0')}-4f1c-4a2b-9d3e-5b6c7d8e9f0a`);
  for (let m = OPEN_MINUTES - 1; m >= 0; m--) {
    for (let v = 0; v < VIEWERS_NOW; v++) {
      const beat = {
        channelId: channelIds[v % CHANNELS]!,
        viewerId: ids[v]!,
        pullType: v % 10 === 0 ? 'rtc' : 'cdn',
        ts: now - m * 60_000,
      };
      agg.add(beat);
      rt.add(beat, now);
    }
  }
  gc();
  const after = process.memoryUsage();
  const used = after.heapUsed + after.external - (before.heapUsed + before.external);
  report(
    `memory per 100k viewers:   ${mb(used)} (${OPEN_MINUTES} open minutes + realtime window, heap after GC; ${(used / VIEWERS_NOW).toFixed(0)} bytes a viewer)`,
  );
  return [agg, rt];
}

async function inProcess(beats: Heartbeat[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-'));
  const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', demo: false, logFsync: FSYNC });
  const store = new SqliteStore(path.join(dir, 'store.sqlite'));
  await seed(store);
  const service = await IngestService.open(config, store, { timers: false });
  const t = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < beats.length; i += BATCH) {
    inflight.push(service.submit(beats.slice(i, i + BATCH), { scope: { kind: 'global' }, acceptTs: true }));
    if (inflight.length >= CONCURRENCY) await inflight.shift();
  }
  await Promise.all(inflight);
  const ms = performance.now() - t;
  report(
    `collector in process:      ${rate(beats.length, ms)} (validate + log append + aggregate, batches of ${BATCH}, fsync ${FSYNC})`,
  );
  await service.stop();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function seed(store: SqliteStore) {
  const tenancy = new Tenancy(store);
  const app = await tenancy.createApp({ name: 'bench', appId: 'benchapp' });
  await tenancy.addUser(app.appId, 'benchuser');
  for (const id of channelIds) await tenancy.addChannel('benchuser', id);
}

async function overHttp(beats: Heartbeat[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-'));
  const store = new SqliteStore(path.join(dir, 'live-ccv.sqlite'));
  await seed(store);
  await store.close();
  const server = await serve(dir, { LIVE_CCV_LOG_FSYNC: FSYNC, ...(smoke ? SMOKE_NO_QUERY_THREADS : {}) }, 'ingest');
  try {
    const bodies: string[] = [];
    for (let i = 0; i < beats.length; i += BATCH) {
      bodies.push(
        beats
          .slice(i, i + BATCH)
          .map((b) => JSON.stringify(b))
          .join('\n'),
      );
    }
    let accepted = 0;
    let next = 0;
    const t = performance.now();
    const worker = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${server.url}/v1/heartbeats`, {
          method: 'POST',
          headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
          body,
        });
        const json = (await res.json()) as { data: { accepted: number } };
        accepted += json.data.accepted;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const ms = performance.now() - t;
    if (accepted !== beats.length) throw new Error(`only ${accepted} of ${beats.length} heartbeats were accepted`);
    const { hwm } = memoryOf(server.pid);
    report(
      `end to end over HTTP:      ${rate(beats.length, ms)} (NDJSON batches of ${BATCH}, ${CONCURRENCY} in flight, fsync ${FSYNC})`,
    );
    report(
      `server peak RSS:           ${mb(hwm)} (VmHWM after ${beats.length.toLocaleString('en-US')} heartbeats, ${VIEWERS.toLocaleString('en-US')} viewers)`,
    );
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

report(
  `heartbeat ingest: ${N.toLocaleString('en-US')} heartbeats, ${VIEWERS.toLocaleString('en-US')} viewers, ${CHANNELS} channels (node ${process.version}, ${os.cpus().length} cores shared)`,
);
const beats = heartbeats(Date.now());
await aggregatorAlone(beats, 'cold (first pass, JIT warming)');
await aggregatorAlone(beats, 'warm (second pass, fresh sets)');
memoryPer100k();
await inProcess(heartbeats(Date.now()));
await overHttp(heartbeats(Date.now()));
