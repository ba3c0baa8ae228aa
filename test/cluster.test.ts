/**
 * The cluster for real: 2 api, 2 collector and 2 aggregator processes of `live-ccv serve` on PostgreSQL (a
 * schema of its own), NATS JetStream (a prefix of its own) and Redis (a key prefix of its own). The
 * simulator's traffic for one minute goes through both collectors; one aggregator and one collector are
 * SIGKILLed mid-stream and restarted; batches whose answer the kill swallowed are sent again. When the
 * minute has closed on every partition, each stored channel minute must equal the distinct viewers of the
 * heartbeats the collectors acknowledged, and the realtime answers must agree on both api processes.
 * Afterwards the test's streams, buckets, keys and schema are gone.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { sign } from '../src/auth/sign.js';
import { MINUTE_MS } from '../src/domain/calendar.js';
import { generateTraffic, type SimBeat } from '../src/sim/traffic.js';
import { TruthCounter } from '../src/sim/truth.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { eventually, NATS_URL, PG_URL, REDIS_URL, removeStreams, RoleProcess, sleep, uniqueNames } from './cluster-helpers.js';

const { prefix, schema } = uniqueNames('cluster');
const redisPrefix = `${prefix}:`;
const ADMIN = 'cluster-test-admin-token';
const INGEST = 'cluster-test-ingest-token';
const PARTITIONS = 8;
const CHANNELS = Array.from({ length: 12 }, (_, i) => String(4_100_001 + i));
const REALTIME_CHANNEL = '4199999';

const started = Date.now();
/** the minute the traffic fills: the one that just ended */
const m = Math.floor(started / MINUTE_MS) - 1;
/** collectors accept minute m until about 45 s after the test starts; then it closes */
const lateness = started + 45_000 - (m + 1) * MINUTE_MS;

const env: Record<string, string> = {
  LIVE_CCV_STORE: 'postgres',
  LIVE_CCV_DATABASE_URL: PG_URL,
  LIVE_CCV_DATABASE_SCHEMA: schema,
  LIVE_CCV_NATS_URL: NATS_URL,
  LIVE_CCV_NATS_PREFIX: prefix,
  LIVE_CCV_REDIS_URL: REDIS_URL,
  LIVE_CCV_REDIS_PREFIX: redisPrefix,
  LIVE_CCV_ADMIN_TOKEN: ADMIN,
  LIVE_CCV_INGEST_TOKEN: INGEST,
  LIVE_CCV_PARTITIONS: String(PARTITIONS),
  LIVE_CCV_LEASE_TTL_MS: '3000',
  LIVE_CCV_PUBLISH_TIMEOUT_MS: '1500',
  LIVE_CCV_MAX_CLOCK_SKEW_MS: '500',
  LIVE_CCV_REALTIME_PUBLISH_MS: '500',
  LIVE_CCV_ALLOWED_LATENESS_MS: String(lateness),
  LIVE_CCV_CHANNEL_REFRESH_MS: '500',
  LIVE_CCV_DEMO: 'false',
};
const roles = (r: string) => ({ ...env, LIVE_CCV_ROLES: r });

const processes = new Set<RoleProcess>();
async function start(name: string, r: string): Promise<RoleProcess> {
  const p = await RoleProcess.start(name, roles(r));
  processes.add(p);
  return p;
}

after(async () => {
  await Promise.all([...processes].map((p) => p.kill('SIGTERM')));
  assert.deepEqual(await removeStreams(prefix), [], 'the streams and buckets of the test are removed');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const left = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  await client.end();
  assert.equal(left.rowCount, 0, 'the schema is dropped');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  assert.deepEqual(await redis.keys(`${redisPrefix}*`), [], 'the Redis keys are removed');
  await redis.quit();
});

const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
async function admin(api: RoleProcess, method: string, pathname: string, body?: unknown) {
  const res = await api.json<Record<string, string>>(`/admin/v1${pathname}`, {
    method,
    headers: adminHeaders,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

interface Health {
  ingest?: { aggregator?: { owned: number[]; live: number[] } };
}

test('two of each role: exact minutes through collector and aggregator kills, realtime on every api process', {
  timeout: 180_000,
}, async () => {
  const api1 = await start('api1', 'api');
  const app = await admin(api1, 'POST', '/apps', { name: 'cluster' });
  await admin(api1, 'POST', `/apps/${app.appId}/users`, { userId: 'cuser' });
  await admin(api1, 'POST', `/apps/${app.appId}/users`, { userId: 'rtuser' });
  for (const c of CHANNELS) await admin(api1, 'POST', '/users/cuser/channels', { channelId: c });
  await admin(api1, 'POST', '/users/rtuser/channels', { channelId: REALTIME_CHANNEL });

  const [api2, coll1, coll2, agg1, agg2] = await Promise.all([
    start('api2', 'api'),
    start('coll1', 'collector'),
    start('coll2', 'collector'),
    start('agg1', 'aggregator'),
    start('agg2', 'aggregator'),
  ]);
  const aggregators = { agg1, agg2 };
  const health = async (p: RoleProcess) => (await p.json<Health>('/healthz')).body.data.ingest?.aggregator;
  await eventually('every partition counted live', async () => {
    const live = new Set([...((await health(agg1))?.live ?? []), ...((await health(agg2))?.live ?? [])]);
    return live.size === PARTITIONS ? true : undefined;
  });
  for (const p of [api1, api2, coll1, coll2, agg1, agg2]) {
    assert.equal((await p.json('/healthz')).status, 200, p.name);
    const ready = await p.json<{ components: Record<string, { ok: boolean }> }>('/readyz');
    assert.equal(ready.status, 200, `${p.name}: ${JSON.stringify(ready.body)}`);
    assert.equal(ready.body.data.components.nats?.ok, true, `${p.name} reports its NATS connection`);
  }
  // a collector serves no API; an api process says it does not collect
  assert.equal((await coll1.json('/admin/v1/apps', { headers: adminHeaders })).status, 404);
  assert.equal((await agg1.json('/live/v3/user/statistics/realtime-concurrence')).status, 404);
  assert.equal((await api1.json('/v1/beacon?channelId=1&viewerId=v')).status, 503);

  const traffic = generateTraffic({
    seed: 8,
    channels: CHANNELS,
    viewers: 80,
    start: m * MINUTE_MS,
    end: (m + 1) * MINUTE_MS,
    intervalMs: 5_000,
    watchMeanMs: 40_000,
    pullTypes: ['cdn', 'rtc', 'p2p'],
    switchProbability: 0.05,
    duplicateProbability: 0.05,
    lateFraction: 0.02,
    lateMinute: (m - 4) * MINUTE_MS,
    spikeFactor: 3,
    timeZone: 'Asia/Shanghai',
  });
  const BATCH = 100;
  const batches: SimBeat[][] = [];
  for (let i = 0; i < traffic.beats.length; i += BATCH) batches.push(traffic.beats.slice(i, i + BATCH));

  const collectors: RoleProcess[] = [coll1, coll2];
  const truth = new TruthCounter();
  let acknowledged = 0;
  let lateAccepted = 0;
  let resent = 0;
  let killed: Promise<void> | undefined;
  const served = new Map<RoleProcess, number>();
  const queue = [...batches];
  const post = (to: RoleProcess, beats: SimBeat[]) =>
    fetch(`${to.url}/v1/heartbeats`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/x-ndjson' },
      body: beats
        .map((b) => JSON.stringify({ channelId: b.channelId, viewerId: b.viewerId, pullType: b.pullType, ts: b.ts }))
        .join('\n'),
    });
  const worker = async (w: number) => {
    for (let n = w; ; n++) {
      // the last fifth of the traffic waits for the restarted processes, so they take part too
      if (killed && acknowledged >= batches.length * 0.8) await killed;
      const beats = queue.shift();
      if (!beats) return;
      const live = collectors.filter((c) => c.running);
      const to = live[n % live.length]!;
      let answer: { accepted: number; rejected: { index: number; reason: string }[] };
      try {
        const res = await post(to, beats);
        assert.equal(res.status, 200, `${to.name} answered ${res.status}`);
        answer = ((await res.json()) as { data: typeof answer }).data;
      } catch (e) {
        if (to.running && !(to.name === 'coll1' && killed)) throw e;
        queue.push(beats); // its fate is unknown: send it again, through whichever collector runs
        resent++;
        continue;
      }
      const refused = new Set(answer.rejected.map((r) => r.index));
      beats.forEach((b, i) => {
        if (refused.has(i)) return;
        truth.add(b);
        if (b.kind === 'late') lateAccepted++;
      });
      for (const r of answer.rejected) assert.match(r.reason, /^late/, 'only late beats are refused');
      acknowledged++;
      served.set(to, (served.get(to) ?? 0) + 1);
      if (acknowledged === Math.floor(batches.length * 0.4) && !killed) {
        // mid-stream: kill one aggregator and one collector, restart both while traffic goes on
        killed = (async () => {
          await Promise.all([agg1.kill('SIGKILL'), coll1.kill('SIGKILL')]);
          await sleep(1_000);
          const [c1, a1] = await Promise.all([start('coll1', 'collector'), start('agg1', 'aggregator')]);
          collectors[0] = c1;
          aggregators.agg1 = a1;
        })();
      }
      await sleep(100);
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  await killed;
  const trafficDoneS = (Date.now() - started) / 1000;
  assert.ok(killed, 'the kills happened mid-stream');
  assert.ok((served.get(collectors[0]!) ?? 0) > 0, 'the restarted collector took traffic');
  assert.equal(lateAccepted, 0, 'no deliberately late beat was accepted');
  assert.ok(truth.rows().length > 0);

  // realtime: beacons through both collectors, then every api process answers the same count
  const rtViewers = ['rt-1', 'rt-2', 'rt-3', 'rt-4', 'rt-5'];
  for (const [i, v] of rtViewers.entries()) {
    const to = collectors[i % 2]!;
    const res = await fetch(`${to.url}/v1/beacon?channelId=${REALTIME_CHANNEL}&viewerId=${v}`);
    assert.equal(res.status, 204);
  }
  for (const api of [api1, api2]) {
    await eventually(`realtime on ${api.name}`, async () => {
      const { body } = await api.json<{ viewers: number }>(`/admin/v1/channels/${REALTIME_CHANNEL}/realtime`, {
        headers: adminHeaders,
      });
      return body.data?.viewers === rtViewers.length ? true : undefined;
    });
    const params: Record<string, string> = { appId: app.appId!, timestamp: String(Date.now()), userId: 'rtuser' };
    const q = new URLSearchParams({ ...params, sign: sign(params, app.appSecret!) });
    const signed = await api.json<number>(`/live/v3/user/statistics/realtime-concurrence?${q}`);
    assert.equal(signed.body.data, rtViewers.length, `${api.name}: ${JSON.stringify(signed.body)}`);
  }

  // minute m closes on every partition, then the store must equal the truth
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  try {
    await eventually(
      'minute m closed on every partition',
      async () => {
        const { rows } = await db.query(`SELECT progress FROM "${schema}".ingest_fences WHERE key LIKE $1`, [`${prefix}/%`]);
        return rows.length === PARTITIONS && rows.every((r) => Number(r.progress) > m) ? true : undefined;
      },
      120_000,
      500,
    );
  } finally {
    await db.end();
  }
  // /freshness on an api process: the oldest partition's progress
  const fresh = await api2.json<{ closedBefore: number | null }>('/freshness');
  assert.ok((fresh.body.data.closedBefore ?? 0) >= (m + 1) * MINUTE_MS, JSON.stringify(fresh.body));

  const store = await PostgresStore.connect(PG_URL, { schema, max: 2 });
  try {
    const stored = new Map<string, number>();
    for (const s of await store.readCurves('channel', CHANNELS, m - 5, m + 1)) {
      for (const [i, v] of Array.from(s.values).entries())
        if (v > 0) stored.set(`${s.start + i}|${s.key}`, (stored.get(`${s.start + i}|${s.key}`) ?? 0) + v);
    }
    const perChannel = new Map<string, number>();
    for (const ch of CHANNELS) {
      for (const s of await store.readCurves('channel', [ch], m - 5, m + 1)) {
        for (const [i, v] of Array.from(s.values).entries()) if (v > 0) perChannel.set(`${ch}|${s.key}|${s.start + i}`, v);
      }
    }
    const expected = new Map(truth.rows().map((r) => [`${r.channelId}|${r.pullType}|${r.minuteMs / MINUTE_MS}`, r.ccv]));
    assert.deepEqual(perChannel, expected, 'every closed channel minute equals the distinct acknowledged viewers');
    const user = new Map<string, number>();
    for (const s of await store.readCurves('user', ['cuser'], m - 5, m + 1)) {
      for (const [i, v] of Array.from(s.values).entries()) if (v > 0) user.set(`${s.start + i}|${s.key}`, v);
    }
    assert.deepEqual(user, stored, "the user's curve is the sum of its channels'");
  } finally {
    await store.close();
  }

  // the restarted aggregator has rejoined: the partitions are shared again
  await eventually('the partitions shared by both aggregators', async () => {
    const [a, b] = [await health(aggregators.agg1), await health(aggregators.agg2)];
    const owned = [...(a?.live ?? []), ...(b?.live ?? [])];
    return (a?.live.length ?? 0) > 0 && (b?.live.length ?? 0) > 0 && new Set(owned).size === PARTITIONS ? true : undefined;
  });
  process.stdout.write(
    `# cluster test: ${traffic.beats.length} beats in ${batches.length} batches, ${resent} resent after the kill, ${truth.rows().length} channel minutes; traffic done after ${trafficDoneS.toFixed(1)} s, all checked after ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
});
