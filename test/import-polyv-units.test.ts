/** The pure parts of `import polyv`: labels to instants (DST included), the diff, the plan and the state file. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addDays,
  dayChunks,
  dayRangeMinutes,
  formatYmd,
  labelMinute,
  labelMinutes,
  MINUTE_MS,
  parseYmd,
} from '../src/domain/calendar.js';
import { minuteChanges, sourceMinutes } from '../src/cli/import-polyv-points.js';
import { ImportState, planUnits, type PolyvJob } from '../src/cli/import-polyv-state.js';
import { tempDir } from './helpers.js';

/** What a POLYV-compatible concurrence answer holds: every minute of the local days, in time order. */
function answer(values: Map<number, number>, start: string, end: string, zone: string) {
  const { from, to } = dayRangeMinutes(parseYmd(start)!, parseYmd(end)!, zone);
  const points = [];
  for (let m = from; m < to; m++) points.push({ ...labelMinute(m, zone), viewers: values.get(m * MINUTE_MS) ?? 0 });
  return points;
}

test('labels of every minute become the same instants, in zones with and without DST', () => {
  const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'UTC'];
  fc.assert(
    fc.property(
      fc.constantFrom(...zones),
      // around the 2024 DST changes of these zones
      fc.constantFrom('2024-03-09', '2024-03-30', '2024-04-06', '2024-10-05', '2024-10-26', '2024-11-02'),
      fc.integer({ min: 0, max: 2 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 1500 }), fc.integer({ min: 0, max: 100_000 })), { maxLength: 200 }),
      fc.boolean(),
      (zone, start, extra, cells, sparse) => {
        const end = formatYmd(addDays(parseYmd(start)!, extra));
        const { from, to } = dayRangeMinutes(parseYmd(start)!, parseYmd(end)!, zone);
        const truth = new Map<number, number>();
        for (const [offset, v] of cells) if (from + offset < to && v > 0) truth.set((from + offset) * MINUTE_MS, v);
        if (sparse) {
          // A sparse answer cannot say which occurrence of a repeated (fall-back) label a lone point is: the parser
          // takes the first. So the only second occurrences such an answer can carry are those whose twin is there.
          const seen = new Map<string, number>();
          for (let m = from; m < to; m++) {
            const { day, minute } = labelMinute(m, zone);
            const twin = seen.get(`${day} ${minute}`);
            if (twin === undefined) seen.set(`${day} ${minute}`, m);
            else if (!truth.has(twin * MINUTE_MS)) truth.delete(m * MINUTE_MS);
          }
        }
        // a full answer (matched by position) or only the minutes with viewers (matched by label)
        const points = answer(truth, start, end, zone).filter((p) => !sparse || p.viewers > 0);
        const parsed = sourceMinutes(points, parseYmd(start)!, parseYmd(end)!, zone);
        assert.deepEqual(parsed.values, truth);
        assert.equal(parsed.from, from * MINUTE_MS);
        assert.equal(parsed.to, to * MINUTE_MS);
      },
    ),
    // the first: a lone point in the repeated hour of New York's fall-back day, sparse
    { numRuns: 60, examples: [['America/New_York', '2024-11-02', 1, [[1560, 1]], true]] },
  );
});

test('labelMinutes labels every minute as labelMinute does, across DST changes', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata'),
      fc.integer({ min: Date.parse('2024-03-01T00:00:00Z') / MINUTE_MS, max: Date.parse('2024-11-10T00:00:00Z') / MINUTE_MS }),
      fc.integer({ min: 0, max: 4 * 1440 }),
      (zone, from, length) => {
        const fast = labelMinutes(from, from + length, zone);
        assert.equal(fast.length, length);
        for (let i = 0; i < length; i += 1 + (i % 7)) assert.deepEqual(fast[i], labelMinute(from + i, zone));
      },
    ),
    { numRuns: 60 },
  );
  // the days of a DST change, minute by minute
  for (const [zone, day] of [
    ['America/New_York', '2024-03-10'],
    ['America/New_York', '2024-11-03'],
    ['Australia/Lord_Howe', '2024-04-07'],
  ] as const) {
    const { from, to } = dayRangeMinutes(parseYmd(day)!, parseYmd(day)!, zone);
    assert.deepEqual(
      labelMinutes(from - 30, to + 30, zone),
      Array.from({ length: to - from + 60 }, (_, i) => labelMinute(from - 30 + i, zone)),
    );
  }
});

test('the fall-back day repeats 01:xx: both hours land on their own instants; a sparse answer means zeros', () => {
  const zone = 'America/New_York';
  const day = '2024-11-03';
  const points = answer(new Map(), day, day, zone);
  assert.equal(points.length, 1500);
  const repeated = points.filter((p) => p.minute === '01:30');
  assert.equal(repeated.length, 2);
  repeated[0]!.viewers = 7;
  repeated[1]!.viewers = 9;
  const parsed = sourceMinutes(points, parseYmd(day)!, parseYmd(day)!, zone);
  // 01:30 EDT is 05:30Z, 01:30 EST is 06:30Z
  assert.deepEqual(
    [...parsed.values],
    [
      [Date.parse('2024-11-03T05:30:00Z'), 7],
      [Date.parse('2024-11-03T06:30:00Z'), 9],
    ],
  );
  const sparse = sourceMinutes([{ day, minute: '12:00', viewers: 3 }], parseYmd(day)!, parseYmd(day)!, zone);
  assert.deepEqual([...sparse.values], [[Date.parse('2024-11-03T17:00:00Z'), 3]]);
});

test('answers that do not fit the request are refused with the reason', () => {
  const day = parseYmd('2024-03-10')!;
  assert.throws(
    () => sourceMinutes([{ day: '2024-03-11', minute: '00:00', viewers: 1 }], day, day, 'Asia/Shanghai'),
    /the source answered minute 2024-03-11 00:00, which is not in the requested days in Asia\/Shanghai \(is --source-time-zone right\?\)/,
  );
  assert.throws(
    () =>
      sourceMinutes(
        [
          { day: '2024-03-10', minute: '08:00', viewers: 1 },
          { day: '2024-03-10', minute: '08:00', viewers: 1 },
        ],
        day,
        day,
        'Asia/Shanghai',
      ),
    /answered minute 2024-03-10 08:00 more often than it occurs/,
  );
  assert.throws(
    () => sourceMinutes([{ day: '2024-03-10', minute: '08:00', viewers: -1 }], day, day, 'Asia/Shanghai'),
    /answered -1 viewers for 2024-03-10 08:00: not a count/,
  );
  assert.throws(
    () => sourceMinutes([{ day: '2024-03-10', minute: '08:00', viewers: '5' as unknown as number }], day, day, 'Asia/Shanghai'),
    /answered "5" viewers/,
  );
});

test('the changes, applied to what is stored, give exactly the source (brute force), and nothing when equal', () => {
  const cells = fc.dictionary(fc.integer({ min: 0, max: 50 }).map(String), fc.integer({ min: 0, max: 5 }));
  fc.assert(
    fc.property(cells, cells, (src, sto) => {
      const toMap = (d: Record<string, number>) =>
        new Map(
          Object.entries(d)
            .filter(([, v]) => v > 0)
            .map(([k, v]) => [Number(k) * MINUTE_MS, v] as [number, number]),
        );
      const source = toMap(src);
      const stored = toMap(sto);
      const changes = minuteChanges(source, stored);
      const after = new Map(stored);
      for (const c of changes) {
        if (c.ccv === 0) after.delete(c.minute);
        else after.set(c.minute, c.ccv);
      }
      assert.deepEqual(new Map([...after].sort((a, b) => a[0] - b[0])), new Map([...source].sort((a, b) => a[0] - b[0])));
      assert.deepEqual(minuteChanges(source, after), [], 'a second run writes nothing');
      for (let i = 1; i < changes.length; i++) assert.ok(changes[i - 1]!.minute < changes[i]!.minute);
    }),
  );
});

const job = (over: Partial<PolyvJob> = {}): PolyvJob => ({
  source: 'http://source',
  appId: 'app',
  channels: ['1', '2'],
  start: '2024-01-30',
  end: '2024-02-14',
  sourcePullType: undefined,
  pullType: 'cdn',
  sourceTimeZone: 'Asia/Shanghai',
  chunkDays: 7,
  ...over,
});

test('the plan: each channel over runs of at most chunk-days days, covering the range exactly', () => {
  assert.deepEqual(
    dayChunks(parseYmd('2024-01-30')!, parseYmd('2024-02-14')!, 7).map((c) => [formatYmd(c.start), formatYmd(c.end)]),
    [
      ['2024-01-30', '2024-02-05'],
      ['2024-02-06', '2024-02-12'],
      ['2024-02-13', '2024-02-14'],
    ],
  );
  const units = planUnits(job());
  assert.equal(units.length, 6);
  assert.deepEqual(units[3], { channelId: '2', startDate: '2024-01-30', endDate: '2024-02-05', key: '2 2024-01-30 2024-02-05' });
  assert.equal(planUnits(job({ start: '2024-02-01', end: '2024-02-01' })).length, 2);
});

test('the state file: fresh, resumed for the same job, refused for another one, discarded with --restart', () => {
  const file = path.join(tempDir(), 'state.json');
  const fresh = ImportState.open(file, job(), false);
  assert.equal(fresh.resumed, false);
  const [a, b] = planUnits(job());
  fresh.markDone(a!);
  fresh.save();
  assert.ok(!fs.readFileSync(file, 'utf8').includes('secret'));

  const again = ImportState.open(file, job({ channels: ['2', '1'] }), false);
  assert.equal(again.resumed, true, 'the same job, channels in another order');
  assert.equal(again.isDone(a!), true);
  assert.equal(again.isDone(b!), false);

  assert.throws(
    () => ImportState.open(file, job({ end: '2024-02-20', pullType: 'rtc' }), false),
    new RegExp(
      `^Error: state file ${file} belongs to another import \\(it differs in end, pullType\\): pass --state with another file, or --restart to discard it$`,
    ),
  );
  const restarted = ImportState.open(file, job({ end: '2024-02-20' }), true);
  assert.equal(restarted.doneCount, 0);

  fs.writeFileSync(file, 'not json');
  assert.throws(() => ImportState.open(file, job(), false), /is not valid JSON: remove it, or pass --restart/);
});
