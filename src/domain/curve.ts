/**
 * Curves of summed per-minute CCV, their peaks and who makes up a peak. Pure: no I/O, no clock.
 *
 * The peak rule is the summary's (./peak.ts): the largest sum, the earliest minute reaching it, a key whose sum
 * never rises above zero left out; so a curve's peaks equal peaksOfSum on the same spans.
 */
import { addDays, daysBetween, dayStartMs, formatYmd, MINUTE_MS, type Ymd } from './calendar.js';
import { firstMax, type Peak, type CurveSpan } from './peak.js';

/** The peak of each summed series over [from, from + length), sorted by key; series never above zero left out. */
export function seriesPeaks(totals: ReadonlyMap<string, ArrayLike<number>>, from: number): Peak[] {
  const peaks: Peak[] = [];
  for (const [key, total] of totals) {
    const max = firstMax(total);
    if (max && max.value > 0) peaks.push({ key, minute: from + max.index, value: max.value });
  }
  return peaks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The sum of the spans of one key at one epoch minute (0 when none covers it). */
export function valueAt(spans: Iterable<CurveSpan>, key: string, minute: number): number {
  let v = 0;
  for (const s of spans) {
    const i = minute - s.start;
    if (s.key === key && i >= 0 && i < s.values.length) v += s.values[i]!;
  }
  return v;
}

/** Each local day start..end with the index of its first minute in a series starting at epoch minute `from`. */
export function dayIndexes(start: Ymd, end: Ymd, from: number, timeZone: string): { day: string; index: number }[] {
  const days: { day: string; index: number }[] = [];
  for (let i = 0, n = daysBetween(start, end); i <= n; i++) {
    const day = addDays(start, i);
    days.push({ day: formatYmd(day), index: dayStartMs(day, timeZone) / MINUTE_MS - from });
  }
  return days;
}
