/**
 * The query threads' start-up and recovery (src/store/sqlite/query-pool.ts, query-worker.ts, warm-up.ts): the
 * warm-up a thread runs before it reports ready answers exactly (on its own synthetic store, against summing
 * every minute) and leaves the real store's answers unchanged, and a thread that dies is started again and
 * answers the same as before.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { DAY_MINUTES } from '../src/domain/calendar.js';
import { peaksOfSum, type CurveSpan } from '../src/domain/peak.js';
import { decodeValues } from '../src/store/day-curve.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { syntheticStore, warmUp } from '../src/store/sqlite/warm-up.js';
import { tempDir } from './helpers.js';

const T0 = 28_000_000 - (28_000_000 % DAY_MINUTES); // a UTC midnight, epoch minutes

test('the warm-up answers its synthetic summaries exactly, cold and from the cache', () => {
  const { db, queries } = syntheticStore();
  const spans: CurveSpan[] = [];
  const owner: string[] = [];
  for (const [user, day, key, off, data] of db
    .prepare('SELECT user_id, day, pull_type, off, data FROM user_curves')
    .raw()
    .all() as [string, number, string, number, Buffer][]) {
    spans.push({ key, start: day * DAY_MINUTES + off, values: decodeValues(data) });
    owner.push(user);
  }
  db.close();
  const answers = warmUp(2);
  assert.equal(answers.length, queries.length);
  queries.forEach((q, i) => {
    const ids = new Set(q.ids);
    const expected = peaksOfSum(
      spans.filter((_, k) => ids.has(owner[k]!)),
      q.from,
      q.to,
    );
    assert.ok(expected.length === 2, 'the synthetic store has viewers in both pull types');
    assert.deepEqual(answers[i]!.peaks, expected, `query ${i}`);
    assert.ok(answers[i]!.search.visited > 0);
  });
});

/** A store whose users have minutes over three days, answered on one query thread (never inline). */
async function storeWithCurves(): Promise<{ store: SqliteStore; file: string; users: string[] }> {
  const file = path.join(tempDir(), 'store.sqlite');
  const store = new SqliteStore(file, { queryThreads: 1, inlineUserDays: 0 });
  await store.createApp({ appId: 'app', appSecret: 'secret-0123456789abcdef', name: 'app' });
  const users = ['u1', 'u2', 'u3'];
  const minutes = [];
  for (const [u, user] of users.entries()) {
    await store.addUser('app', user);
    await store.addChannel(user, `c${u}`);
    for (let m = 0; m < 3 * DAY_MINUTES; m += 7) {
      minutes.push({ channelId: `c${u}`, pullType: m % 2 ? 'cdn' : 'rtc', minute: T0 + m, ccv: 1 + ((m * (u + 3)) % 50) });
    }
  }
  await store.setChannelMinutes(minutes);
  return { store, file, users };
}

test('warming up in process changes no answer of a store, and a dead query thread comes back answering the same', async () => {
  const { store, file, users } = await storeWithCurves();
  try {
    await store.ping();
    const from = T0 + 90;
    const to = T0 + 3 * DAY_MINUTES - 30;
    const first = await store.userPeaks(users, from, to);
    assert.equal(first.length, 2);
    warmUp(1);
    assert.deepEqual(await store.userPeaks(users, from, to), first);
    // a user named twice counts once, on a fresh thread cache and in process, and leaves the caches right
    const twice = [users[1]!, ...users, users[1]!];
    assert.deepEqual(await inline(file, twice, from, to), first);
    // the thread dies (as on a crash): its replacement starts, warms up and answers the same
    const pool = (store as unknown as { pool: { slots: { worker: Worker }[] } }).pool;
    const dead = pool.slots[0]!.worker;
    const exited = new Promise((resolve) => dead.once('exit', resolve));
    await dead.terminate();
    await exited;
    assert.notEqual(pool.slots[0]!.worker, dead, 'a new thread took the slot');
    await store.ping();
    assert.deepEqual(await store.userPeaks(twice, from, to), first);
    assert.deepEqual(await store.userPeaks(users, from, to), first);
    assert.deepEqual(await store.userPeaks(users, from + DAY_MINUTES, to), await inline(file, users, from + DAY_MINUTES, to));
  } finally {
    await store.close();
  }
});

/** The same summary computed on the main thread (the store's own reader, no query thread). */
async function inline(file: string, users: string[], from: number, to: number) {
  const main = new SqliteStore(file, { queryThreads: 0 });
  try {
    return await main.userPeaks(users, from, to);
  } finally {
    await main.close();
  }
}
