/**
 * SQLite's open minutes (src/store/open-minutes.ts): small writes appended, folded into the day curves later.
 * Every answer must equal a brute-force model at every moment, whatever the interleaving of small writes,
 * folds (at once, or in slices interleaved with everything else), large writes (the direct path), ownership
 * changes and reads, on the writing connection, on a second
 * connection writing too (another process), and on a query thread; unfolded minutes survive a restart.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import BetterSqlite from 'better-sqlite3';
import fc from 'fast-check';
import { DAY_MINUTES } from '../src/domain/calendar.js';
import { peaksOfSum, type CurveSpan } from '../src/domain/peak.js';
import { setMinutes } from '../src/store/curve-patch.js';
import { OpenMinutes, overlayHours, type OpenKind, type OpenRow } from '../src/store/open-minutes.js';
import { decodeOpenRows, encodeOpenRows } from '../src/store/open-rows-codec.js';
import { decodeValues, fromFull, toFull, type DayCurve } from '../src/store/day-curve.js';
import { BLOCK_DAYS, BLOCK_HOURS, blockOf, dayMaxima, narrowBlock, patchBlock } from '../src/store/hour-blocks.js';
import { cellCurve, raisedHours } from '../src/store/sqlite/curve-reader.js';
import { ConflictError, type ChannelMinute, type Store } from '../src/store/port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';
import { sparse } from './store-adapters.js';

const DAY = 19_000;
const T0 = DAY * DAY_MINUTES;
const CHANNELS = ['c0', 'c1', 'c2', 'c3'];
const USERS = ['u0', 'u1'];
/** batches of up to this many rows take the open path in these tests; larger ones the direct path */
const OPEN_MAX = 6;

type Model = { data: Map<string, number>; owner: Map<string, string> };

/** The model's curves of one id over [from, to) as segments (one per pull type). */
function modelSpans(model: Model, kind: 'channel' | 'user', ids: readonly string[], from: number, to: number): CurveSpan[] {
  const sums = new Map<string, Float64Array>();
  for (const [k, v] of model.data) {
    const [c, pt, m] = k.split('|') as [string, string, string];
    const minute = Number(m);
    const id = kind === 'channel' ? c : model.owner.get(c);
    if (v === 0 || id === undefined || !ids.includes(id) || minute < from || minute >= to) continue;
    let sum = sums.get(pt);
    if (!sum) sums.set(pt, (sum = new Float64Array(to - from)));
    sum[minute - from]! += v;
  }
  return [...sums].map(([key, values]) => ({ key, start: from, values: Uint32Array.from(values) }));
}

async function check(store: Store, model: Model, p: string, label: string): Promise<void> {
  const from = T0 - 2 * 60;
  const to = T0 + DAY_MINUTES + 2 * 60;
  for (const c of CHANNELS) {
    assert.deepEqual(
      sparse(await store.readCurves('channel', [p + c], from, to), from, to),
      sparse(modelSpans(model, 'channel', [p + c], from, to), from, to),
      `${label}: channel ${c}`,
    );
  }
  for (const u of USERS) {
    assert.deepEqual(
      sparse(await store.readCurves('user', [p + u], from, to), from, to),
      sparse(modelSpans(model, 'user', [p + u], from, to), from, to),
      `${label}: user ${u}`,
    );
  }
  const users = USERS.map((u) => p + u);
  for (const [a, b] of [
    [from, to],
    [T0 - 61, T0 + 59],
    [T0 + 1, T0 + DAY_MINUTES + 1],
    [T0 + 60, T0 + 120],
  ] as const) {
    assert.deepEqual(
      await store.userPeaks(users, a, b),
      peaksOfSum(modelSpans(model, 'user', users, a, b), a, b),
      `${label}: peaks ${a - T0}..${b - T0}`,
    );
  }
}

/** Raw tables after a fold: no open minute left, blocks the maxima of user curves, users the sums of channels. */
function checkTables(file: string, model: Model, p: string): void {
  const db = new BetterSqlite(file, { readonly: true });
  try {
    assert.equal(db.prepare('SELECT count(*) FROM open_minutes').pluck().get(), 0);
    const curves = db.prepare('SELECT user_id, day, pull_type, off, data FROM user_curves').raw().all() as [
      string,
      number,
      string,
      number,
      Buffer,
    ][];
    const expected = new Map<string, Map<number, Uint32Array>>();
    const stored: Record<string, Record<number, number>> = {};
    for (const [user, day, pt, off, data] of curves) {
      if (!user.startsWith(p)) continue;
      const curve = { off, values: decodeValues(data) };
      const k = `${user}|${pt}|${blockOf(day)}`;
      if (!expected.has(k)) expected.set(k, new Map());
      expected.get(k)!.set(day - blockOf(day) * BLOCK_DAYS, dayMaxima(curve));
      curve.values.forEach((v, i) => {
        if (v !== 0) (stored[`${user}|${pt}`] ??= {})[day * DAY_MINUTES + off + i] = v;
      });
    }
    const blocks = db.prepare('SELECT user_id, block, pull_type, data FROM user_hours').raw().all() as [
      string,
      number,
      string,
      Buffer,
    ][];
    const got = new Map<string, number[]>();
    for (const [user, block, pt, data] of blocks)
      if (user.startsWith(p)) got.set(`${user}|${pt}|${block}`, [...decodeValues(data)]);
    assert.deepEqual(got, new Map([...expected].map(([k, days]) => [k, [...patchBlock(undefined, days)!]])));
    const sums: Record<string, Record<number, number>> = {};
    for (const [k, v] of model.data) {
      const [c, pt, m] = k.split('|') as [string, string, string];
      const u = model.owner.get(c);
      if (v === 0 || u === undefined) continue;
      const minutes = (sums[`${u}|${pt}`] ??= {});
      minutes[Number(m)] = (minutes[Number(m)] ?? 0) + v;
    }
    assert.deepEqual(stored, sums);
  } finally {
    db.close();
  }
}

type Op =
  | { op: 'set'; on: 0 | 1; rows: ChannelMinute[] }
  | { op: 'fold'; on: 0 | 1 }
  | { op: 'slice'; on: 0 | 1 }
  | { op: 'add'; channel: string; user: string }
  | { op: 'remove'; channel: string }
  | { op: 'reopen' }
  | { op: 'check' };

// minutes around an hour boundary and a day boundary, so blocks, hours and days all move
const minute = fc.oneof(
  fc.integer({ min: T0 - 62, max: T0 + 62 }),
  fc.integer({ min: T0 + DAY_MINUTES - 3, max: T0 + DAY_MINUTES + 3 }),
);
const row = fc.record({
  channelId: fc.constantFrom(...CHANNELS),
  pullType: fc.constantFrom('cdn', 'rtc'),
  minute,
  ccv: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 60_000, max: 70_000 })),
});
const on = fc.constantFrom(0 as const, 1 as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('set' as const), on, rows: fc.array(row, { minLength: 1, maxLength: OPEN_MAX }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      on,
      rows: fc.array(row, { minLength: OPEN_MAX + 1, maxLength: 20 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fold' as const), on }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('slice' as const), on }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      channel: fc.constantFrom(...CHANNELS),
      user: fc.constantFrom(...USERS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), channel: fc.constantFrom(...CHANNELS) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
  { weight: 3, arbitrary: fc.constant({ op: 'check' as const }) },
);

test('open minutes: every answer equals the brute-force model through writes, folds, moves and restarts', async () => {
  const file = path.join(tempDir('live-ccv-open-'), 'store.sqlite');
  const options = { openMaxRows: OPEN_MAX, foldRows: 1e9, foldAgeMs: 1e9, foldSliceChannels: 1 };
  // the main store sends every summary to its query thread; the second connection answers inline
  const main = new SqliteStore(file, { ...options, queryThreads: 1, inlineUserDays: 0 });
  await main.ping();
  let other = new SqliteStore(file, options);
  await main.createApp({ appId: 'a1', appSecret: 'secret-secret-0001', name: 'a1' });
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
        const p = `r${run++}_`;
        const model: Model = { data: new Map(), owner: new Map() };
        for (const u of USERS) await main.addUser('a1', p + u);
        const stores = () => [main, other] as const;
        for (const o of ops) {
          if (o.op === 'set') {
            const prefixed = o.rows.map((r) => ({ ...r, channelId: p + r.channelId }));
            for (const r of prefixed) model.data.set(`${r.channelId}|${r.pullType}|${r.minute}`, r.ccv);
            await stores()[o.on].setChannelMinutes(prefixed);
          } else if (o.op === 'fold') {
            await stores()[o.on].foldOpenMinutes();
          } else if (o.op === 'slice') {
            // one step of a fold in slices (a slice of channels, or the end of the cycle), between any others
            await stores()[o.on].foldSlice();
          } else if (o.op === 'add') {
            if (model.owner.has(p + o.channel)) {
              // refused after the open minutes were folded in its transaction: the fold is rolled back too
              await assert.rejects(other.addChannel(p + o.user, p + o.channel), ConflictError);
              continue;
            }
            model.owner.set(p + o.channel, p + o.user);
            await other.addChannel(p + o.user, p + o.channel);
          } else if (o.op === 'remove') {
            model.owner.delete(p + o.channel);
            await main.removeChannel(p + o.channel);
          } else if (o.op === 'reopen') {
            // a restart: the open minutes are read back from the database (close does not fold)
            await other.close();
            other = new SqliteStore(file, options);
          } else {
            await check(main, model, p, 'main');
            await check(other, model, p, 'other');
          }
        }
        await check(main, model, p, 'main, end');
        await check(other, model, p, 'other, end');
        await main.foldOpenMinutes();
        await check(main, model, p, 'main, folded');
        await check(other, model, p, 'other, folded');
        checkTables(file, model, p);
      }),
      { numRuns: 60 },
    );
  } finally {
    await other.close();
    await main.close();
  }
});

/** User u1 with channels c1 and c2, and three small writes left open: c1 7 and c2 3 at :05, c1 9 at :06. */
async function threePushes(store: SqliteStore): Promise<void> {
  await store.createApp({ appId: 'a1', appSecret: 'secret-secret-0001', name: 'a1' });
  await store.addUser('a1', 'u1');
  await store.addChannel('u1', 'c1');
  await store.addChannel('u1', 'c2');
  await store.setChannelMinutes([{ channelId: 'c1', pullType: 'cdn', minute: T0 + 5, ccv: 7 }]);
  await store.setChannelMinutes([{ channelId: 'c2', pullType: 'cdn', minute: T0 + 5, ccv: 3 }]);
  await store.setChannelMinutes([{ channelId: 'c1', pullType: 'cdn', minute: T0 + 6, ccv: 9 }]);
}

test('unfolded minutes survive a crash: a new process answers them, and folds them', async () => {
  const file = path.join(tempDir('live-ccv-open-'), 'store.sqlite');
  const first = new SqliteStore(file);
  await threePushes(first);
  const raw = new BetterSqlite(file, { readonly: true });
  try {
    assert.equal(raw.prepare('SELECT count(*) FROM open_minutes').pluck().get(), 3);
    assert.equal(raw.prepare('SELECT count(*) FROM user_curves').pluck().get(), 0);
  } finally {
    raw.close();
  }
  // the first process is never closed (as after a SIGKILL); a second one opens the same file
  const second = new SqliteStore(file);
  try {
    assert.deepEqual(await second.userPeaks(['u1'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 5, value: 10 }]);
    assert.equal(await second.foldOpenMinutes(), 5); // c1 at :05 and :06, c2 at :05, u1 at :05 and :06
    assert.deepEqual(await second.userPeaks(['u1'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 5, value: 10 }]);
    // the first process follows the fold and still answers the same
    assert.deepEqual(await first.userPeaks(['u1'], T0, T0 + DAY_MINUTES), [{ key: 'cdn', minute: T0 + 5, value: 10 }]);
  } finally {
    await second.close();
    await first.close();
  }
});

test('a follower drops the user days an append changed, even when a fold deleted the rows before it followed', async () => {
  // an append's change-log entry names its users' days but not its channels': a follower must still drop the
  // cached user day whether it follows while the rows are open or only after a fold deleted them
  const file = path.join(tempDir('live-ccv-open-'), 'store.sqlite');
  const writer = new SqliteStore(file);
  const follower = new SqliteStore(file);
  try {
    await writer.createApp({ appId: 'a1', appSecret: 'secret-secret-0001', name: 'a1' });
    await writer.addUser('a1', 'u1');
    await writer.addChannel('u1', 'c1');
    const peaks = () => follower.userPeaks(['u1'], T0, T0 + DAY_MINUTES);
    const day = async () => sparse(await follower.readCurves('user', ['u1'], T0, T0 + DAY_MINUTES), T0, T0 + DAY_MINUTES);
    assert.deepEqual(await peaks(), []); // the follower caches u1's (empty) day and block
    assert.deepEqual(await day(), {});
    for (const [ccv, fold] of [
      [7, false], // followed while the rows are open
      [9, true], // folded (rows deleted) before the follower follows
    ] as const) {
      await writer.setChannelMinutes([{ channelId: 'c1', pullType: 'cdn', minute: T0 + 5, ccv }]);
      if (fold) await writer.foldOpenMinutes();
      assert.deepEqual(await day(), { cdn: { [T0 + 5]: ccv } });
      assert.deepEqual(await peaks(), [{ key: 'cdn', minute: T0 + 5, value: ccv }]);
    }
  } finally {
    await follower.close();
    await writer.close();
  }
});

test("another connection's commit is seen by the main connection's reads starting curveFreshnessMs after it; its own at once", async () => {
  const file = path.join(tempDir('live-ccv-open-'), 'store.sqlite');
  const other = new SqliteStore(file);
  // one that trusts its last look for longer than this test runs, one for 5 ms
  const trusting = new SqliteStore(file, { curveFreshnessMs: 600_000 });
  const brief = new SqliteStore(file, { curveFreshnessMs: 5 });
  try {
    await other.createApp({ appId: 'a1', appSecret: 'secret-secret-0001', name: 'a1' });
    await other.addUser('a1', 'u1');
    await other.addChannel('u1', 'c1');
    const peaks = (s: SqliteStore) => s.userPeaks(['u1'], T0, T0 + DAY_MINUTES);
    const at = (value: number) => [{ key: 'cdn', minute: T0 + 5, value }];
    assert.deepEqual(await peaks(trusting), []); // both look now, and cache the empty day
    assert.deepEqual(await peaks(brief), []);
    await other.setChannelMinutes([{ channelId: 'c1', pullType: 'cdn', minute: T0 + 5, ccv: 7 }]);
    // within the bound: the snapshot of the last look, whole (no half-seen write)
    assert.deepEqual(await peaks(trusting), []);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(await peaks(brief), at(7));
    // a write through the store itself is seen by its next read, bound or not
    await trusting.setChannelMinutes([{ channelId: 'c1', pullType: 'cdn', minute: T0 + 5, ccv: 9 }]);
    assert.deepEqual(await peaks(trusting), at(9));
  } finally {
    await brief.close();
    await trusting.close();
    await other.close();
  }
});

test('a lowered minute keeps the hour bound an upper bound: the summary finds the lower peak exactly', async () => {
  const file = path.join(tempDir('live-ccv-open-'), 'store.sqlite');
  const store = new SqliteStore(file);
  try {
    await store.createApp({ appId: 'a1', appSecret: 'secret-secret-0001', name: 'a1' });
    await store.addUser('a1', 'u1');
    await store.addChannel('u1', 'c1');
    const set = (minute: number, ccv: number) => store.setChannelMinutes([{ channelId: 'c1', pullType: 'cdn', minute, ccv }]);
    await set(T0 + 10, 500);
    await set(T0 + 70, 200);
    await store.foldOpenMinutes();
    assert.deepEqual(await store.userPeaks(['u1'], T0, T0 + 120), [{ key: 'cdn', minute: T0 + 10, value: 500 }]);
    await set(T0 + 10, 100); // open: the hour's stored bound (500) now exceeds every minute of it
    await set(T0 + 75, 300);
    assert.deepEqual(await store.userPeaks(['u1'], T0, T0 + 120), [{ key: 'cdn', minute: T0 + 75, value: 300 }]);
    await store.foldOpenMinutes();
    assert.deepEqual(await store.userPeaks(['u1'], T0, T0 + 120), [{ key: 'cdn', minute: T0 + 75, value: 300 }]);
  } finally {
    await store.close();
  }
});

test('the end of a fold in slices leaves the index a fresh read of the rows after it would build', () => {
  const row = fc.record({
    kind: fc.constantFrom<OpenKind>('c', 'u'),
    id: fc.constantFrom('a', 'b', 'c'),
    pullType: fc.constantFrom('cdn', 'rtc'),
    // two days, minutes bunched so that rows overwrite each other
    minute: fc.integer({ min: T0 - 3, max: T0 + 3 }),
    value: fc.integer({ min: 0, max: 9 }),
  });
  fc.assert(
    fc.property(fc.array(fc.array(row, { maxLength: 5 }), { maxLength: 12 }), fc.nat(12), (writes, cut) => {
      const through = Math.min(cut, writes.length);
      const index = (from: number) => {
        const open = new OpenMinutes();
        writes.forEach((rows, i) => {
          if (i + 1 > from) for (const r of rows) open.add(i + 1, r.kind, r.id, r.pullType, r.minute, r.value);
        });
        return open;
      };
      const forgot = index(0);
      forgot.forgetThrough(through);
      const fresh = index(through);
      assert.equal(forgot.size, fresh.size);
      for (const kind of ['c', 'u'] as const) {
        assert.deepEqual(forgot.ids(kind).sort(), fresh.ids(kind).sort());
        for (const id of fresh.ids(kind)) {
          const rows = (o: OpenMinutes) =>
            [...o.rows(kind, id)].sort((x, y) => x.minute - y.minute || (x.pullType < y.pullType ? -1 : 1));
          assert.deepEqual(rows(forgot), rows(fresh));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('open rows are read back as written: the binary form, at any byte offset, and the JSON of earlier versions', () => {
  const row = fc.record({
    kind: fc.constantFrom<OpenKind>('c', 'u'),
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.stringMatching(/^\d{1,20}$/)),
    pullType: fc.constantFrom('cdn', 'rtc', 'p2p'),
    minute: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    value: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  });
  const read = (data: Uint8Array | string) => {
    const out: OpenRow[] = [];
    decodeOpenRows(data, (kind, id, pullType, minute, value) => out.push({ kind, id, pullType, minute, value }));
    return out;
  };
  fc.assert(
    fc.property(fc.array(row, { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), (generated, shift) => {
      const rows = generated.map((r) => ({ ...r }));
      const stored = encodeOpenRows(rows);
      assert.deepEqual(read(stored), rows);
      // a blob handed back at an offset no typed view can start at
      const moved = new Uint8Array(stored.length + shift);
      moved.set(stored, shift);
      assert.deepEqual(read(moved.subarray(shift)), rows);
      assert.deepEqual(read(JSON.stringify(rows.map((r) => [r.kind, r.id, r.pullType, r.minute, r.value]))), rows);
    }),
    { numRuns: 300 },
  );
  assert.throws(
    () => read(encodeOpenRows([{ kind: 'c', id: '1', pullType: 'cdn', minute: 1, value: 1 }]).subarray(0, 20)),
    /cut short/,
  );
});

test('setMinutes equals setting the minutes in the full day (the span grown, trimmed and narrowed alike)', () => {
  const value = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 255 }),
    fc.integer({ min: 256, max: 70_000 }),
    fc.constant(2 ** 32 - 1),
  );
  const curve = fc
    .array(fc.record({ m: fc.integer({ min: 0, max: DAY_MINUTES - 1 }), v: value }), { maxLength: 12 })
    .map((points) => {
      const full = new Float64Array(DAY_MINUTES);
      for (const { m, v } of points) full[m] = v;
      return fromFull(full);
    });
  fc.assert(
    fc.property(
      curve,
      fc.array(fc.record({ m: fc.integer({ min: 0, max: DAY_MINUTES - 1 }), v: value }), { maxLength: 6 }),
      (c, sets) => {
        const full = toFull(c, new Float64Array(DAY_MINUTES));
        for (const { m, v } of sets) full[m] = v;
        const want = fromFull(full);
        const got: DayCurve | undefined = setMinutes(
          c,
          sets.map((s) => s.m),
          sets.map((s) => s.v),
        );
        assert.deepEqual(got && { off: got.off, values: got.values }, want && { off: want.off, values: want.values });
      },
    ),
    { numRuns: 2000 },
  );
});

test('a curve extended in place leaves every earlier curve as it was, whichever of them is extended next', () => {
  // pushes extend a user's day a minute at a time in the buffer's spare room; a reader may hold any earlier curve,
  // and a write may extend an earlier one again (a rolled-back cache, two writers): none of them may change
  const step = fc.record({
    from: fc.nat(), // which earlier curve is extended (modulo the history)
    // minutes mostly after the curve's end (the push), sometimes inside it (a re-push: the copy path)
    sets: fc.array(fc.record({ ahead: fc.integer({ min: -3, max: 40 }), v: fc.integer({ min: 1, max: 70_000 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1300 }), fc.array(step, { maxLength: 30 }), (start, steps) => {
      const first = setMinutes(undefined, [start], [5])!;
      const history: { curve: DayCurve; snapshot: number[] }[] = [{ curve: first, snapshot: [...first.values] }];
      for (const { from, sets } of steps) {
        const base = history[from % history.length]!.curve;
        const end = base.off + base.values.length;
        const minutes = sets.map((s) => Math.min(DAY_MINUTES - 1, Math.max(0, end + s.ahead)));
        const values = sets.map((s) => s.v);
        const got = setMinutes(base, minutes, values);
        const full = toFull(base, new Float64Array(DAY_MINUTES));
        for (let k = 0; k < minutes.length; k++) full[minutes[k]!] = values[k]!;
        const want = fromFull(full)!;
        assert.deepEqual({ off: got!.off, values: [...got!.values] }, { off: want.off, values: [...want.values] });
        history.push({ curve: got!, snapshot: [...got!.values] });
        for (const h of history) assert.deepEqual([...h.curve.values], h.snapshot);
      }
    }),
    { numRuns: 500 },
  );
});

test('a fold step commits without its own fsync and leaves the connection synced; a crash midway folds again to the same answers', async () => {
  const file = path.join(tempDir('live-ccv-open-'), 'store.sqlite');
  const first = new SqliteStore(file, { foldRows: 1e9, foldAgeMs: 1e9, foldSliceChannels: 1 });
  const synchronous = () => (first as unknown as { db: BetterSqlite.Database }).db.pragma('synchronous', { simple: true });
  await threePushes(first);
  assert.equal(synchronous(), 2); // FULL: an acknowledged write is synced
  // one channel folded, the other not yet, the open rows not deleted (a step at a time)
  assert.equal(await first.foldSlice(), true);
  assert.equal(synchronous(), 2);
  const peaks = [{ key: 'cdn', minute: T0 + 5, value: 10 }];
  // the first process is never closed (as after a SIGKILL); a second one opens the same file mid-fold
  const second = new SqliteStore(file);
  try {
    assert.deepEqual(await second.userPeaks(['u1'], T0, T0 + DAY_MINUTES), peaks);
    assert.equal(await second.foldOpenMinutes(), 5); // every open minute, the folded channel's again
    assert.deepEqual(await second.userPeaks(['u1'], T0, T0 + DAY_MINUTES), peaks);
    const minutes = async (s: SqliteStore) =>
      (await s.readCurves('channel', ['c1', 'c2'], T0 + 5, T0 + 7)).map((c) => ({ ...c, values: Array.from(c.values) }));
    const want = [
      { key: 'cdn', start: T0 + 5, values: [7, 9] },
      { key: 'cdn', start: T0 + 5, values: [3] },
    ];
    assert.deepEqual(await minutes(second), want);
    assert.deepEqual(await minutes(first), want);
    assert.deepEqual(await first.userPeaks(['u1'], T0, T0 + DAY_MINUTES), peaks);
  } finally {
    await second.close();
    await first.close();
  }
});

test('a cached block raised by a push equals the block made again from its raised hours (values, width, day maxima, sparse pairs)', () => {
  // a block's hours: mostly zero (sparse) or mostly live (dense), values across the three widths
  const hour = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 70_000 }));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(fc.tuple(fc.integer({ min: 0, max: BLOCK_HOURS - 1 }), hour), { maxLength: 300 }),
        fc
          .array(hour, { minLength: BLOCK_HOURS, maxLength: BLOCK_HOURS, size: 'max' })
          .map((v) => v.map((x, h) => [h, x] as const)),
      ),
      fc.array(fc.tuple(fc.integer({ min: 0, max: BLOCK_HOURS - 1 }), fc.integer({ min: 1, max: 100_000 })), {
        minLength: 1,
        maxLength: 12,
      }),
      (set, raised) => {
        const full = new Uint32Array(BLOCK_HOURS);
        for (const [h, v] of set) full[h] = v;
        full[0] = Math.max(full[0]!, 1); // a cached block has a viewer somewhere
        const values = narrowBlock(full)!;
        const cached = cellCurve('hours', 600, 'cdn', 0, values);
        // what the writer raises: hours whose new maximum passes the current one
        const raise = new Map<number, number>();
        for (const [h, v] of raised) if (v > values[h]! && v > (raise.get(h) ?? 0)) raise.set(h, v);
        if (raise.size === 0) return;
        const before = structuredClone(cached);
        const got = raisedHours(cached, raise);
        const want = cellCurve('hours', 600, 'cdn', 0, overlayHours(values, raise)!);
        assert.equal(got.values.constructor, want.values.constructor);
        assert.deepEqual([...got.values], [...want.values]);
        assert.deepEqual(got.hours, want.hours);
        assert.deepEqual(cached, before, 'the cached block is left as it was');
      },
    ),
    { numRuns: 400 },
  );
});
