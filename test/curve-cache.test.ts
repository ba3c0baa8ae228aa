/**
 * The curve cache and the change log that keeps every cache of a SQLite file exact: least recently used out
 * first within the budget, figures for metrics, and a write by any connection (another process, the main
 * thread for a query thread) invalidating exactly the cells it touched, at once.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DAY_MINUTES } from '../src/domain/calendar.js';
import { CurveCache, type Cell } from '../src/store/curve-cache.js';
import type { CacheStats } from '../src/store/curve-cache.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';

const cell = (n: number): Cell => [{ pullType: 'cdn', off: 0, values: new Uint8Array(n) }];

test('the cache keeps the most recently used cells within its budget and reports its figures', () => {
  const cache = new CurveCache(2000, 'unit');
  cache.set('user', 'a', 1, cell(500));
  cache.set('user', 'b', 1, cell(500));
  assert.ok(cache.get('user', 'a', 1)); // a is now more recent than b
  cache.set('channel', 'c', 1, cell(500)); // over budget: b goes first
  assert.equal(cache.get('user', 'b', 1), undefined);
  assert.ok(cache.get('user', 'a', 1));
  assert.ok(cache.peek('channel', 'c', 1));
  cache.set('hours', 'a', 0, []); // an empty cell is remembered too
  assert.deepEqual(cache.get('hours', 'a', 0), []);
  cache.invalidate('user', 'a');
  assert.equal(cache.peek('user', 'a', 1), undefined);
  const s = cache.stats();
  assert.equal(s.name, 'unit');
  assert.equal(s.maxBytes, 2000);
  assert.ok(s.bytes > 0 && s.bytes <= 2000, String(s.bytes));
  assert.equal(s.cells, 2);
  assert.equal(s.hits, 3);
  assert.equal(s.misses, 1);
  assert.equal(s.hitRate, 0.75);
  assert.equal(s.evictions, 1);
  assert.equal(s.invalidations, 1);
  cache.clear();
  assert.deepEqual(
    { cells: cache.stats().cells, bytes: cache.stats().bytes, clears: cache.stats().clears },
    { cells: 0, bytes: 0, clears: 1 },
  );
  const off = new CurveCache(0);
  off.set('user', 'a', 1, cell(1));
  assert.equal(off.get('user', 'a', 1), undefined, 'a zero budget disables the cache');
});

const DAY = 19_000;
const T0 = DAY * DAY_MINUTES;

async function tenancy(store: SqliteStore) {
  await store.createApp({ appId: 'a', appSecret: 'secret-secret-secret', name: 'a' });
  await store.addUser('a', 'u1');
  await store.addUser('a', 'u2');
  await store.addChannel('u1', '1');
  await store.addChannel('u2', '2');
}

const byName = (stats: CacheStats[], name: string) => stats.find((s) => s.name === name)!;

test("another connection's write invalidates only the cells it touched, seen at once", async () => {
  const file = path.join(tempDir(), 'store.sqlite');
  const reader = new SqliteStore(file);
  const writer = new SqliteStore(file);
  try {
    await tenancy(reader);
    await writer.setChannelMinutes([
      { channelId: '1', pullType: 'cdn', minute: T0 + 5, ccv: 5 },
      { channelId: '2', pullType: 'cdn', minute: T0 + 5, ccv: 7 },
    ]);
    const read = async (ids: string[]) =>
      Promise.all(
        ids.map(async (id) => (await reader.readCurves('channel', [id], T0, T0 + 10)).map((s) => Array.from(s.values))[0]),
      );
    assert.deepEqual(await read(['1', '2']), [[5], [7]]);
    assert.deepEqual(await reader.userPeaks(['u1', 'u2'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 5, value: 12 }]);
    const before = byName(reader.cacheStats(), 'main');

    await writer.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: T0 + 5, ccv: 50 }]);
    // no waiting: every read follows the change log inside its own transaction
    assert.deepEqual(await read(['1', '2']), [[50], [7]]);
    assert.deepEqual(await reader.userPeaks(['u1', 'u2'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 5, value: 57 }]);
    const after = byName(reader.cacheStats(), 'main');
    // u1's day and u1's hour block were dropped; channel 1's day is cached as stored, which an appended (open)
    // minute leaves as it was; channel 2, u2 and their block stayed
    assert.equal(after.invalidations - before.invalidations, 2);
    assert.equal(after.clears, 0);
    assert.ok(reader.cacheStats().length === 1, 'no query threads, one cache');
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a read the cache alone cannot answer falls back to a snapshot, its look-ups counted once', async () => {
  const file = path.join(tempDir(), 'store.sqlite');
  const store = new SqliteStore(file);
  const other = new SqliteStore(file);
  try {
    await tenancy(store);
    // written by the other connection: nothing of it is in this one's cache
    await other.setChannelMinutes([
      { channelId: '1', pullType: 'cdn', minute: T0 + 5, ccv: 5 },
      { channelId: '2', pullType: 'cdn', minute: T0 + 5, ccv: 7 },
    ]);
    const values = async (ids: string[]) =>
      (await store.readCurves('channel', ids, T0, T0 + 10)).map((s) => Array.from(s.values)).sort();
    assert.deepEqual(await values(['1']), [[5]]);
    assert.deepEqual(await values(['1']), [[5]]); // from the cache alone: nothing committed elsewhere
    const before = byName(store.cacheStats(), 'main');
    // channel 1's day is cached, channel 2's is not: the cache-only attempt stops at the miss and is redone
    assert.deepEqual(await values(['1', '2']), [[5], [7]]);
    const after = byName(store.cacheStats(), 'main');
    assert.deepEqual([after.hits - before.hits, after.misses - before.misses], [1, 1]);
    // and a commit by another connection is never missed by a read that found everything cached
    await other.setChannelMinutes([{ channelId: '2', pullType: 'cdn', minute: T0 + 5, ccv: 70 }]);
    assert.deepEqual(await values(['1', '2']), [[5], [70]]);
  } finally {
    await store.close();
    await other.close();
  }
});

test('a follower that missed pruned changes drops its whole cache rather than serve a stale cell', async () => {
  const file = path.join(tempDir(), 'store.sqlite');
  const reader = new SqliteStore(file);
  const writer = new SqliteStore(file);
  try {
    await tenancy(reader);
    await writer.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: T0, ccv: 1 }]);
    assert.equal((await reader.readCurves('channel', ['1'], T0, T0 + 1))[0]!.values[0], 1);
    await writer.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: T0, ccv: 2 }]);
    await writer.setChannelMinutes([{ channelId: '2', pullType: 'cdn', minute: T0, ccv: 3 }]);
    // as if the writer had pruned the log past what the reader saw
    const raw = new Database(file);
    raw.prepare('DELETE FROM curve_changes WHERE seq < (SELECT max(seq) FROM curve_changes)').run();
    raw.close();
    assert.equal((await reader.readCurves('channel', ['1'], T0, T0 + 1))[0]!.values[0], 2);
    assert.equal(byName(reader.cacheStats(), 'main').clears, 1);
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a query thread sees the main thread’s writes at once and reports its cache', async () => {
  const store = new SqliteStore(path.join(tempDir(), 'store.sqlite'), { queryThreads: 1, inlineUserDays: 0 });
  try {
    await tenancy(store);
    await store.ping();
    await store.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: T0 + 5, ccv: 5 }]);
    assert.deepEqual(await store.userPeaks(['u1'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 5, value: 5 }]);
    await store.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: T0 + 6, ccv: 6 }]);
    assert.deepEqual(await store.userPeaks(['u1'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 6, value: 6 }]);
    assert.deepEqual(await store.userPeaks(['u1'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 6, value: 6 }]);
    const thread = byName(store.cacheStats(), 'query-1');
    assert.ok(thread.invalidations >= 2, JSON.stringify(thread));
    assert.ok(thread.hits > 0 && thread.cells > 0, JSON.stringify(thread));
    assert.equal(thread.clears, 0);
    // summaries small enough stay on the main thread with the default threshold
    const inline = new SqliteStore(path.join(tempDir(), 'store.sqlite'), { queryThreads: 1 });
    await tenancy(inline);
    await inline.setChannelMinutes([{ channelId: '2', pullType: 'rtc', minute: T0, ccv: 2 }]);
    assert.deepEqual(await inline.userPeaks(['u2'], T0, T0 + DAY_MINUTES), [{ key: 'rtc', minute: T0, value: 2 }]);
    await inline.ping();
    assert.equal(byName(inline.cacheStats(), 'query-1').hits + byName(inline.cacheStats(), 'query-1').misses, 0);
    await inline.close();
  } finally {
    await store.close();
  }
});
