/**
 * The concurrency math of docs/api.md, on per-minute curves. Pure: no I/O.
 *
 * A curve span holds consecutive per-minute CCV values starting at an epoch minute. Spans of
 * several channels or users that share a key (a pull type) are summed minute by minute; the peak is the
 * largest sum, and the earliest minute reaching it wins ties.
 */
import type { EpochMinute } from './units.js';

export interface CurveSpan {
  /** what the span is summed under, e.g. the pull type */
  key: string;
  /** epoch minute of values[0] */
  start: EpochMinute;
  values: ArrayLike<number>;
}

export interface Peak {
  key: string;
  /** epoch minute of the earliest minute reaching the peak */
  minute: EpochMinute;
  value: number;
}

/** Adds the part of a span inside [from, from + total.length) into total; false when none is. */
function addInto(total: Float64Array, seg: CurveSpan, from: number, to: number): boolean {
  const lo = Math.max(seg.start, from);
  const hi = Math.min(seg.start + seg.values.length, to);
  if (hi <= lo) return false;
  const values = seg.values;
  const shift = seg.start - from;
  for (let m = lo - from, end = hi - from; m < end; m++) total[m]! += values[m - shift]!;
  return true;
}

/** Sums the spans of every key over the epoch-minute range [from, to), one Float64Array per key. */
export function sumByKey(spans: Iterable<CurveSpan>, from: number, to: number): Map<string, Float64Array> {
  const totals = new Map<string, Float64Array>();
  for (const seg of spans) {
    if (seg.start >= to || seg.start + seg.values.length <= from) continue;
    let total = totals.get(seg.key);
    if (!total) {
      total = new Float64Array(to - from);
      totals.set(seg.key, total);
    }
    addInto(total, seg, from, to);
  }
  return totals;
}

/** Index and value of the first maximum among values[0..length); undefined when length is 0. */
export function firstMax(values: ArrayLike<number>, length = values.length): { index: number; value: number } | undefined {
  if (length === 0) return undefined;
  let index = 0;
  let value = values[0]!;
  for (let i = 1; i < length; i++) {
    const v = values[i]!;
    if (v > value) {
      value = v;
      index = i;
    }
  }
  return { index, value };
}

/**
 * One scratch array reused by every peaksOfSum call (synchronous, so never shared by two at once):
 * a small query otherwise spends more time allocating and collecting off-heap arrays than adding.
 */
let scratch = new Float64Array(0);

/**
 * Peak of the per-minute sum for each key over [from, to), sorted by key. A key whose sum never rises
 * above zero has no viewers in the range and is left out.
 */
export function peaksOfSum(spans: Iterable<CurveSpan>, from: number, to: number): Peak[] {
  const byKey = new Map<string, CurveSpan[]>();
  for (const seg of spans) {
    if (seg.start >= to || seg.start + seg.values.length <= from) continue;
    const list = byKey.get(seg.key);
    if (list) list.push(seg);
    else byKey.set(seg.key, [seg]);
  }
  const length = to - from;
  if (scratch.length < length) scratch = new Float64Array(length);
  const peaks: Peak[] = [];
  for (const [key, list] of byKey) {
    scratch.fill(0, 0, length);
    for (const seg of list) addInto(scratch, seg, from, to);
    const max = firstMax(scratch, length);
    if (max && max.value > 0) peaks.push({ key, minute: from + max.index, value: max.value });
  }
  return peaks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
