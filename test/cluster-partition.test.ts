/**
 * A partition's owners, in process on real engines (NATS JetStream with a prefix of its own, a SQLite store):
 * a new owner rebuilds the open minutes from the log before closing them and never counts a closed minute
 * twice; an owner whose token was superseded cannot overwrite the new owner's minutes; leases move when an
 * aggregator joins or leaves. Minutes close when the test sets the lateness to 0 (the workers read it live).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ClusterAggregator } from '../src/ingest/cluster/aggregator.js';
import { JetStreamHeartbeatLog } from '../src/ingest/cluster/jetstream-log.js';
import { PartitionWorker } from '../src/ingest/cluster/partition-worker.js';
import type { Heartbeat } from '../src/ingest/heartbeat.js';
import { Tenancy } from '../src/service/tenancy.js';
import type { FenceToken } from '../src/store/fence.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { eventually, removeStreams, testCluster, uniqueNames } from './cluster-helpers.js';
import { tempDir, testConfig } from './helpers.js';

const prefixes: string[] = [];
after(async () => {
  for (const p of prefixes) assert.deepEqual(await removeStreams(p), [], `streams of ${p} are removed`);
});

const m = Math.floor(Date.now() / 60_000) - 2;
const beat = (viewerId: string, minute = m): Heartbeat => ({
  channelId: '100',
  viewerId,
  pullType: 'cdn',
  ts: minute * 60_000 + 5_000,
});

async function setup(partitions = 1) {
  const { prefix } = uniqueNames('part');
  prefixes.push(prefix);
  const conn = await testCluster(prefix);
  const log = await JetStreamHeartbeatLog.open(conn, { partitions, replicas: 1, publishTimeoutMs: 5_000 });
  const store = new SqliteStore(path.join(tempDir('live-ccv-part-'), 'store.sqlite'));
  const t = new Tenancy(store);
  const app = await t.createApp({ name: 'part' });
  await t.addUser(app.appId, 'u1');
  for (const c of ['100', '101', '102', '103', '104', '105']) await t.addChannel('u1', c);
  const errors: string[] = [];
  return {
    conn,
    log,
    store,
    errors,
    async stored(minute = m, channel = '100') {
      let n = 0;
      for (const s of await store.readCurves('channel', [channel], minute, minute + 1)) n += s.values[minute - s.start] ?? 0;
      return n;
    },
    async close() {
      await log.close();
      await conn.close();
      await store.close();
    },
  };
}

/** Lateness of an hour keeps minute m open until the test sets it to 0. */
const timing = () => ({ allowedLatenessMs: 3_600_000, publishTimeoutMs: 500, maxClockSkewMs: 500 });
const token = (epoch: number, key: string): FenceToken => ({ key, generation: 1, epoch });

function worker(env: Awaited<ReturnType<typeof setup>>, epoch: number, config = timing(), onFenced = () => {}) {
  return new PartitionWorker(0, token(epoch, env.conn.names.fenceKey(0)), {
    config,
    store: env.store,
    log: env.log,
    now: Date.now,
    onError: (e, what) => env.errors.push(`${what}: ${String(e)}`),
    onFenced,
  });
}

describe('partition owners', () => {
  test('a new owner rebuilds open minutes from the log before closing them; a closed minute is never counted twice', async () => {
    const env = await setup();
    try {
      await env.log.append(['v1', 'v2', 'v3', 'v4', 'v5'].map((v) => beat(v)));
      const a = worker(env, 1);
      await a.start();
      await eventually('A caught up', async () => (a.live ? true : undefined));
      await a.stop(false); // a crash: nothing written, nothing released
      assert.equal(await env.stored(), 0);

      await env.log.append(['v4', 'v5', 'v6'].map((v) => beat(v)));
      const config = timing();
      const b = worker(env, 2, config);
      await b.start();
      await eventually('B caught up', async () => (b.live ? true : undefined));
      config.allowedLatenessMs = 0; // minute m closes at B's next mark
      await eventually('minute m written', async () => ((await env.stored()) > 0 ? true : undefined));
      assert.equal(await env.stored(), 6, 'every beat of the minute, read again from the log, each viewer once');
      await eventually('records released', async () => {
        const info = await env.conn.jsm.streams.info(env.conn.names.stream);
        return info.state.messages <= 2 ? true : undefined; // marks may remain
      });
      await b.stop(true);

      // a third owner: the progress says minute m is final; a beat for it found in the log is dropped
      const c = worker(env, 3, { ...timing(), allowedLatenessMs: 0 });
      await env.log.append([beat('v7')]);
      await c.start();
      await eventually('C caught up', async () => (c.live ? true : undefined));
      assert.equal(c.dropped(), 1);
      assert.equal(await env.stored(), 6);
      await c.stop(true);
      assert.deepEqual(env.errors, []);
    } finally {
      await env.close();
    }
  });

  test('an owner that lost its lease cannot overwrite the minutes the new owner wrote', async () => {
    const env = await setup();
    try {
      const config = timing();
      let fenced = 0;
      const a = worker(env, 1, config, () => fenced++);
      await a.start();
      await env.log.append(['v1', 'v2', 'v3'].map((v) => beat(v)));
      await eventually('A counted', async () => (a.live ? true : undefined));
      // Meanwhile a new owner claimed the partition and wrote minute m from a fuller view of the log.
      const newer = token(2, env.conn.names.fenceKey(0));
      await env.store.claimFence(newer);
      await env.store.setChannelMinutesFenced([{ channelId: '100', pullType: 'cdn', minute: m, ccv: 10 }], newer, String(m + 1));
      config.allowedLatenessMs = 0; // A, unaware, closes minute m with its 3 viewers
      await eventually('A fenced', async () => (fenced > 0 ? true : undefined));
      assert.equal(await env.stored(), 10, "the new owner's minute stands");
      await a.stop(false);
    } finally {
      await env.close();
    }
  });

  test('leases: one aggregator owns every partition; a second joins and gets a share; a clean stop hands everything over', async () => {
    const env = await setup(6);
    const config = testConfig({
      partitions: 6,
      leaseTtlMs: 1_500,
      realtimePublishMs: 300,
      natsPrefix: env.conn.names.stream.replace(/-heartbeats$/, ''),
    });
    const aggregators: ClusterAggregator[] = [];
    try {
      const a = await ClusterAggregator.start(config, env.store, env.log, env.conn, {
        id: 'agg-a',
        onError: () => {},
        onEvent: () => {},
      });
      aggregators.push(a);
      await eventually('A owns all six', async () => (a.status().live.length === 6 ? true : undefined));

      const conn2 = await testCluster(config.natsPrefix);
      const log2 = await JetStreamHeartbeatLog.open(conn2, { partitions: 6, replicas: 1, publishTimeoutMs: 5_000 });
      const b = await ClusterAggregator.start(config, env.store, log2, conn2, {
        id: 'agg-b',
        onError: () => {},
        onEvent: () => {},
      });
      aggregators.push(b);
      await eventually(
        'the partitions shared',
        async () => {
          const [sa, sb] = [a.status(), b.status()];
          const all = [...sa.owned, ...sb.owned].sort();
          return sa.owned.length > 0 && sb.live.length > 0 && all.length === 6 && new Set(all).size === 6 ? true : undefined;
        },
        30_000,
      );
      await a.stop();
      await eventually('B owns all six', async () => (b.status().live.length === 6 ? true : undefined), 30_000);
      await b.stop();
      await log2.close();
      await conn2.close();
    } finally {
      for (const x of aggregators) await x.stop().catch(() => {});
      await env.close();
    }
  });
});
