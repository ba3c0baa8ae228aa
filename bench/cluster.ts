/**
 * The scaled ingest against the embedded one, in the same run: `npm run bench:cluster [-- flags]`.
 *
 * 1. throughput: N heartbeats as NDJSON batches over HTTP into (a) one embedded server (every role, local
 *    fsync'd log, SQLite) and (b) C collector processes -> JetStream -> A aggregator processes (PostgreSQL).
 *    For the cluster: the rate collectors acknowledged at, and the rate until the aggregators had counted
 *    every heartbeat (end to end).
 * 2. freshness: light traffic into both for a few minute boundaries; for each minute (and, in the cluster,
 *    each partition) the time from the minute's end until it is closed in the store, p50/p99, and what
 *    that adds to the configured close delay.
 * 3. failover: SIGKILL of the aggregator owning the most partitions, until every partition is counted
 *    live again by the survivors (backlog replay included).
 *
 * Flags: --heartbeats N (default 1,000,000), --collectors C (2), --aggregators A (2), --partitions P (32),
 * --minutes F (freshness minute boundaries, 2), --smoke (100k heartbeats, 1 boundary).
 * Needs NATS with JetStream (LIVE_CCV_BENCH_NATS_URL, default nats://127.0.0.1:4222) and PostgreSQL
 * (LIVE_CCV_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); everything it creates
 * (a schema, a prefix's streams and buckets, temp dirs) is removed at the end.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect } from 'nats';
import pg from 'pg';
import { MINUTE_MS } from '../src/domain/calendar.js';
import { Tenancy } from '../src/service/tenancy.js';
import type { Store } from '../src/store/port.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { BenchProcess, cpuMsOf, natsServerPid, percentile, postBatches, postBeacons } from './cluster-procs.js';

const argv = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = argv.indexOf(name);
  const v = i >= 0 ? Number(argv[i + 1]) : def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};
const smoke = argv.includes('--smoke');
const N = flag('--heartbeats', smoke ? 100_000 : 1_000_000);
const COLLECTORS = flag('--collectors', 2);
const AGGREGATORS = flag('--aggregators', 2);
const PARTITIONS = flag('--partitions', 32);
const BOUNDARIES = flag('--minutes', smoke ? 1 : 2);
const NATS_URL = process.env.LIVE_CCV_BENCH_NATS_URL || 'nats://127.0.0.1:4222';
const PG_URL = process.env.LIVE_CCV_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const VIEWERS = 10_000;
const CHANNELS = Array.from({ length: 100 }, (_, i) => String(200_000 + i));
const BATCH = 5_000;
const IN_FLIGHT = 8;
/** short close delays so that freshness is measured in seconds, the same lateness for both */
const LATENESS_MS = 5_000;
const PUBLISH_TIMEOUT_MS = 5_000;
const SKEW_MS = 1_000;
const INGEST = 'bench-cluster-ingest-token';
const tag = randomBytes(3).toString('hex');
const prefix = `bench-${tag}`;
const schema = `ccv_bench_${tag}`;

const lines: string[] = [];
const report = (s = '') => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seed(store: Store) {
  const t = new Tenancy(store);
  const app = await t.createApp({ name: 'bench', appId: 'benchapp' });
  await t.addUser(app.appId, 'benchuser');
  for (const id of CHANNELS) await t.addChannel('benchuser', id);
}

/** NDJSON bodies without ts: the receiving process stamps its own time, so every beat is in an open minute. */
function bodies(n: number, salt: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i += BATCH) {
    let text = '';
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const v = j % VIEWERS;
      text += `{"channelId":"${CHANNELS[v % CHANNELS.length]}","viewerId":"${salt}-${v}","pullType":"${v % 10 === 0 ? 'rtc' : 'cdn'}"}\n`;
    }
    out.push(text);
  }
  return out;
}

const procs: BenchProcess[] = [];
const dirs: string[] = [];
const common = {
  LIVE_CCV_INGEST_TOKEN: INGEST,
  LIVE_CCV_DEMO: 'false',
  LIVE_CCV_ALLOWED_LATENESS_MS: String(LATENESS_MS),
  LIVE_CCV_LOG_LEVEL: 'info',
};
const clusterEnv = {
  ...common,
  LIVE_CCV_STORE: 'postgres',
  LIVE_CCV_DATABASE_URL: PG_URL,
  LIVE_CCV_DATABASE_SCHEMA: schema,
  LIVE_CCV_NATS_URL: NATS_URL,
  LIVE_CCV_NATS_PREFIX: prefix,
  LIVE_CCV_PARTITIONS: String(PARTITIONS),
  LIVE_CCV_PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
  LIVE_CCV_MAX_CLOCK_SKEW_MS: String(SKEW_MS),
};

async function start(name: string, env: Record<string, string>) {
  const p = await BenchProcess.start(name, env);
  procs.push(p);
  return p;
}

interface AggStatus {
  owned: number[];
  live: number[];
  counted: number;
  lag: number;
}
const aggStatus = async (p: BenchProcess): Promise<AggStatus | undefined> => {
  try {
    const res = await fetch(`${p.url}/healthz`);
    return ((await res.json()) as { data?: { ingest?: { aggregator?: AggStatus } } }).data?.ingest?.aggregator;
  } catch {
    return undefined;
  }
};

/** True once a progress figure has stopped moving for a second (the readers have nothing left to read). */
let lastProgress = { value: Number.NaN, since: 0 };
function settled(value: number): boolean {
  const now = Date.now();
  if (value !== lastProgress.value) lastProgress = { value, since: now };
  return now - lastProgress.since >= 1_000;
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms = 120_000, last = () => '') {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${last()}`);
    await sleep(100);
  }
}

async function main() {
  const load = os.loadavg().map((l) => l.toFixed(2));
  report(
    `cluster ingest bench: ${N.toLocaleString('en-US')} heartbeats, ${VIEWERS.toLocaleString('en-US')} viewers, ${CHANNELS.length} channels; ` +
      `${COLLECTORS} collectors, ${AGGREGATORS} aggregators, ${PARTITIONS} partitions (node ${process.version}, ${os.cpus().length} cores, load ${load.join(' ')})`,
  );

  // embedded: one process, every role, SQLite and the fsync'd local log
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-cluster-'));
  dirs.push(dir);
  const sqlite = new SqliteStore(path.join(dir, 'live-ccv.sqlite'));
  await seed(sqlite);
  await sqlite.close();
  const embedded = await start('embedded', { ...common, LIVE_CCV_DATA_DIR: dir });

  // cluster: collectors and aggregators on PostgreSQL and JetStream
  const pgStore = await PostgresStore.connect(PG_URL, { schema, max: 2 });
  await seed(pgStore);
  await pgStore.close();
  const aggregators: BenchProcess[] = [];
  for (let i = 0; i < AGGREGATORS; i++)
    aggregators.push(await start(`aggregator${i + 1}`, { ...clusterEnv, LIVE_CCV_ROLES: 'aggregator' }));
  const collectors = await Promise.all(
    Array.from({ length: COLLECTORS }, (_, i) => start(`collector${i + 1}`, { ...clusterEnv, LIVE_CCV_ROLES: 'collector' })),
  );
  // every partition counted live, and the share-out settled (no lease moved for 5 s)
  let shares = '';
  let sharesSince = 0;
  await waitFor('every partition counted, shared by all aggregators', async () => {
    const all = await Promise.all(aggregators.map(aggStatus));
    const live = all.flatMap((s) => s?.live ?? []);
    const now = JSON.stringify(all.map((s) => s?.owned));
    if (now !== shares) [shares, sharesSince] = [now, Date.now()];
    return new Set(live).size === PARTITIONS && all.every((s) => (s?.live.length ?? 0) > 0) && Date.now() - sharesSince > 5_000;
  });

  // 1. throughput
  report();
  report('throughput (NDJSON batches of 5000 over HTTP, 8 in flight; beats stamped with receive time)');
  const cpu = (ps: BenchProcess[]) => ps.reduce((n, p) => n + p.cpuMs(), 0);
  const natsPid = natsServerPid();
  const natsCpu = () => (natsPid === undefined ? Number.NaN : cpuMsOf(natsPid));
  const perBeat = (ms: number) => `${((ms * 1000) / N).toFixed(1)} µs`;
  let cpu0 = cpu([embedded]);
  let t = performance.now();
  await postBatches([embedded.url], bodies(N, 'e'), INGEST, IN_FLIGHT);
  const embeddedMs = performance.now() - t;
  report(
    `  embedded, one process (fsync'd local log, SQLite):   ${rate(N, embeddedMs)}  (CPU ${perBeat(cpu([embedded]) - cpu0)} a heartbeat)`,
  );

  const before = (await Promise.all(aggregators.map(aggStatus))).reduce((n, s) => n + (s?.counted ?? 0), 0);
  cpu0 = cpu(collectors);
  const aggCpu0 = cpu(aggregators);
  const natsCpu0 = natsCpu();
  t = performance.now();
  await postBatches(
    collectors.map((c) => c.url),
    bodies(N, 'c'),
    INGEST,
    IN_FLIGHT,
  );
  const ackedMs = performance.now() - t;
  await waitFor('the aggregators to count every heartbeat', async () => {
    const all = await Promise.all(aggregators.map(aggStatus));
    const counted = all.reduce((n, s) => n + (s?.counted ?? 0), 0);
    return counted - before >= N || (all.every((s) => s?.lag === 0) && settled(counted - before));
  });
  const countedMs = performance.now() - t;
  const cpuNote = `CPU a heartbeat: collectors ${perBeat(cpu(collectors) - cpu0)}, aggregators ${perBeat(cpu(aggregators) - aggCpu0)}, nats-server ${perBeat(natsCpu() - natsCpu0)}`;
  report(
    `  cluster, acknowledged by ${COLLECTORS} collectors (JetStream R=1):     ${rate(N, ackedMs)}  (${(embeddedMs / ackedMs).toFixed(2)}x embedded)`,
  );
  report(
    `  cluster, counted by ${AGGREGATORS} aggregators (end to end):          ${rate(N, countedMs)}  (${(embeddedMs / countedMs).toFixed(2)}x embedded)`,
  );
  report(`  ${cpuNote}`);
  for (const p of [embedded, ...collectors, ...aggregators]) report(`  peak RSS ${p.name.padEnd(12)} ${p.peakRssMb()} MB`);

  // beacons: one heartbeat per request, straight from players
  const B = Math.max(2_000, Math.round(N / 50));
  report();
  report(`beacons (${B.toLocaleString('en-US')} single-heartbeat POST /v1/beacon, 32 in flight, into one process)`);
  for (const target of [embedded, collectors[0]!]) {
    const c0 = target.cpuMs();
    const n0 = natsCpu();
    const t0 = performance.now();
    await postBeacons(target.url, B, 32, CHANNELS);
    const ms = performance.now() - t0;
    const nats = target === embedded ? '' : `, nats-server ${(((natsCpu() - n0) * 1000) / B).toFixed(1)} µs`;
    report(
      `  ${target === embedded ? 'embedded ' : 'collector'}  ${rate(B, ms)}, server CPU ${(((target.cpuMs() - c0) * 1000) / B).toFixed(0)} µs a beacon${nats}`,
    );
  }

  // 2. freshness, both at once: light traffic, then minute ends -> closed in the store
  report();
  report(
    `freshness over ${BOUNDARIES} minute boundar${BOUNDARIES === 1 ? 'y' : 'ies'} (lateness ${LATENESS_MS} ms both; cluster adds publish timeout ${PUBLISH_TIMEOUT_MS} + clock skew ${SKEW_MS} ms)`,
  );
  const fresh = await freshness(embedded, collectors, dir);
  const line = (name: string, samples: number[], delay: number) => {
    const p50 = percentile(samples, 0.5);
    const p99 = percentile(samples, 0.99);
    report(
      `  ${name.padEnd(9)} p50 ${(p50 / 1000).toFixed(2)} s, p99 ${(p99 / 1000).toFixed(2)} s after the minute's end ` +
        `(configured close delay ${(delay / 1000).toFixed(1)} s; p50 over it ${((p50 - delay) / 1000).toFixed(2)} s; ${samples.length} samples)`,
    );
    return p50;
  };
  const eP50 = line('embedded', fresh.embedded, LATENESS_MS);
  const cP50 = line('cluster', fresh.cluster, LATENESS_MS + PUBLISH_TIMEOUT_MS + SKEW_MS);
  report(`  cluster p50 / embedded p50: ${(cP50 / eP50).toFixed(2)}x`);

  // 3. failover: kill -9 the aggregator owning the most partitions, with open minutes' backlog in the log:
  // heartbeats stamped 50 s ahead (a player clock within the allowed 60 s) stay open for a minute or more
  report();
  const BACKLOG = Math.min(500_000, N);
  const countedBefore = (await Promise.all(aggregators.map(aggStatus))).reduce((n, s) => n + (s?.counted ?? 0), 0);
  const ahead = bodies(BACKLOG, 'b').map((body) =>
    body.replace(/"pullType":"(\w+)"}/g, (_, pull: string) => `"pullType":"${pull}","ts":${Date.now() + 50_000}}`),
  );
  await postBatches(
    collectors.map((c) => c.url),
    ahead,
    INGEST,
    IN_FLIGHT,
  );
  let seen = '';
  await waitFor(
    'the backlog counted',
    async () => {
      const all = await Promise.all(aggregators.map(aggStatus));
      const counted = all.reduce((n, s) => n + (s?.counted ?? 0), 0);
      seen = `${JSON.stringify({ counted: counted - countedBefore, statuses: all, streamMessages: await streamMessages() })} consumers: ${await consumerStates()}`;
      return counted - countedBefore >= BACKLOG || (all.every((s) => s?.lag === 0) && settled(counted - countedBefore));
    },
    120_000,
    () => seen,
  );
  const statuses = await Promise.all(aggregators.map(aggStatus));
  const victimIndex = statuses.reduce(
    (best, s, i) => ((s?.owned.length ?? 0) > (statuses[best]?.owned.length ?? 0) ? i : best),
    0,
  );
  const victim = aggregators[victimIndex]!;
  const survivors = aggregators.filter((a) => a !== victim);
  const backlog = await streamMessages();
  const lost = statuses[victimIndex]?.owned.length ?? 0;
  t = performance.now();
  await victim.kill('SIGKILL');
  let counted = false;
  await waitFor('the survivors to count every partition', async () => {
    const live = new Set((await Promise.all(survivors.map(aggStatus))).flatMap((s) => s?.live ?? []));
    counted = live.size === PARTITIONS;
    return counted;
  });
  const failoverMs = performance.now() - t;
  report(
    `failover: SIGKILL of the aggregator owning ${lost} of ${PARTITIONS} partitions -> all counted live again in ${(failoverMs / 1000).toFixed(1)} s ` +
      `(lease TTL 6 s; ${BACKLOG.toLocaleString('en-US')} heartbeats of open minutes in ${backlog.toLocaleString('en-US')} retained records, ` +
      `the dead owner's share replayed by the new owners)`,
  );
}

/** Light traffic into both systems until BOUNDARIES minute ends have closed in each store. */
async function freshness(embedded: BenchProcess, collectors: BenchProcess[], dir: string) {
  const first = Math.floor(Date.now() / MINUTE_MS); // the current minute: its end is the first boundary
  const last = first + BOUNDARIES - 1;
  const embeddedSeen = new Map<number, number>();
  const clusterSeen = new Map<string, number>();
  let stop = false;
  const traffic = (async () => {
    let i = 0;
    while (!stop) {
      const body = bodies(200, `f${i++}`)[0]!;
      await Promise.all([
        postBatches([embedded.url], [body], INGEST, 1),
        postBatches([collectors[i % collectors.length]!.url], [body], INGEST, 1),
      ]);
      await sleep(200);
    }
  })();
  const db = new Database(path.join(dir, 'live-ccv.sqlite'), { readonly: true });
  const watermark = db.prepare("SELECT value FROM meta WHERE key = 'ingest.flushedBeforeMinute'").pluck();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (;;) {
      const now = Date.now();
      const w = Number(watermark.get() ?? 0);
      for (let m = first; m <= last && m < w; m++) if (!embeddedSeen.has(m)) embeddedSeen.set(m, now - (m + 1) * MINUTE_MS);
      const { rows } = await client.query<{ key: string; progress: string | null }>(
        `SELECT key, progress FROM "${schema}".ingest_fences`,
      );
      for (const r of rows) {
        for (let m = first; m <= last && m < Number(r.progress ?? 0); m++) {
          const k = `${r.key}|${m}`;
          if (!clusterSeen.has(k)) clusterSeen.set(k, now - (m + 1) * MINUTE_MS);
        }
      }
      if (embeddedSeen.size === BOUNDARIES && clusterSeen.size === BOUNDARIES * PARTITIONS) break;
      if (now > (last + 1) * MINUTE_MS + 60_000) throw new Error('minutes did not close within a minute of their delay');
      await sleep(50);
    }
  } finally {
    stop = true;
    await traffic;
    db.close();
    await client.end();
  }
  return { embedded: [...embeddedSeen.values()], cluster: [...clusterSeen.values()] };
}

/** The stream's consumers as the server sees them (diagnostics when the aggregators fall behind). */
async function consumerStates(): Promise<string> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    const out: string[] = [];
    for await (const c of jsm.consumers.list(`${prefix}-heartbeats`)) {
      out.push(
        `${c.config.filter_subject}: pending ${c.num_pending}, waiting ${c.num_waiting}, delivered ${c.delivered.stream_seq}`,
      );
    }
    return out.sort().join('; ');
  } finally {
    await nc.close();
  }
}

async function streamMessages(): Promise<number> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info(`${prefix}-heartbeats`)).state.messages;
  } finally {
    await nc.close();
  }
}

async function cleanup() {
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  const nc = await connect({ servers: NATS_URL }).catch(() => undefined);
  if (nc) {
    const jsm = await nc.jetstreamManager();
    for (const name of [`${prefix}-heartbeats`, `KV_${prefix}-leases`, `KV_${prefix}-realtime`])
      await jsm.streams.delete(name).catch(() => {});
    await nc.close();
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

try {
  await main();
} finally {
  await cleanup();
}
