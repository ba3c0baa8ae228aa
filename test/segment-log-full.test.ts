/**
 * The heartbeat log on a real full disk (a small tmpfs): appends are refused with a classified storage
 * failure while the disk is full, nothing is remembered once space is back (the next append or a probe
 * recovers), and a replay finds exactly the acknowledged frames: none lost, no refused frame left behind.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Heartbeat } from '../src/ingest/heartbeat.js';
import { encodeFrame } from '../src/ingest/log-codec.js';
import { SegmentLog } from '../src/ingest/segment-log.js';
import { StorageUnavailableError } from '../src/store/storage-failure.js';
import { mountSmallFs } from './small-fs.js';

const fsys = mountSmallFs(2 * 1024 * 1024);
after(() => fsys.unmount());

const beats = (tag: string, n: number): Heartbeat[] =>
  Array.from({ length: n }, (_, i) => ({ ts: 60_000 * 100 + i, channelId: '1', pullType: 'cdn', viewerId: `${tag}-${i}` }));

async function replay(dir: string): Promise<string[]> {
  const seen: string[] = [];
  const log = await SegmentLog.open({ dir, fsync: 'always', segmentBytes: 1 << 30, segmentMaxAgeMs: 1 << 30 }, (b) => {
    for (const x of b) seen.push(x.viewerId);
  });
  await log.close();
  return seen;
}

test('a full disk refuses appends with a storage failure; freeing space recovers without reopening; replay finds exactly what was acknowledged', async () => {
  const dir = path.join(fsys.dir, 'log');
  const log = await SegmentLog.open({ dir, fsync: 'always', segmentBytes: 1 << 30, segmentMaxAgeMs: 1 << 30 }, () => {});
  const acked: string[] = [];
  const append = async (tag: string, n: number) => {
    const b = beats(tag, n);
    await log.append(encodeFrame(b), 100);
    acked.push(...b.map((x) => x.viewerId));
  };
  await append('before', 50);
  assert.deepEqual(log.health(), { ok: true });

  fsys.fill();
  // a frame larger than any leftover page: the write fails part way or at once
  const refused = await Promise.allSettled([append('full-a', 3000), append('full-b', 3000)]);
  for (const r of refused) {
    assert.equal(r.status, 'rejected');
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.equal(err.reason, 'heartbeat log: no space left on device (ENOSPC)');
  }
  const health = log.health();
  assert.equal(health.ok, false);
  assert.equal(health.error, 'heartbeat log: no space left on device (ENOSPC)');
  assert.ok(typeof health.since === 'number');
  assert.equal((await log.probe()).ok, false, 'the probe sees the disk is still full');

  fsys.free();
  assert.deepEqual(await log.probe(), { ok: true }, 'the probe notices the space is back');
  await append('after', 50);
  assert.deepEqual(log.health(), { ok: true });
  await log.close();

  assert.deepEqual(await replay(dir), acked, 'replay holds the acknowledged frames, in order, and nothing refused');
});

test('without a probe, the next append is the recovery', async () => {
  const dir = path.join(fsys.dir, 'log2');
  const log = await SegmentLog.open({ dir, fsync: 'always', segmentBytes: 1 << 30, segmentMaxAgeMs: 1 << 30 }, () => {});
  await log.append(encodeFrame(beats('one', 10)), 100);
  fsys.fill();
  await assert.rejects(log.append(encodeFrame(beats('two', 3000)), 100), StorageUnavailableError);
  fsys.free();
  await log.append(encodeFrame(beats('three', 10)), 100);
  await log.close();
  const seen = await replay(dir);
  assert.deepEqual(
    seen,
    [...beats('one', 10), ...beats('three', 10)].map((b) => b.viewerId),
  );
});
