/**
 * The summary's semantics (docs/api.md) against a brute-force oracle over random data: ties (small values),
 * users without data, minutes just outside the range, days crossing UTC midnight, month, year and DST
 * boundaries, zones with :30 and :45 offsets. The oracle decides which minutes belong to the range with Intl
 * directly, not with the calendar module, and sums every minute; the store answers with the pruned search
 * over hour blocks, in process and on a query thread.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { tempDir, testConfig } from './helpers.js';
import { signedCaller } from '../src/service/signed.js';
import { Tenancy } from '../src/service/tenancy.js';
import type { Store } from '../src/store/port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

interface Row {
  user: number;
  channel: number;
  pullType: string;
  offset: number;
  ccv: number;
}

const ZONES = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/London'];
const ANCHORS = [
  '2021-12-30',
  '2022-02-27',
  '2024-02-28',
  '2021-03-13',
  '2021-11-06',
  '2021-08-01',
  '2021-01-31',
  '2021-03-27',
  '2021-10-30',
];

// one store on query threads for every run (threads take a while to start); each run uses its own ids
const threaded = new SqliteStore(path.join(tempDir(), 'store.sqlite'), { queryThreads: 1, inlineUserDays: 0 });
after(() => threaded.close());
let runs = 0;

function localDay(ms: number, timeZone: string): string {
  return new Date(ms).toLocaleDateString('sv-SE', { timeZone });
}

function addDays(day: string, n: number): string {
  const t = new Date(`${day}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** Peak of the per-minute sum by brute force: every minute with data, its local day checked by Intl. */
function oracle(
  cells: Map<string, { user: number; pullType: string; minute: number; ccv: number }>,
  users: Set<number>,
  start: string,
  end: string,
  timeZone: string,
) {
  const totals = new Map<string, Map<number, number>>();
  for (const c of cells.values()) {
    if (!users.has(c.user)) continue;
    const day = localDay(c.minute * 60_000, timeZone);
    if (day < start || day > end) continue;
    const perMinute = totals.get(c.pullType) ?? new Map<number, number>();
    perMinute.set(c.minute, (perMinute.get(c.minute) ?? 0) + c.ccv);
    totals.set(c.pullType, perMinute);
  }
  const out: { statAt: number; peakCCV: string; pullType: string }[] = [];
  for (const [pullType, perMinute] of totals) {
    let best: [number, number] | undefined;
    for (const [minute, v] of perMinute) {
      if (!best || v > best[1] || (v === best[1] && minute < best[0])) best = [minute, v];
    }
    if (best && best[1] > 0) out.push({ statAt: best[0] * 60_000, peakCCV: String(best[1]), pullType });
  }
  return out.sort((a, b) => (a.pullType < b.pullType ? -1 : 1));
}

/** Creates users 0-3 with two channels each and user 4 with none (no data), ids prefixed; writes rows in two batches. */
async function fill(store: Store, prefix: string, rows: { channelId: string; pullType: string; minute: number; ccv: number }[]) {
  const tenancy = new Tenancy(store);
  const app = await tenancy.createApp({ name: 'p', appId: `${prefix}app` });
  for (let u = 0; u <= 4; u++) {
    await tenancy.addUser(app.appId, `${prefix}u${u}`);
    if (u < 4) for (let c = 0; c < 2; c++) await tenancy.addChannel(`${prefix}u${u}`, `${u}0${c}${prefix.replace(/\D/g, '')}`);
  }
  const named = rows.map((r) => ({ ...r, channelId: `${r.channelId}${prefix.replace(/\D/g, '')}` }));
  // two batches: the second reads, patches and rewrites the day curves and hour blocks of the first
  await store.setChannelMinutes(named.slice(0, named.length >> 1));
  await store.setChannelMinutes(named.slice(named.length >> 1));
  return app;
}

test('summary equals the brute-force peak of the per-minute sum, in process and on a query thread', async () => {
  const row = fc.record({
    user: fc.nat(3),
    channel: fc.nat(1),
    pullType: fc.constantFrom('cdn', 'rtc', 'p2p'),
    offset: fc.integer({ min: -1600, max: 4 * 1440 + 1600 }),
    ccv: fc.nat(3),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ZONES),
      fc.constantFrom(...ANCHORS),
      fc.integer({ min: 1, max: 3 }),
      fc.array(row, { maxLength: 60 }),
      fc.uniqueArray(fc.nat(4), { minLength: 1, maxLength: 5 }),
      async (timeZone, anchor, span, rows: Row[], queried) => {
        const base = Date.parse(`${anchor}T00:00:00Z`) / 60_000;
        const cells = new Map<string, { user: number; pullType: string; minute: number; ccv: number }>();
        const minutes = rows.map((r) => {
          const minute = base + r.offset;
          cells.set(`${r.user}|${r.channel}|${r.pullType}|${minute}`, { user: r.user, pullType: r.pullType, minute, ccv: r.ccv });
          return { channelId: `${r.user}0${r.channel}`, pullType: r.pullType, minute, ccv: r.ccv };
        });
        const end = addDays(anchor, span - 1);
        const expected = oracle(cells, new Set(queried), anchor, end, timeZone);
        const config = testConfig({ timeZone });
        const memory = new SqliteStore(':memory:');
        try {
          const prefix = `r${runs++}x`;
          for (const store of [memory, threaded]) {
            const app = await fill(store, prefix, minutes);
            const users = queried.map((u) => `${prefix}u${u}`).join(' , ');
            assert.deepEqual(
              await signedCaller({ store, config })('summary', app, { users, start: anchor, end }),
              expected,
              store === memory ? 'in process' : 'query thread',
            );
          }
        } finally {
          await memory.close();
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('the pruned search keeps the edge cases exact: bound ties, hour ties, the last local minute, DST, :45 zones', async () => {
  const store = new SqliteStore(path.join(tempDir(), 'store.sqlite'), { queryThreads: 1, inlineUserDays: 0 });
  try {
    const tenancy = new Tenancy(store);
    const app = await tenancy.createApp({ name: 'edges' });
    for (const u of ['a', 'b', 'idle']) await tenancy.addUser(app.appId, u);
    await tenancy.addChannel('a', '1');
    await tenancy.addChannel('b', '2');
    const ask = async (timeZone: string, day: string, users = 'a,b,idle') =>
      signedCaller({ store, config: testConfig({ timeZone }) })('summary', app, { users, start: day, end: day });
    const at = (iso: string) => Date.parse(iso) / 60_000;

    // Hour 11 bounds 8 (a's 5 and b's 3, never together) and is summed first, finding 5 at 11:00; hour 9
    // bounds exactly 5 and holds a 5 at 9:10: it must still be visited, and wins the tie. rtc: equal values
    // in three hours, the earliest wins.
    await store.setChannelMinutes([
      { channelId: '1', pullType: 'cdn', minute: at('2021-08-02T11:00:00+08:00'), ccv: 5 },
      { channelId: '2', pullType: 'cdn', minute: at('2021-08-02T11:30:00+08:00'), ccv: 3 },
      { channelId: '1', pullType: 'cdn', minute: at('2021-08-02T09:10:00+08:00'), ccv: 5 },
      { channelId: '1', pullType: 'rtc', minute: at('2021-08-02T15:59:00+08:00'), ccv: 4 },
      { channelId: '2', pullType: 'rtc', minute: at('2021-08-02T13:00:00+08:00'), ccv: 4 },
      { channelId: '1', pullType: 'rtc', minute: at('2021-08-02T14:20:00+08:00'), ccv: 4 },
      // a pull type whose only minute was set back to zero has no viewers
      { channelId: '2', pullType: 'p2p', minute: at('2021-08-02T10:00:00+08:00'), ccv: 6 },
      { channelId: '2', pullType: 'p2p', minute: at('2021-08-02T10:00:00+08:00'), ccv: 0 },
    ]);
    assert.deepEqual(await ask('Asia/Shanghai', '2021-08-02'), [
      { statAt: Date.parse('2021-08-02T09:10:00+08:00'), peakCCV: '5', pullType: 'cdn' },
      { statAt: Date.parse('2021-08-02T13:00:00+08:00'), peakCCV: '4', pullType: 'rtc' },
    ]);
    assert.deepEqual(await ask('Asia/Shanghai', '2021-08-02', 'idle'), [], 'a user without curves');

    // the last minute of a local day counts, the next one belongs to the next day (Kathmandu, +05:45:
    // its local midnight falls at :15 of a UTC hour, inside an hour block)
    await store.setChannelMinutes([
      { channelId: '1', pullType: 'cdn', minute: at('2021-08-10T23:59:00+05:45'), ccv: 7 },
      { channelId: '2', pullType: 'cdn', minute: at('2021-08-11T00:00:00+05:45'), ccv: 70 },
      { channelId: '2', pullType: 'cdn', minute: at('2021-08-10T00:00:00+05:45') - 1, ccv: 70 },
    ]);
    assert.deepEqual(await ask('Asia/Kathmandu', '2021-08-10'), [
      { statAt: Date.parse('2021-08-10T23:59:00+05:45'), peakCCV: '7', pullType: 'cdn' },
    ]);

    // DST in New York: on 2021-11-07 the hour 01:xx happens twice; the peak in its second pass is found
    // and the day spans 25 hours
    await store.setChannelMinutes([
      { channelId: '1', pullType: 'cdn', minute: at('2021-11-07T01:30:00-04:00'), ccv: 8 },
      { channelId: '2', pullType: 'cdn', minute: at('2021-11-07T01:30:00-05:00'), ccv: 9 },
      { channelId: '1', pullType: 'cdn', minute: at('2021-11-07T23:59:00-05:00'), ccv: 9 },
    ]);
    assert.deepEqual(await ask('America/New_York', '2021-11-07'), [
      { statAt: Date.parse('2021-11-07T01:30:00-05:00'), peakCCV: '9', pullType: 'cdn' },
    ]);
  } finally {
    await store.close();
  }
});

test('ties go to the earliest minute, and the peak is of the sum, not the sum of peaks', async () => {
  const store = new SqliteStore(':memory:');
  const tenancy = new Tenancy(store);
  const app = await tenancy.createApp({ name: 't' });
  await tenancy.addUser(app.appId, 'a');
  await tenancy.addUser(app.appId, 'b');
  await tenancy.addChannel('a', '1');
  await tenancy.addChannel('b', '2');
  const t0 = Date.parse('2021-08-01T10:00:00+08:00') / 60_000;
  await store.setChannelMinutes([
    { channelId: '1', pullType: 'cdn', minute: t0, ccv: 10 },
    { channelId: '2', pullType: 'cdn', minute: t0 + 1, ccv: 10 },
    { channelId: '1', pullType: 'cdn', minute: t0 + 2, ccv: 4 },
    { channelId: '2', pullType: 'cdn', minute: t0 + 2, ccv: 6 },
  ]);
  const got = await signedCaller({ store, config: testConfig() })('summary', app, {
    users: 'a,b',
    start: '2021-08-01',
    end: '2021-08-01',
  });
  assert.deepEqual(got, [{ statAt: t0 * 60_000, peakCCV: '10', pullType: 'cdn' }]);
  await store.close();
});
