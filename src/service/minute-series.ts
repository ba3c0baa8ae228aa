/**
 * Per-minute viewer series in POLYV's item shape, from curve segments. Pure: no I/O, no clock.
 *
 * The v3 family counts every pull type together, so segments are summed under one key whatever their
 * pull type; narrowing to one pull type is the store read's job.
 */
import {
  addDays,
  daysBetween,
  dayStartMs,
  formatYmd,
  labelMinute,
  MINUTE_MS,
  zoneOffsetMs,
  type Ymd,
} from '../domain/calendar.js';
import { firstMax, sumByKey, type CurveSpan } from '../domain/peak.js';

/** One item of the family's answers, fields in POLYV's order. */
export interface ViewerPoint {
  day: string;
  minute: string;
  viewers: number;
}

/** Sum of every segment over the epoch-minute range [from, to), all pull types together. */
export function totalOf(segments: Iterable<CurveSpan>, from: number, to: number): Float64Array {
  const all = function* () {
    for (const s of segments) yield { key: '', start: s.start, values: s.values };
  };
  return sumByKey(all(), from, to).get('') ?? new Float64Array(Math.max(0, to - from));
}

const pad = (n: number) => String(n).padStart(2, '0');
/** "HH:mm" of each minute of a wall-clock day, built once: a 2-month series labels 89,280 minutes. */
const WALL_LABELS = Array.from({ length: 1440 }, (_, i) => `${pad(Math.floor(i / 60))}:${pad(i % 60)}`);

/**
 * One point per epoch minute of [from, to), ascending, labelled in the zone. Labels are computed from the
 * day's UTC offset, asking the zone database minute by minute only on a day whose offset changes (a DST
 * day), where the wall clock skips or repeats an hour: the series stays in time order, so a repeated
 * hour's labels appear twice and a skipped hour's never.
 */
export function minutePoints(total: ArrayLike<number>, from: number, to: number, start: Ymd, timeZone: string): ViewerPoint[] {
  const points: ViewerPoint[] = [];
  for (let day = start; ; day = addDays(day, 1)) {
    const dayFrom = Math.max(from, dayStartMs(day, timeZone) / MINUTE_MS);
    const dayTo = Math.min(to, dayStartMs(addDays(day, 1), timeZone) / MINUTE_MS);
    if (dayFrom >= to) break;
    const offset = zoneOffsetMs(dayFrom * MINUTE_MS, timeZone) / MINUTE_MS;
    const steady = Number.isInteger(offset) && zoneOffsetMs((dayTo - 1) * MINUTE_MS, timeZone) / MINUTE_MS === offset;
    const label = formatYmd(day);
    for (let m = dayFrom; m < dayTo; m++) {
      const viewers = total[m - from] ?? 0;
      if (steady) {
        points.push({ day: label, minute: WALL_LABELS[(((m + offset) % 1440) + 1440) % 1440]!, viewers });
      } else {
        points.push({ ...labelMinute(m, timeZone), viewers });
      }
    }
  }
  return points;
}

/** One point per local day start..end: that day's peak (0 without data), minute "00:00". */
export function dailyPeaks(total: Float64Array, from: number, start: Ymd, end: Ymd, timeZone: string): ViewerPoint[] {
  const points: ViewerPoint[] = [];
  for (let i = 0, n = daysBetween(start, end); i <= n; i++) {
    const day = addDays(start, i);
    const lo = dayStartMs(day, timeZone) / MINUTE_MS - from;
    const hi = dayStartMs(addDays(day, 1), timeZone) / MINUTE_MS - from;
    points.push({ day: formatYmd(day), minute: '00:00', viewers: peakOf(total.subarray(lo, hi)) });
  }
  return points;
}

/** Largest value of the series, 0 for an empty one. */
export function peakOf(total: ArrayLike<number>): number {
  return Math.max(0, firstMax(total)?.value ?? 0);
}
