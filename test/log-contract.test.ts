/**
 * The heartbeat log contract (src/ingest/log/port.ts), run against both adapters: the local segment files
 * and NATS JetStream (a prefix per test, its streams deleted afterwards). Every property the ingest relies on
 * is checked here once for both: durability across a reopen, one partition per channel, order, marks as
 * barriers, release that drops only what was received and closed, and large appends.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { JetStreamHeartbeatLog } from '../src/ingest/cluster/jetstream-log.js';
import type { ClusterConnection } from '../src/ingest/cluster/nats.js';
import type { Heartbeat } from '../src/ingest/heartbeat.js';
import { LocalHeartbeatLog } from '../src/ingest/log/local-log.js';
import type { HeartbeatLog, LogRecord } from '../src/ingest/log/port.js';
import { eventually, removeStreams, streamsOf, testCluster, uniqueNames } from './cluster-helpers.js';
import { tempDir } from './helpers.js';

interface Storage {
  /** a log on this storage (a second call is a restart: same files, or a new connection to the same stream) */
  open(): Promise<HeartbeatLog>;
  drop(): Promise<void>;
}
interface Adapter {
  name: string;
  storage(): Promise<Storage>;
}

const local: Adapter = {
  name: 'LocalHeartbeatLog',
  async storage() {
    const dir = path.join(tempDir('live-ccv-log-'), 'log');
    const opened: HeartbeatLog[] = [];
    return {
      async open() {
        // one frame per segment, so that releasing shows at record granularity as it does on JetStream
        const log = new LocalHeartbeatLog({ dir, fsync: 'always', segmentBytes: 1, segmentMaxAgeMs: 60_000 });
        opened.push(log);
        return log;
      },
      async drop() {
        for (const l of opened) await l.close();
      },
    };
  },
};

const prefixes: string[] = [];
const jetstream: Adapter = {
  name: 'JetStreamHeartbeatLog',
  async storage() {
    const { prefix } = uniqueNames('log');
    prefixes.push(prefix);
    const conns: ClusterConnection[] = [];
    const logs: HeartbeatLog[] = [];
    return {
      async open() {
        const conn = await testCluster(prefix);
        conns.push(conn);
        const log = await JetStreamHeartbeatLog.open(conn, { partitions: 4, replicas: 1, publishTimeoutMs: 5_000 });
        logs.push(log);
        return log;
      },
      async drop() {
        for (const l of logs) await l.close();
        for (const c of conns) await c.close();
        assert.deepEqual(await removeStreams(prefix), []);
      },
    };
  },
};

after(async () => {
  for (const p of prefixes) assert.deepEqual(await streamsOf(p), [], `streams of ${p} are removed`);
});

const MINUTE = 29_000_000;
const beat = (channelId: string, viewerId: string, minute = MINUTE, pullType = 'cdn'): Heartbeat => ({
  channelId,
  viewerId,
  pullType,
  ts: minute * 60_000 + 1_000,
});
const key = (b: Heartbeat) => `${b.channelId}|${b.pullType}|${b.viewerId}|${b.ts}`;

/** Reads every partition into per-partition record lists. */
async function readAll(log: HeartbeatLog): Promise<{ records: LogRecord[][]; stop(): Promise<void> }> {
  const records: LogRecord[][] = Array.from({ length: log.partitions }, () => []);
  const readers: { stop(): Promise<void> }[] = [];
  for (let p = 0; p < log.partitions; p++) readers.push(await log.read(p, (r) => records[p]!.push(r)));
  return { records, stop: async () => void (await Promise.all(readers.map((r) => r.stop()))) };
}

const beatsOf = (records: LogRecord[]) => records.flatMap((r) => r.beats);
const until = (what: string, done: () => boolean) => eventually(what, async () => (done() ? true : undefined));
const marksOf = (records: LogRecord[]) => records.filter((r) => r.mark !== undefined).map((r) => r.mark);

for (const adapter of [local, jetstream]) {
  /** A test on fresh storage of this adapter, dropped afterwards whatever happened. */
  const contract = (name: string, body: (storage: Storage) => Promise<void>) =>
    test(name, async () => {
      const storage = await adapter.storage();
      try {
        await body(storage);
      } finally {
        await storage.drop().catch(() => {});
      }
    });
  describe(`heartbeat log contract: ${adapter.name}`, () => {
    contract('a reader gets every appended record once, live, in its channel partition, in order', async (storage) => {
      const log = await storage.open();
      const { records, stop } = await readAll(log);
      const batches = Array.from({ length: 12 }, (_, i) =>
        Array.from({ length: 30 }, (_, j) => beat(String(1000 + ((i * 7 + j) % 9)), `v${i}-${j}`)),
      );
      for (const b of batches) await log.append(b);
      const sent = batches.flat();
      await until('every beat read', () => records.flat().flatMap((r) => r.beats).length >= sent.length);
      for (const [p, list] of records.entries()) {
        for (const b of beatsOf(list))
          assert.equal(log.partitionOf(b.channelId), p, `channel ${b.channelId} read in partition ${p}`);
        const seqs = list.map((r) => r.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          'sequences increase',
        );
        // within a partition, beats come in append order
        const expected = sent.filter((b) => log.partitionOf(b.channelId) === p).map(key);
        assert.deepEqual(beatsOf(list).map(key), expected);
      }
      assert.deepEqual(
        records
          .flat()
          .flatMap((r) => r.beats)
          .map(key)
          .sort(),
        sent.map(key).sort(),
      );
      await stop();
    });

    contract('append resolves only when durable: a restarted log replays every record', async (storage) => {
      const first = await storage.open();
      const { stop } = await readAll(first);
      const sent = Array.from({ length: 500 }, (_, i) => beat(String(2000 + (i % 13)), `viewer-${i}`, MINUTE + (i % 3)));
      await Promise.all([first.append(sent.slice(0, 200)), first.append(sent.slice(200, 350)), first.append(sent.slice(350))]);
      await stop();
      await first.close();
      const second = await storage.open();
      const { records, stop: stop2 } = await readAll(second);
      await until('the replay', () => beatsOf(records.flat()).length >= sent.length);
      assert.deepEqual(beatsOf(records.flat()).map(key).sort(), sent.map(key).sort());
      await stop2();
    });

    contract('a mark arrives after every record appended before it, with the id it was given', async (storage) => {
      const log = await storage.open();
      const { records, stop } = await readAll(log);
      const p = log.partitionOf('3001');
      const before = [log.append([beat('3001', 'a')]), log.append([beat('3001', 'b')])];
      const id = randomUUID();
      const marked = log.mark(p, id);
      const afterMark = log.append([beat('3001', 'c')]);
      await Promise.all([...before, marked, afterMark]);
      await until('the mark', () => marksOf(records[p]!).includes(id));
      const at = records[p]!.findIndex((r) => r.mark === id);
      const earlier = beatsOf(records[p]!.slice(0, at)).map((b) => b.viewerId);
      assert.ok(earlier.includes('a') && earlier.includes('b'), `a and b precede the mark (got ${earlier})`);
      assert.deepEqual(records[p]![at]!.beats, []);
      assert.ok(records[p]![at]!.storedAt > 0, 'a live mark carries the time the log stored it');
      await stop();
    });

    contract('release drops received records of closed minutes and keeps every record of an open one', async (storage) => {
      const log = await storage.open();
      const { records, stop } = await readAll(log);
      const p = log.partitionOf('4001');
      await log.append([beat('4001', 'old-1', MINUTE)]);
      await log.append([beat('4001', 'open-1', MINUTE + 1), beat('4001', 'old-2', MINUTE)]);
      await log.append([beat('4001', 'old-3', MINUTE)]);
      await until('three records', () => records[p]!.length >= 3);
      await log.release(p, MINUTE + 1);
      await stop();
      await log.close();
      const again = await storage.open();
      const { records: replayed, stop: stop2 } = await readAll(again);
      await until('the replay', () => beatsOf(replayed[p]!).some((b) => b.viewerId === 'open-1'));
      const ids = beatsOf(replayed[p]!).map((b) => b.viewerId);
      assert.ok(!ids.includes('old-1'), 'the record of a closed minute is dropped');
      assert.ok(ids.includes('open-1') && ids.includes('old-2'), 'the record holding an open minute is kept whole');
      await stop2();
    });

    contract('an append larger than one record may hold is split, nothing lost', async (storage) => {
      const log = await storage.open();
      const { records, stop } = await readAll(log);
      const long = 'x'.repeat(120);
      const sent = Array.from({ length: 30_000 }, (_, i) => beat('5001', `${long}-${i}`)); // ~4.5 MB
      await log.append(sent);
      const p = log.partitionOf('5001');
      await until('every beat', () => beatsOf(records[p]!).length >= sent.length);
      assert.equal(new Set(beatsOf(records[p]!).map(key)).size, sent.length);
      await stop();
    });

    contract('an append the log cannot store fails (a closed log, a stream that is gone)', async (storage) => {
      const log = await storage.open();
      const { stop } = await readAll(log);
      await stop();
      await log.close();
      if (log.kind === 'local') await assert.rejects(log.append([beat('6001', 'v')]), /closed/);
      else await storage.drop().then(() => assert.rejects(log.append([beat('6001', 'v')])));
    });
  });
}

/** A test with a NATS connection under a prefix of its own, whose streams are removed afterwards. */
function onJetStream(name: string, body: (conn: ClusterConnection) => Promise<void>) {
  test(name, async () => {
    const { prefix } = uniqueNames('logjs');
    prefixes.push(prefix);
    const conn = await testCluster(prefix);
    try {
      await body(conn);
    } finally {
      await conn.close();
      assert.deepEqual(await removeStreams(prefix), []);
    }
  });
}

describe('heartbeat log: what each adapter adds', () => {
  test('JetStream: a start that cannot reach NATS names the setting', async () => {
    const { connectCluster } = await import('../src/ingest/cluster/nats.js');
    await assert.rejects(connectCluster({ natsUrl: 'nats://127.0.0.1:1', natsPrefix: 'unused' }, 'test'), {
      message: /^LIVE_CCV_NATS_URL: NATS at nats:\/\/127\.0\.0\.1:1 is not reachable/,
    });
  });

  onJetStream('JetStream: a stream made for another partition count is refused', async (conn) => {
    await JetStreamHeartbeatLog.open(conn, { partitions: 4, replicas: 1, publishTimeoutMs: 5_000 });
    await assert.rejects(
      JetStreamHeartbeatLog.open(conn, { partitions: 8, replicas: 1, publishTimeoutMs: 5_000 }),
      /LIVE_CCV_PARTITIONS=8 but the stream .* holds 4 partitions/,
    );
  });

  onJetStream('JetStream: appends of one event-loop turn, or one linger, share one message per partition', async (conn) => {
    const turn = await JetStreamHeartbeatLog.open(conn, { partitions: 1, replicas: 1, publishTimeoutMs: 5_000 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => turn.append([beat('8001', `t${i}`)])));
    assert.equal((await conn.jsm.streams.info(conn.names.stream)).state.messages, 1);
    const linger = await JetStreamHeartbeatLog.open(conn, {
      partitions: 1,
      replicas: 1,
      publishTimeoutMs: 5_000,
      lingerMs: 100,
    });
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      appends.push(linger.append([beat('8001', `l${i}`)]));
      await new Promise((r) => setTimeout(r, 5)); // separate turns, one linger
    }
    await Promise.all(appends);
    assert.equal((await conn.jsm.streams.info(conn.names.stream)).state.messages, 2);
  });

  onJetStream('JetStream: release only drops records the reader has received', async (conn) => {
    const log = await JetStreamHeartbeatLog.open(conn, { partitions: 1, replicas: 1, publishTimeoutMs: 5_000 });
    await log.append([beat('7001', 'unread', MINUTE)]);
    await log.release(0, MINUTE + 100); // nobody has read it
    const info = await conn.jsm.streams.info(conn.names.stream);
    assert.equal(info.state.messages, 1);
  });
});
