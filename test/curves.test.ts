/**
 * The compact curves (summaryCurve, channelsCurve) against a brute-force oracle over random data: every minute's
 * sum, each series' peak equal to the summary's answer, the shares adding up to the peak and each equal to that
 * account's own CCV, the days' first minutes, and concurrence-mc's day peaks recovered from the curve. The oracle
 * decides local days with Intl directly, not with the calendar module.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { signedCaller } from '../src/service/signed.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { testConfig } from './helpers.js';

interface Cell {
  user: number;
  channel: string;
  pullType: string;
  minute: number;
  ccv: number;
}
interface CurveAnswer {
  timeZone: string;
  from: number;
  minutes: number;
  days: { day: string; index: number }[];
  series: { pullType: string; peakCCV: string; statAt: number; values: number[]; shares: { id: string; viewers: number }[] }[];
}

const ZONES = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Australia/Lord_Howe'];
const ANCHORS = ['2021-12-30', '2024-02-28', '2021-03-13', '2021-11-06', '2021-04-03', '2021-10-02'];

const formats = new Map<string, Intl.DateTimeFormat>();
function localDay(ms: number, timeZone: string): string {
  let f = formats.get(timeZone);
  if (!f)
    formats.set(
      timeZone,
      (f = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  return f.format(ms);
}
function addDays(day: string, n: number): string {
  const t = new Date(`${day}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** Every epoch minute whose local day is in start..end, found by scanning Intl around the range. */
function rangeMinutes(start: string, end: string, timeZone: string): number[] {
  const out: number[] = [];
  const lo = Date.parse(`${start}T00:00:00Z`) / 60_000 - 1440;
  const hi = Date.parse(`${end}T00:00:00Z`) / 60_000 + 2 * 1440;
  for (let m = lo; m < hi; m++) {
    const day = localDay(m * 60_000, timeZone);
    if (day >= start && day <= end) out.push(m);
  }
  return out;
}

function check(
  got: CurveAnswer,
  cells: readonly Cell[],
  ids: readonly string[],
  idOf: (c: Cell) => string,
  start: string,
  end: string,
) {
  const minutes = rangeMinutes(start, end, got.timeZone);
  assert.equal(got.from, minutes[0]! * 60_000);
  assert.equal(got.minutes, minutes.length);
  assert.deepEqual(
    got.days.map((d) => d.day),
    [...new Set(minutes.map((m) => localDay(m * 60_000, got.timeZone)))],
  );
  for (const d of got.days) assert.equal(localDay(got.from + d.index * 60_000, got.timeZone), d.day);
  for (const d of got.days.slice(1)) assert.notEqual(localDay(got.from + (d.index - 1) * 60_000, got.timeZone), d.day);

  const wanted = new Set(ids);
  const inRange = cells.filter((c) => wanted.has(idOf(c)) && c.minute >= minutes[0]! && c.minute <= minutes.at(-1)!);
  const pullTypes = [...new Set(inRange.filter((c) => c.ccv > 0).map((c) => c.pullType))].sort();
  assert.deepEqual(
    got.series.map((s) => s.pullType),
    pullTypes,
  );
  for (const s of got.series) {
    const expected = new Array<number>(minutes.length).fill(0);
    for (const c of inRange) if (c.pullType === s.pullType) expected[c.minute - minutes[0]!]! += c.ccv;
    assert.deepEqual(s.values, expected, `values of ${s.pullType}`);
    const peak = Math.max(...expected);
    assert.equal(s.peakCCV, String(peak));
    assert.equal(s.statAt, (minutes[0]! + expected.indexOf(peak)) * 60_000);
    const atPeak = s.statAt / 60_000;
    assert.deepEqual(
      s.shares,
      ids.map((id) => ({
        id,
        viewers: inRange
          .filter((c) => idOf(c) === id && c.pullType === s.pullType && c.minute === atPeak)
          .reduce((a, c) => a + c.ccv, 0),
      })),
    );
    assert.equal(
      s.shares.reduce((a, x) => a + x.viewers, 0),
      peak,
    );
  }
}

test('curves equal the brute-force sums, their peaks the summary, their shares each account', async () => {
  const row = fc.record({
    user: fc.nat(2),
    channel: fc.nat(1),
    pullType: fc.constantFrom('cdn', 'rtc'),
    offset: fc.integer({ min: -1500, max: 3 * 1440 + 1500 }),
    ccv: fc.nat(4),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ZONES),
      fc.constantFrom(...ANCHORS),
      fc.integer({ min: 1, max: 3 }),
      fc.array(row, { maxLength: 50 }),
      fc.uniqueArray(fc.nat(3), { minLength: 1, maxLength: 4 }),
      async (timeZone, anchor, span, rows, queried) => {
        const store = new SqliteStore(':memory:');
        try {
          const tenancy = new Tenancy(store);
          const app = await tenancy.createApp({ name: 'p' });
          // users 0-2 own two channels each; user 3 exists with no channel and no data
          for (let u = 0; u <= 3; u++) {
            await tenancy.addUser(app.appId, `u${u}`);
            if (u < 3) for (let c = 0; c < 2; c++) await tenancy.addChannel(`u${u}`, `${u + 1}0${c}`);
          }
          const base = Date.parse(`${anchor}T00:00:00Z`) / 60_000;
          const cells = new Map<string, Cell>();
          for (const r of rows) {
            const c = {
              user: r.user,
              channel: `${r.user + 1}0${r.channel}`,
              pullType: r.pullType,
              minute: base + r.offset,
              ccv: r.ccv,
            };
            cells.set(`${c.channel}|${c.pullType}|${c.minute}`, c); // a later row sets the minute again
          }
          await store.setChannelMinutes([...cells.values()].map((c) => ({ ...c, channelId: c.channel })));
          const end = addDays(anchor, span - 1);
          const call = signedCaller({ store, config: testConfig({ timeZone }) });

          const users = queried.map((u) => `u${u}`);
          const curve = (await call('summaryCurve', app, { users: users.join(','), start: anchor, end })) as CurveAnswer;
          check(curve, [...cells.values()], users, (c) => `u${c.user}`, anchor, end);
          const summary = await call('summary', app, { users: users.join(','), start: anchor, end });
          assert.deepEqual(
            curve.series.map(({ statAt, peakCCV, pullType }) => ({ statAt, peakCCV, pullType })),
            summary,
          );

          const channels = queried.filter((u) => u < 3).map((u) => `${u + 1}00`);
          if (channels.length === 0) return;
          const byChannel = (await call('channelsCurve', app, {
            channelIds: channels.join(','),
            start: anchor,
            end,
          })) as CurveAnswer;
          check(byChannel, [...cells.values()], channels, (c) => c.channel, anchor, end);
          // concurrence-mc's day points are the days' peaks of the pull types added together
          const mc = (await call('channelsConcurrence', app, {
            channelIds: channels.join(','),
            startDate: anchor,
            endDate: end,
          })) as { day: string; minute: string; viewers: number }[];
          if (span > 1) {
            const all = new Array<number>(byChannel.minutes).fill(0);
            for (const s of byChannel.series) for (let i = 0; i < s.values.length; i++) all[i]! += s.values[i]!;
            const bounds = [...byChannel.days.map((d) => d.index), byChannel.minutes];
            assert.deepEqual(
              mc.map((p) => p.viewers),
              byChannel.days.map((_, i) => Math.max(0, ...all.slice(bounds[i], bounds[i + 1]))),
            );
          }
        } finally {
          await store.close();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('one pull type asked for: only its series, the same peak', async () => {
  const store = new SqliteStore(':memory:');
  try {
    const tenancy = new Tenancy(store);
    const app = await tenancy.createApp({ name: 't' });
    await tenancy.addUser(app.appId, 'a');
    await tenancy.addChannel('a', '1');
    const t0 = Date.parse('2021-08-01T10:00:00+08:00') / 60_000;
    await store.setChannelMinutes([
      { channelId: '1', pullType: 'cdn', minute: t0, ccv: 10 },
      { channelId: '1', pullType: 'rtc', minute: t0 + 5, ccv: 3 },
    ]);
    const call = signedCaller({ store, config: testConfig() });
    const got = (await call('summaryCurve', app, {
      users: 'a',
      start: '2021-08-01',
      end: '2021-08-01',
      pullType: 'rtc',
    })) as CurveAnswer;
    assert.deepEqual(
      got.series.map((s) => [s.pullType, s.peakCCV, s.statAt, s.shares]),
      [['rtc', '3', (t0 + 5) * 60_000, [{ id: 'a', viewers: 3 }]]],
    );
    const none = (await call('summaryCurve', app, { users: 'a', start: '2021-08-02', end: '2021-08-02' })) as CurveAnswer;
    assert.deepEqual(none.series, []);
    assert.equal(none.minutes, 1440);
  } finally {
    await store.close();
  }
});
