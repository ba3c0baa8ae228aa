/**
 * The one storage contract: every behaviour the services rely on, run against every adapter. SQLite runs on
 * a temp file; PostgreSQL on LIVE_CCV_TEST_DATABASE_URL, each test in its own schema, dropped afterwards.
 * An unreachable PostgreSQL fails this suite: a skipped adapter would pass CI while proving nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { DAY_MINUTES } from '../src/domain/calendar.js';
import { peaksOfSum } from '../src/domain/peak.js';
import { decodeValues } from '../src/store/day-curve.js';
import { BLOCK_DAYS, blockOf, dayMaxima, patchBlock } from '../src/store/hour-blocks.js';
import { ConflictError, type ChannelMinute, type CurveKind, type Store } from '../src/store/port.js';
import { adapters, postgres, sparse, sqlite, type Adapter, type Database } from './store-adapters.js';

/** Records a schema version from the future, as a newer live-ccv would have left it. */
async function markNewer(store: Store): Promise<void> {
  const s = store as unknown as {
    db?: { prepare(sql: string): { run(...a: unknown[]): void } };
    pool?: { query(sql: string, v: unknown[]): Promise<unknown> };
  };
  const sql = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)";
  if (s.db) s.db.prepare(sql).run();
  else await s.pool!.query(sql, []);
}

const DAY = 19_000; // a UTC day number (2022-01-08); minutes below are offsets around its start
const T0 = DAY * DAY_MINUTES;

async function read(
  store: Store,
  kind: CurveKind,
  ids: string[],
  from = T0 - DAY_MINUTES,
  to = T0 + 2 * DAY_MINUTES,
  pullType?: string,
) {
  return sparse(await store.readCurves(kind, ids, from, to, pullType), from, to);
}

const rows = (channelId: string, pullType: string, points: [number, number][]): ChannelMinute[] =>
  points.map(([minute, ccv]) => ({ channelId, pullType, minute, ccv }));

/** Creates app `a1` with users and channels: { u1: ['c1'] }. */
async function tenants(store: Store, users: Record<string, string[]>, appId = 'a1'): Promise<void> {
  if (!(await store.getApp(appId))) await store.createApp({ appId, appSecret: 'secret-secret-0001', name: appId });
  for (const [user, channels] of Object.entries(users)) {
    await store.addUser(appId, user);
    for (const c of channels) await store.addChannel(user, c);
  }
}

function contract(adapter: Adapter): void {
  describe(adapter.name, () => {
    if (adapter.teardown) after(() => adapter.teardown!());

    const it = (name: string, body: (store: Store, db: Database) => Promise<void>) =>
      test(name, async () => {
        const db = await adapter.open();
        try {
          await body(db.store, db);
        } finally {
          await db.drop();
        }
      });

    it('pings', async (store) => {
      await store.ping();
    });

    it('creates, lists and updates applications and rotates secrets', async (store) => {
      const a = await store.createApp({ appId: 'app1', appSecret: 'secret-one-000001', name: 'one' });
      assert.deepEqual(
        { ...a, createdAt: 0 },
        {
          appId: 'app1',
          appSecret: 'secret-one-000001',
          name: 'one',
          enabled: true,
          rateLimit: null,
          ingestTokenHash: null,
          createdAt: 0,
        },
      );
      assert.ok(Math.abs(a.createdAt - Date.now()) < 60_000);
      await store.createApp({
        appId: 'app2',
        appSecret: 'secret-two-000002',
        name: 'two',
        enabled: false,
        rateLimit: 7,
        ingestTokenHash: 'tok',
      });
      await assert.rejects(store.createApp({ appId: 'app1', appSecret: 'x'.repeat(16), name: 'dup' }), ConflictError);

      assert.deepEqual((await store.listApps()).map((x) => x.appId).sort(), ['app1', 'app2']);
      const two = await store.getApp('app2');
      assert.equal(two?.enabled, false);
      assert.equal(two?.rateLimit, 7);
      assert.equal(two?.ingestTokenHash, 'tok');
      assert.equal(await store.getApp('nope'), undefined);

      const updated = await store.updateApp('app1', { enabled: false, name: 'renamed', rateLimit: 50, ingestTokenHash: 'it' });
      assert.equal(updated?.enabled, false);
      assert.equal(updated?.name, 'renamed');
      assert.equal(updated?.rateLimit, 50);
      assert.equal(updated?.ingestTokenHash, 'it');
      assert.equal(updated?.appSecret, 'secret-one-000001');
      const rotated = await store.updateApp('app1', { appSecret: 'secret-rotated-0003' });
      assert.equal(rotated?.appSecret, 'secret-rotated-0003');
      assert.equal((await store.getApp('app1'))?.appSecret, 'secret-rotated-0003');
      assert.equal((await store.updateApp('app1', { rateLimit: null, ingestTokenHash: null }))?.rateLimit, null);
      assert.equal((await store.getApp('app1'))?.ingestTokenHash, null);
      assert.equal((await store.updateApp('app1', {}))?.name, 'renamed');
      assert.equal(await store.updateApp('nope', { name: 'x' }), undefined);
    });

    it('swaps stored credentials only while they are what the caller read (compare and set)', async (store) => {
      await store.createApp({ appId: 'app1', appSecret: 'secret-one-000001', name: 'one' });
      const read = { appSecret: 'secret-one-000001', ingestTokenHash: null };
      assert.equal(await store.swapCredentials('app1', read, { appSecret: 'sealed-1', ingestTokenHash: 'h1' }), true);
      assert.deepEqual(
        { appSecret: (await store.getApp('app1'))?.appSecret, hash: (await store.getApp('app1'))?.ingestTokenHash },
        { appSecret: 'sealed-1', hash: 'h1' },
      );
      // a rotation in between: the stale rewrite must not undo it
      await store.updateApp('app1', { appSecret: 'rotated-meanwhile-01' });
      assert.equal(await store.swapCredentials('app1', { appSecret: 'sealed-1', ingestTokenHash: 'h1' }, read), false);
      assert.equal((await store.getApp('app1'))?.appSecret, 'rotated-meanwhile-01');
      assert.equal(
        await store.swapCredentials('app1', { appSecret: 'rotated-meanwhile-01', ingestTokenHash: null }, read),
        false,
        'the token hash is compared too',
      );
      assert.equal(await store.swapCredentials('nope', read, read), false);
    });

    it('records the schema version it migrated to, and refuses to open a store written by a newer version', async (store, db) => {
      // a second open of the same database applies nothing again
      const again = await db.peer();
      await again.getMeta('x');
      await markNewer(store);
      await assert.rejects(db.peer(), /schema is at version 999, newer than this live-ccv knows/);
    });

    it('keeps users per application, refuses duplicates and answers ownership', async (store) => {
      await tenants(store, { u2: [], u1: [] });
      await tenants(store, { other: [] }, 'a2');
      await assert.rejects(store.addUser('a1', 'u1'), ConflictError);
      await assert.rejects(store.addUser('a2', 'u1'), ConflictError);
      const u1 = await store.getUser('u1');
      assert.equal(u1?.appId, 'a1');
      assert.equal(u1?.userId, 'u1');
      assert.equal(typeof u1?.createdAt, 'number');
      assert.deepEqual(
        (await store.listUsers('a1')).map((u) => u.userId),
        ['u1', 'u2'],
      );
      assert.deepEqual(await store.ownedUsers('a1', ['u1', 'other', 'ghost', 'u2']), new Set(['u1', 'u2']));
      assert.deepEqual(await store.ownedUsers('a1', []), new Set());
      await tenants(store, { o1: ['c9'] }, 'a2');
      await store.addChannel('u1', 'c1');
      await store.addChannel('u2', 'c2');
      assert.deepEqual(await store.ownedChannels('a1', ['c1', 'c9', 'ghost', 'c2']), new Set(['c1', 'c2']));
      assert.deepEqual(await store.ownedChannels('a2', ['c1', 'c9']), new Set(['c9']));
      assert.deepEqual(await store.ownedChannels('a1', []), new Set());
      assert.equal(await store.getUser('ghost'), undefined);

      assert.equal(await store.removeUser('u2'), true);
      assert.equal(await store.removeUser('u2'), false);
      assert.deepEqual(
        (await store.listUsers('a1')).map((u) => u.userId),
        ['u1'],
      );
    });

    it('keeps channels per user, refuses duplicates and lists them', async (store) => {
      await tenants(store, { u1: ['200', '100'], u2: ['300'] });
      await assert.rejects(store.addChannel('u1', '100'), ConflictError);
      await assert.rejects(store.addChannel('u2', '100'), ConflictError);
      const c = await store.getChannel('100');
      assert.deepEqual({ ...c, createdAt: 0 }, { channelId: '100', userId: 'u1', appId: 'a1', createdAt: 0 });
      assert.deepEqual(
        (await store.listChannels('u1')).map((x) => x.channelId),
        ['100', '200'],
      );
      assert.deepEqual(
        (await store.listAllChannels()).map((x) => `${x.userId}/${x.channelId}`),
        ['u1/100', 'u1/200', 'u2/300'],
      );
      assert.equal(await store.removeChannel('200'), true);
      assert.equal(await store.removeChannel('200'), false);
      assert.equal(await store.getChannel('200'), undefined);

      assert.equal(await store.removeUser('u2'), true);
      assert.equal(await store.getChannel('300'), undefined, 'removing a user releases its channels');
      await store.addChannel('u1', '300');
      assert.equal((await store.getChannel('300'))?.userId, 'u1');
    });

    it('answers which channels exist in one call', async (store) => {
      await tenants(store, { u1: ['100', '101'], u2: ['300'] });
      assert.deepEqual(await store.existingChannels(['300', '999', '100', '100']), new Set(['100', '300']));
      assert.deepEqual(await store.existingChannels([]), new Set());
      await store.removeChannel('100');
      assert.deepEqual(await store.existingChannels(['100', '101']), new Set(['101']));
    });

    it('answers the summary peaks from its hour blocks, equal to summing every minute', async (store) => {
      await tenants(store, { u1: ['100', '101'], u2: ['200'], u3: [] });
      await store.setChannelMinutes([
        ...rows('100', 'cdn', [
          [T0 + 60, 5],
          [T0 + 150, 4],
        ]),
        ...rows('101', 'cdn', [[T0 + 150, 2]]),
        ...rows('200', 'cdn', [[T0 + 61, 5]]),
        ...rows('200', 'rtc', [[T0 + DAY_MINUTES + 5, 1]]),
      ]);
      assert.deepEqual(await store.userPeaks(['u1', 'u2', 'u3'], T0, T0 + 2 * DAY_MINUTES), [
        { key: 'cdn', minute: T0 + 150, value: 6 },
        { key: 'rtc', minute: T0 + DAY_MINUTES + 5, value: 1 },
      ]);
      assert.deepEqual(await store.userPeaks(['u1', 'u2'], T0 + 60, T0 + 150), [{ key: 'cdn', minute: T0 + 60, value: 5 }]);
      assert.deepEqual(await store.userPeaks(['u3'], T0, T0 + DAY_MINUTES), []);
      assert.deepEqual(await store.userPeaks([], T0, T0 + DAY_MINUTES), []);
      assert.ok(Array.isArray(store.cacheStats()));
    });

    it('sets minutes (set, not add), idempotently, the last row of a batch winning', async (store) => {
      await tenants(store, { u1: ['100'] });
      const batch = rows('100', 'cdn', [
        [T0 + 10, 5],
        [T0 + 11, 6],
      ]);
      await store.setChannelMinutes(batch);
      await store.setChannelMinutes(batch);
      assert.deepEqual(await read(store, 'channel', ['100']), { cdn: { [T0 + 10]: 5, [T0 + 11]: 6 } });
      assert.deepEqual(await read(store, 'user', ['u1']), { cdn: { [T0 + 10]: 5, [T0 + 11]: 6 } });

      await store.setChannelMinutes(
        rows('100', 'cdn', [
          [T0 + 10, 3],
          [T0 + 12, 1],
          [T0 + 12, 9],
        ]),
      );
      assert.deepEqual(await read(store, 'channel', ['100']), { cdn: { [T0 + 10]: 3, [T0 + 11]: 6, [T0 + 12]: 9 } });
      assert.deepEqual(await read(store, 'user', ['u1']), { cdn: { [T0 + 10]: 3, [T0 + 11]: 6, [T0 + 12]: 9 } });
      await store.setChannelMinutes([]);
    });

    it("keeps a user's curve equal to the sum of its channels through adds, removals and moves", async (store) => {
      await tenants(store, { u1: ['100', '101'], u2: [] });
      await store.setChannelMinutes([
        ...rows('100', 'cdn', [
          [T0, 2],
          [T0 + 1, 3],
        ]),
        ...rows('101', 'cdn', [
          [T0 + 1, 10],
          [T0 + 2, 1],
        ]),
        ...rows('101', 'rtc', [[T0 + 5, 4]]),
        ...rows('900', 'cdn', [[T0 + 1, 100]]), // nobody's channel yet
      ]);
      assert.deepEqual(await read(store, 'user', ['u1']), { cdn: { [T0]: 2, [T0 + 1]: 13, [T0 + 2]: 1 }, rtc: { [T0 + 5]: 4 } });

      await store.addChannel('u1', '900');
      assert.deepEqual((await read(store, 'user', ['u1'])).cdn, { [T0]: 2, [T0 + 1]: 113, [T0 + 2]: 1 });

      assert.equal(await store.removeChannel('101'), true);
      assert.deepEqual(await read(store, 'user', ['u1']), { cdn: { [T0]: 2, [T0 + 1]: 103 } });
      assert.deepEqual(await read(store, 'channel', ['101']), { cdn: { [T0 + 1]: 10, [T0 + 2]: 1 }, rtc: { [T0 + 5]: 4 } });

      // a move is a removal from one owner and an add to another
      await store.removeChannel('900');
      await store.addChannel('u2', '900');
      assert.deepEqual(await read(store, 'user', ['u1']), { cdn: { [T0]: 2, [T0 + 1]: 3 } });
      assert.deepEqual(await read(store, 'user', ['u2']), { cdn: { [T0 + 1]: 100 } });
      assert.deepEqual(await read(store, 'user', ['u1', 'u2']), { cdn: { [T0]: 2, [T0 + 1]: 103 } });

      await store.setChannelMinutes(rows('900', 'cdn', [[T0 + 1, 50]]));
      assert.deepEqual(await read(store, 'user', ['u2']), { cdn: { [T0 + 1]: 50 } });
      await store.setChannelMinutes(rows('101', 'cdn', [[T0 + 1, 70]]));
      assert.deepEqual(await read(store, 'user', ['u1']), { cdn: { [T0]: 2, [T0 + 1]: 3 } }, 'an unowned channel adds to nobody');

      assert.equal(await store.removeUser('u2'), true);
      assert.deepEqual(await read(store, 'user', ['u2']), {});
      assert.deepEqual(await read(store, 'channel', ['900']), { cdn: { [T0 + 1]: 50 } }, "a removed user's channel data stays");
    });

    it('reads ranges crossing UTC day boundaries and filters by pull type', async (store) => {
      await tenants(store, { u1: ['100'] });
      await store.setChannelMinutes([
        ...rows('100', 'cdn', [
          [T0 - 1, 1],
          [T0, 2],
          [T0 + DAY_MINUTES - 1, 3],
          [T0 + DAY_MINUTES, 4],
          [T0 + 3 * DAY_MINUTES, 5],
        ]),
        ...rows('100', 'p2p', [[T0, 7]]),
      ]);
      for (const kind of ['channel', 'user'] as const) {
        const id = kind === 'channel' ? '100' : 'u1';
        assert.deepEqual(await read(store, kind, [id], T0 - 5, T0 + 5), { cdn: { [T0 - 1]: 1, [T0]: 2 }, p2p: { [T0]: 7 } });
        assert.deepEqual(await read(store, kind, [id], T0 - 5, T0 + 5, 'cdn'), { cdn: { [T0 - 1]: 1, [T0]: 2 } });
        assert.deepEqual(await read(store, kind, [id], T0 - 5, T0 + 5, 'rtc'), {});
        assert.deepEqual(await read(store, kind, [id], T0 + DAY_MINUTES - 1, T0 + DAY_MINUTES + 1), {
          cdn: { [T0 + DAY_MINUTES - 1]: 3, [T0 + DAY_MINUTES]: 4 },
        });
        assert.deepEqual(await read(store, kind, [id], T0, T0 + DAY_MINUTES), {
          cdn: { [T0]: 2, [T0 + DAY_MINUTES - 1]: 3 },
          p2p: { [T0]: 7 },
        });
        // every segment returned overlaps the asked range: days outside it are not read
        const segments = await store.readCurves(kind, [id], T0, T0 + DAY_MINUTES);
        for (const s of segments) assert.ok(s.start < T0 + DAY_MINUTES && s.start + s.values.length > T0, JSON.stringify(s));
        assert.deepEqual(await read(store, kind, [id, 'ghost'], T0 + 2 * DAY_MINUTES, T0 + 4 * DAY_MINUTES), {
          cdn: { [T0 + 3 * DAY_MINUTES]: 5 },
        });
      }
      assert.deepEqual(await store.readCurves('user', [], T0, T0 + 10), []);
    });

    it('removes rows whose minutes all return to zero', async (store) => {
      await tenants(store, { u1: ['100'] });
      await store.setChannelMinutes(
        rows('100', 'cdn', [
          [T0 + 3, 4],
          [T0 + 9, 2],
        ]),
      );
      await store.setChannelMinutes(rows('100', 'cdn', [[T0 + 3, 0]]));
      const seg = await store.readCurves('channel', ['100'], T0, T0 + DAY_MINUTES);
      assert.equal(seg.length, 1);
      assert.equal(seg[0]!.start, T0 + 9, 'the stored span shrinks to the non-zero minutes');
      await store.setChannelMinutes(rows('100', 'cdn', [[T0 + 9, 0]]));
      assert.deepEqual(await store.readCurves('channel', ['100'], T0, T0 + DAY_MINUTES), []);
      assert.deepEqual(await store.readCurves('user', ['u1'], T0, T0 + DAY_MINUTES), []);
      await store.setChannelMinutes(rows('555', 'cdn', [[T0, 0]]));
      assert.deepEqual(await store.readCurves('channel', ['555'], T0, T0 + DAY_MINUTES), []);
    });

    it('keeps meta values', async (store) => {
      assert.equal(await store.getMeta('watermark'), undefined);
      await store.setMeta('watermark', '42');
      await store.setMeta('watermark', '43');
      await store.setMeta('other', '');
      assert.equal(await store.getMeta('watermark'), '43');
      assert.equal(await store.getMeta('other'), '');
    });

    it('stays exact with concurrent writers in several processes sharing users', async (store, db) => {
      const channels = ['100', '101', '102', '103'];
      await tenants(store, { u1: channels.slice(0, 2), u2: channels.slice(2) });
      const peers = [store, await db.peer(), await db.peer()];
      const writes: Promise<void>[] = [];
      for (let round = 0; round < 6; round++) {
        peers.forEach((p, i) => {
          // overlapping batches: every peer writes every channel, in a different order, across a day boundary
          const batch = channels.flatMap((c, j) =>
            rows(c, 'cdn', [
              [T0 - 1 + ((round + j) % 3), 1 + i + j],
              [T0 + 5, 10 * (j + 1)],
            ]),
          );
          writes.push(p.setChannelMinutes(i % 2 === 0 ? batch : batch.reverse()));
        });
      }
      await Promise.all(writes);
      const perChannel = await Promise.all(channels.map((c) => read(store, 'channel', [c])));
      const expectSum = (indices: number[]) => {
        const sum: Record<string, Record<number, number>> = {};
        for (const i of indices) {
          for (const [pt, minutes] of Object.entries(perChannel[i]!)) {
            for (const [m, v] of Object.entries(minutes)) (sum[pt] ??= {})[Number(m)] = (sum[pt]?.[Number(m)] ?? 0) + v;
          }
        }
        return sum;
      };
      assert.deepEqual(await read(store, 'user', ['u1']), expectSum([0, 1]));
      assert.deepEqual(await read(store, 'user', ['u2']), expectSum([2, 3]));
      assert.equal((await read(store, 'user', ['u1'])).cdn?.[T0 + 5], 30);
    });
  });
}

/** The stored hour blocks of users with the prefix are exactly the maxima of their stored day curves. */
async function checkBlocks(db: Database, prefix: string): Promise<void> {
  const curves = (await db.rows('SELECT user_id, day, pull_type, off, data FROM user_curves')) as [
    string,
    number,
    string,
    number,
    Uint8Array,
  ][];
  const expected = new Map<string, Map<number, Uint32Array>>();
  for (const [user, day, pt, off, data] of curves) {
    if (!user.startsWith(prefix)) continue;
    const k = `${user}|${pt}|${blockOf(Number(day))}`;
    if (!expected.has(k)) expected.set(k, new Map());
    expected
      .get(k)!
      .set(
        Number(day) - blockOf(Number(day)) * BLOCK_DAYS,
        dayMaxima({ off: Number(off), values: decodeValues(Buffer.from(data)) }),
      );
  }
  const blocks = (await db.rows('SELECT user_id, block, pull_type, data FROM user_hours')) as [
    string,
    number,
    string,
    Uint8Array,
  ][];
  const stored = new Map<string, number[]>();
  for (const [user, block, pt, data] of blocks)
    if (user.startsWith(prefix)) stored.set(`${user}|${pt}|${block}`, [...decodeValues(Buffer.from(data))]);
  assert.deepEqual(stored, new Map([...expected].map(([k, days]) => [k, [...patchBlock(undefined, days)!]])));
}

for (const adapter of adapters()) contract(adapter);

/**
 * Random operation sequences, checked minute by minute against a brute-force model and run against both
 * adapters with the same sequence, so the adapters also agree with each other.
 */
describe('every adapter agrees with a brute-force model', () => {
  const pgAdapter = postgres();
  after(() => pgAdapter.teardown!());

  type Op =
    | { op: 'set'; rows: ChannelMinute[] }
    | { op: 'add'; channel: string; user: string }
    | { op: 'remove'; channel: string };
  const CHANNELS = ['c0', 'c1', 'c2', 'c3'];
  const USERS = ['u0', 'u1'];
  const minute = fc.integer({ min: T0 - 4, max: T0 + 4 }).chain((m) => fc.constantFrom(m, m + DAY_MINUTES));
  const row = fc.record({
    channelId: fc.constantFrom(...CHANNELS),
    pullType: fc.constantFrom('cdn', 'rtc'),
    minute,
    ccv: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
  });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.array(row, { minLength: 1, maxLength: 8 }).map((r) => ({ op: 'set' as const, rows: r })) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        channel: fc.constantFrom(...CHANNELS),
        user: fc.constantFrom(...USERS),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), channel: fc.constantFrom(...CHANNELS) }) },
  );

  test('readCurves matches the model after random writes and ownership changes', async () => {
    const dbs = [await sqlite.open(), await pgAdapter.open()];
    let run = 0;
    try {
      for (const db of dbs) await tenants(db.store, {});
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
          const p = `r${run++}_`; // every run its own ids, so one database serves all runs
          const data = new Map<string, number>(); // channel|pullType|minute -> ccv
          const owner = new Map<string, string>();
          for (const db of dbs) for (const u of USERS) await db.store.addUser('a1', p + u);
          for (const o of ops) {
            if (o.op === 'set') {
              const prefixed = o.rows.map((r) => ({ ...r, channelId: p + r.channelId }));
              for (const r of prefixed) data.set(`${r.channelId}|${r.pullType}|${r.minute}`, r.ccv);
              for (const db of dbs) await db.store.setChannelMinutes(prefixed);
            } else if (o.op === 'add') {
              const free = !owner.has(p + o.channel);
              if (free) owner.set(p + o.channel, p + o.user);
              for (const db of dbs) {
                if (free) await db.store.addChannel(p + o.user, p + o.channel);
                else await assert.rejects(db.store.addChannel(p + o.user, p + o.channel), ConflictError);
              }
            } else {
              const had = owner.delete(p + o.channel);
              for (const db of dbs) assert.equal(await db.store.removeChannel(p + o.channel), had);
            }
          }
          const from = T0 - 10;
          const to = T0 + DAY_MINUTES + 10;
          const expected = (ids: (id: string) => string | undefined, want: string) => {
            const out: Record<string, Record<number, number>> = {};
            for (const [k, v] of data) {
              const [c, pt, m] = k.split('|') as [string, string, string];
              if (v === 0 || ids(c) !== want) continue;
              const minutes = (out[pt] ??= {});
              minutes[Number(m)] = (minutes[Number(m)] ?? 0) + v;
            }
            return out;
          };
          for (const db of dbs) {
            for (const c of CHANNELS) {
              assert.deepEqual(
                await read(db.store, 'channel', [p + c], from, to),
                expected((x) => x, p + c),
                `${db.store.kind} ${c}`,
              );
            }
            for (const u of USERS) {
              assert.deepEqual(
                await read(db.store, 'user', [p + u], from, to),
                expected((x) => owner.get(x), p + u),
                `${db.store.kind} ${u}`,
              );
            }
            const users = USERS.map((u) => p + u);
            for (const [a, b] of [
              [from, to],
              [T0 - 3, T0 + 2],
              [T0 + 1, T0 + DAY_MINUTES + 1],
            ] as const) {
              assert.deepEqual(
                await db.store.userPeaks(users, a, b),
                peaksOfSum(await db.store.readCurves('user', users, a, b), a, b),
                `${db.store.kind} peaks ${a - T0}..${b - T0}`,
              );
            }
            await checkBlocks(db, p);
          }
        }),
        { numRuns: 15 },
      );
    } finally {
      for (const db of dbs) await db.drop();
    }
  });
});
