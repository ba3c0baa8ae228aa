/**
 * The summary's semantics (docs/api.md) against a brute-force oracle over random data: ties,
 * users without data, minutes just outside the range, days crossing month, year and DST boundaries.
 * The oracle decides which minutes belong to the range with Intl directly, not with the calendar module.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { testConfig } from './helpers.js';
import { signedCaller } from '../src/service/signed.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

interface Row {
  user: number;
  channel: number;
  pullType: string;
  offset: number;
  ccv: number;
}

const ZONES = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Asia/Kolkata'];
const ANCHORS = ['2021-12-30', '2022-02-27', '2024-02-28', '2021-03-13', '2021-11-06', '2021-08-01', '2021-01-31'];

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

test('summary equals the brute-force peak of the per-minute sum', async () => {
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
        const store = new SqliteStore(':memory:');
        try {
          const tenancy = new Tenancy(store);
          const app = await tenancy.createApp({ name: 'p' });
          // users 0-3 own two channels each; user 4 exists with no channel and no data
          for (let u = 0; u <= 4; u++) {
            await tenancy.addUser(app.appId, `u${u}`);
            if (u < 4) for (let c = 0; c < 2; c++) await tenancy.addChannel(`u${u}`, `${u}0${c}`);
          }
          const base = Date.parse(`${anchor}T00:00:00Z`) / 60_000;
          const cells = new Map<string, { user: number; pullType: string; minute: number; ccv: number }>();
          const minutes = rows.map((r) => {
            const minute = base + r.offset;
            cells.set(`${r.user}|${r.channel}|${r.pullType}|${minute}`, {
              user: r.user,
              pullType: r.pullType,
              minute,
              ccv: r.ccv,
            });
            return { channelId: `${r.user}0${r.channel}`, pullType: r.pullType, minute, ccv: r.ccv };
          });
          // written in two batches to exercise read-modify-write of stored day curves
          await store.setChannelMinutes(minutes.slice(0, minutes.length >> 1));
          await store.setChannelMinutes(minutes.slice(minutes.length >> 1));
          const end = addDays(anchor, span - 1);
          const config = testConfig({ timeZone });
          const users = queried.map((u) => `u${u}`).join(' , ');
          const got = await signedCaller({ store, config })('summary', app, { users, start: anchor, end });
          assert.deepEqual(got, oracle(cells, new Set(queried), anchor, end, timeZone));
        } finally {
          await store.close();
        }
      },
    ),
    { numRuns: 150 },
  );
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
