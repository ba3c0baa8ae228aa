/**
 * The pruned search (src/domain/peak-search.ts) against summing every minute, on adversarial curves: small
 * values (ties everywhere), peaks at hour and day edges, ranges starting and ending mid-hour (zones with
 * :30 and :45 offsets), and hour bounds inflated at random (any upper bound must give the exact answer).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { peaksOfSum, type CurveSpan } from '../src/domain/peak.js';
import {
  DAY_HOURS,
  dayMaximaOf,
  PeakSearch,
  SearchArena,
  searchPeaks,
  sparseHours,
  type HourSpan,
} from '../src/domain/peak-search.js';

const DAY = 19_000 * 1440; // a UTC midnight, epoch minutes

/**
 * Hour maxima of day-aligned segments, each inflated by `extra(i)` (a looser but valid bound), in each of the
 * forms a store hands over (chosen by `form`): plain, sparse, or with day maxima (inflated again).
 */
function hourSegments(segments: CurveSpan[], extra: (i: number) => number, form = 0): HourSpan[] {
  return segments.map((s, n) => {
    const firstHour = Math.floor(s.start / 1440) * DAY_HOURS;
    const hours = Math.ceil((s.start + s.values.length) / 60) - firstHour;
    const values = new Uint32Array(Math.ceil(hours / DAY_HOURS) * DAY_HOURS);
    for (let i = 0; i < s.values.length; i++) {
      const h = Math.floor((s.start + i) / 60) - firstHour;
      values[h] = Math.max(values[h]!, s.values[i]!);
    }
    for (let h = 0; h < values.length; h++) if (values[h]! > 0) values[h]! += extra(n * 1000 + h);
    const span: HourSpan = { key: s.key, start: firstHour, values };
    if ((n + form) % 3 === 1) {
      const sparse = sparseHours(values);
      if (sparse) span.sparse = sparse;
    } else if ((n + form) % 3 === 2) {
      const days = dayMaximaOf(firstHour, values);
      for (let d = 0; d < days.values.length; d++) if (days.values[d]! > 0) days.values[d]! += extra(n * 7 + d);
      span.days = days;
    }
    return span;
  });
}

// one arena for every search that takes one (half of them): buffers handed from search to search stay exact
const arena = new SearchArena();
let searches = 0;

function search(segments: CurveSpan[], from: number, to: number, extra: (i: number) => number = () => 0, form = 0) {
  const s = new PeakSearch(from, to, hourSegments(segments, extra, form), searches++ % 2 === 0 ? arena : undefined);
  // the curves with viewers in the hour asked for, nothing else (the search must not need more)
  const byHour = (hour: number) =>
    segments.filter((seg) => {
      for (let i = 0; i < seg.values.length; i++)
        if (seg.values[i]! > 0 && Math.floor((seg.start + i) / 60) === hour) return true;
      return false;
    });
  return { peaks: searchPeaks(s, byHour), stats: s.stats() };
}

const segment = fc.record({
  key: fc.constantFrom('cdn', 'rtc'),
  day: fc.integer({ min: 0, max: 2 }),
  off: fc.integer({ min: 0, max: 1439 }),
  values: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 200 }),
});

test('the pruned search equals summing every minute, whatever the bounds (hour, sparse, day), ranges and ties', () => {
  fc.assert(
    fc.property(
      fc.array(segment, { maxLength: 12 }),
      fc.integer({ min: -90, max: 3 * 1440 }),
      fc.integer({ min: 1, max: 3 * 1440 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 2 }),
      (raw, fromOffset, length, inflate, seed, form) => {
        // day curves never cross a UTC midnight: clip each to its day
        const segments: CurveSpan[] = raw.map((r) => ({
          key: r.key,
          start: DAY + r.day * 1440 + r.off,
          values: Uint8Array.from(r.values.slice(0, 1440 - r.off)),
        }));
        const from = DAY + fromOffset;
        const to = from + length;
        const extra = inflate ? (i: number) => ((i * 7919 + seed) % 5 === 0 ? (i + seed) % 3 : 0) : () => 0;
        assert.deepEqual(search(segments, from, to, extra, form).peaks, peaksOfSum(segments, from, to));
      },
    ),
    { numRuns: 400 },
  );
});

/** Day-clipped segments of 0/1 values (ties everywhere) on days 0..maxDay after DAY, of the keys given. */
function spreadSegments(
  keys: readonly string[],
  maxDay: number,
  maxValues: number,
  count: { minLength: number; maxLength: number },
) {
  const raw = fc.record({
    key: fc.constantFrom(...keys),
    day: fc.integer({ min: 0, max: maxDay }),
    off: fc.integer({ min: 0, max: 1439 }),
    values: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: maxValues }),
  });
  return fc.array(raw, count).map((rs) =>
    rs.map(
      (r): CurveSpan => ({
        key: r.key,
        start: DAY + r.day * 1440 + r.off,
        values: Uint8Array.from(r.values.slice(0, 1440 - r.off)),
      }),
    ),
  );
}

test('over many days, days expanded one by one and then the rest in one pass give the same exact answer', () => {
  let onePass = 0;
  fc.assert(
    fc.property(
      spreadSegments(['cdn', 'rtc'], 39, 90, { minLength: 20, maxLength: 60 }),
      fc.integer({ min: -90, max: 1440 }),
      fc.integer({ min: 1440, max: 40 * 1440 }),
      fc.integer({ min: 0, max: 2 }),
      fc.boolean(),
      (segments, fromOffset, length, form, inflate) => {
        const from = DAY + fromOffset;
        const { peaks, stats } = search(segments, from, from + length, inflate ? (i) => i % 2 : () => 0, form);
        if (stats.expanded > 8) onePass++;
        assert.deepEqual(peaks, peaksOfSum(segments, from, from + length));
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(onePass > 0, 'some runs expanded more than 8 days, so the one-pass rest ran');
});

test('a key with many curves skips the day level and stays exact', () => {
  fc.assert(
    fc.property(
      spreadSegments(['cdn'], 20, 30, { minLength: 65, maxLength: 90 }),
      fc.integer({ min: -90, max: 1440 }),
      fc.integer({ min: 60, max: 20 * 1440 }),
      fc.integer({ min: 0, max: 2 }),
      fc.boolean(),
      (segments, fromOffset, length, form, inflate) => {
        const from = DAY + fromOffset;
        const { peaks, stats } = search(segments, from, from + length, inflate ? (i) => i % 3 : () => 0, form);
        assert.equal(stats.expanded, stats.days, 'every day with viewers expanded at once');
        assert.deepEqual(peaks, peaksOfSum(segments, from, from + length));
      },
    ),
    { numRuns: 60 },
  );
});

test('an hour whose bound equals the best found must still be visited when it starts earlier', () => {
  // hour 11 bounds 8 (5 + 3, never together) and is summed first: best 5 at 11:00. Hour 9 bounds exactly 5;
  // it holds a 5 at 9:10, earlier, so it must be visited and wins the tie.
  const at = (h: number, m: number) => DAY + h * 60 + m;
  const segments: CurveSpan[] = [
    { key: 'cdn', start: at(9, 10), values: [5] },
    { key: 'cdn', start: at(11, 0), values: [5] },
    { key: 'cdn', start: at(11, 30), values: [3] },
  ];
  const { peaks, stats } = search(segments, DAY, DAY + 1440);
  assert.deepEqual(peaks, [{ key: 'cdn', minute: at(9, 10), value: 5 }]);
  assert.equal(stats.visited, 2);
  // and a later hour bounding exactly the best is never summed: it could only tie later
  const later: CurveSpan[] = [...segments.slice(1), { key: 'cdn', start: at(20, 0), values: [5] }];
  const r = search(later, DAY, DAY + 1440);
  assert.deepEqual(r.peaks, [{ key: 'cdn', minute: at(11, 0), value: 5 }]);
  assert.equal(r.stats.visited, 1);
});

test('ties across hours go to the earliest minute; the last minute of the range counts, the next does not', () => {
  const from = DAY + 45; // a range starting at :45 (a +05:45 zone's local midnight)
  const to = from + 1440;
  const segments: CurveSpan[] = [
    { key: 'cdn', start: to - 1, values: [9] }, // the range's last minute
    { key: 'cdn', start: to, values: [50] }, // just outside
    { key: 'cdn', start: from - 1, values: [50] }, // just before
    { key: 'rtc', start: from + 600, values: [2, 2] },
    { key: 'rtc', start: from + 300, values: [2] },
  ];
  assert.deepEqual(search(segments, from, to).peaks, [
    { key: 'cdn', minute: to - 1, value: 9 },
    { key: 'rtc', minute: from + 300, value: 2 },
  ]);
});

test('keys without viewers are left out, and nothing is visited without bounds', () => {
  const zeros: CurveSpan[] = [{ key: 'p2p', start: DAY + 10, values: [0, 0, 0] }];
  const r = search(zeros, DAY, DAY + 1440);
  assert.deepEqual(r.peaks, []);
  assert.equal(r.stats.visited, 0);
  const s = new PeakSearch(DAY, DAY + 60, []);
  assert.equal(s.need(), undefined);
  assert.deepEqual(s.peaks(), []);
});

test('the sparse form of hour maxima holds exactly the non-zero hours, and only when at most a third are', () => {
  const naive = (values: ArrayLike<number>) => {
    const at: number[] = [];
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) at.push(i);
    return at.length * 3 > values.length ? undefined : { at, max: at.map((i) => values[i]!) };
  };
  const kinds: ((raw: number[]) => ArrayLike<number>)[] = [
    (raw) => Uint8Array.from(raw),
    (raw) => Uint16Array.from(raw),
    (raw) => Uint32Array.from(raw),
    (raw) => raw,
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...kinds),
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })), { maxLength: 800 }),
      (kind, raw) => {
        const values = kind(raw);
        const got = sparseHours(values);
        const want = naive(values);
        if (!want) return assert.equal(got, undefined);
        assert.ok(got);
        assert.deepEqual([...got.at], want.at);
        assert.deepEqual([...got.max], want.max);
      },
    ),
    { numRuns: 600 },
  );
  // the threshold itself: 256 of 768 non-zero is sparse, 257 is not
  const block = new Uint16Array(768);
  for (let i = 0; i < 256; i++) block[i * 3] = 1000 + i;
  assert.equal(sparseHours(block)?.at.length, 256);
  block[1] = 7;
  assert.equal(sparseHours(block), undefined);
});
