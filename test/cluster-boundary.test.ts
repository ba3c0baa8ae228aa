/**
 * The lateness boundary across processes (src/ingest/cluster/partition-worker.ts): a collector whose clock
 * runs the full allowed skew behind the NATS server, and whose log takes nearly the whole publish timeout to
 * store, acknowledges a heartbeat shortly before its minute's cut-off; the aggregator must count it. The same
 * collector refuses a beat at the cut-off, and answers 503 when the log is slower than the publish timeout.
 * Real NATS JetStream (own prefix), a real SQLite store; the collector's clock and its log's delay are the
 * only things bent, through their ports.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { MINUTE_MS } from '../src/domain/calendar.js';
import { ApiError } from '../src/errors.js';
import { ClusterAggregator } from '../src/ingest/cluster/aggregator.js';
import { ClusterCollector } from '../src/ingest/cluster/collector.js';
import { JetStreamHeartbeatLog } from '../src/ingest/cluster/jetstream-log.js';
import type { Heartbeat } from '../src/ingest/heartbeat.js';
import type { HeartbeatLog } from '../src/ingest/log/port.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { eventually, removeStreams, sleep, testCluster, uniqueNames } from './cluster-helpers.js';
import { tempDir, testConfig } from './helpers.js';

const { prefix } = uniqueNames('edge');
after(async () => {
  assert.deepEqual(await removeStreams(prefix), [], 'the test streams are removed');
});

/** The real JetStream log, taking `delayMs` before each append: a slow disk or network under the broker. */
function slowed(log: HeartbeatLog, delay: { ms: number }): HeartbeatLog {
  return {
    kind: log.kind,
    partitions: log.partitions,
    partitionOf: (c) => log.partitionOf(c),
    append: async (beats: readonly Heartbeat[]) => {
      await sleep(delay.ms);
      await log.append(beats);
    },
    read: (p, h) => log.read(p, h),
    mark: (p, id) => log.mark(p, id),
    release: (p, c) => log.release(p, c),
    close: () => log.close(),
  };
}

test('a heartbeat acknowledged just before its minute closes is counted, across skewed clocks and a slow log', {
  timeout: 60_000,
}, async () => {
  const SKEW = 1_000;
  const PUBLISH = 1_500;
  // the minute that just ended; its cut-off, on the collector's clock, about 6 s from now: the set-up below (NATS,
  // the aggregator taking both partitions) must be done before it, and took over 3 s on a busy machine
  const m = Math.floor(Date.now() / MINUTE_MS) - 1;
  const collectorNow = () => Date.now() - SKEW;
  const cutoff = collectorNow() + 6_000;
  const lateness = cutoff - (m + 1) * MINUTE_MS;
  const config = testConfig({
    natsPrefix: prefix,
    partitions: 2,
    allowedLatenessMs: lateness,
    maxClockSkewMs: SKEW,
    publishTimeoutMs: PUBLISH,
    realtimePublishMs: 500,
    leaseTtlMs: 3_000,
  });
  const store = new SqliteStore(path.join(tempDir('live-ccv-edge-'), 'store.sqlite'));
  const t = new Tenancy(store);
  const app = await t.createApp({ name: 'edge' });
  await t.addUser(app.appId, 'u1');
  await t.addChannel('u1', '100');
  const conn = await testCluster(prefix);
  const log = await JetStreamHeartbeatLog.open(conn, { partitions: 2, replicas: 1, publishTimeoutMs: PUBLISH });
  const aggregator = await ClusterAggregator.start(config, store, log, conn, { onError: () => {}, onEvent: () => {} });
  const delay = { ms: 0 };
  const collector = await ClusterCollector.open(config, store, slowed(log, delay), { now: collectorNow, timers: false });
  try {
    await eventually('the aggregator owns both partitions', async () =>
      aggregator.status().live.length === 2 ? true : undefined,
    );
    const send = (viewerId: string) =>
      collector.submit([{ channelId: '100', viewerId, ts: m * MINUTE_MS + 30_000 }], {
        scope: { kind: 'global' },
        acceptTs: true,
      });

    assert.deepEqual(await send('early'), { accepted: 1, rejected: [] });

    // Shortly before the cut-off by the collector's clock, through a log that takes 250 ms less than allowed.
    // The margin absorbs a busy machine's scheduling delay; the beat still reaches the log S + P - 250 - 400 ms
    // after the cut-off on the server's clock, so aggregators closing at end(m) + lateness would miss it.
    await sleep(cutoff - 400 - collectorNow());
    delay.ms = PUBLISH - 250;
    assert.deepEqual(await send('at-the-edge'), { accepted: 1, rejected: [] });

    delay.ms = 0;
    await sleep(Math.max(0, cutoff - collectorNow()));
    const late = await send('after-the-edge');
    assert.equal(late.accepted, 0);
    assert.match(late.rejected[0]!.reason, /^late: minute .* is already closed$/);

    await eventually('minute m closed', async () => {
      const segments = await store.readCurves('channel', ['100'], m, m + 1);
      const n = segments.reduce((sum, s) => sum + (s.values[m - s.start] ?? 0), 0);
      return n > 0 ? n : undefined;
    }).then((n) => assert.equal(n, 2, 'both acknowledged viewers are counted, the refused one is not'));
    assert.equal(aggregator.status().droppedLate, 0);

    // a log slower than the publish timeout: stored perhaps, but never acknowledged
    delay.ms = PUBLISH + 300;
    await assert.rejects(
      collector.submit([{ channelId: '100', viewerId: 'slow' }], { scope: { kind: 'global' }, acceptTs: false }),
      (e: unknown) => e instanceof ApiError && e.code === 503 && /LIVE_CCV_PUBLISH_TIMEOUT_MS/.test(e.message),
    );
  } finally {
    await collector.stop();
    await aggregator.stop();
    await log.close();
    await conn.close();
    await store.close();
  }
});
