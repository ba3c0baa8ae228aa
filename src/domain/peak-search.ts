/**
 * The peak of a per-minute sum without summing every minute. Pure: no I/O.
 *
 * Promise (exactness): for each key, the answer is the largest per-minute sum over [from, to) of the
 * curves given and the earliest minute reaching it, exactly what summing every minute (peaksOfSum in
 * ./peak.ts) answers, provided every hour maximum given is at least the largest value of its curve in
 * that UTC hour. test/summary-property.test.ts checks it against a brute-force oracle (ties at the bound,
 * ties across hours, DST and non-hour zone offsets, keys without viewers).
 *
 * How: the sum of the curves' hourly maxima bounds every minute of that hour. Hours are visited in falling
 * order of that bound (the earlier hour first when bounds are equal) and only their minutes are summed
 * exactly. The search stops at the first hour whose bound is below the best exact sum found, or equal to
 * it but starting after the best minute: such an hour could at most tie, later, and ties go to the earliest
 * minute. Minute curves are asked for hour by hour, only for the hours it visits (and only the curves with
 * viewers in that hour matter), so a caller holding only the (small) hour maxima reads few minute curves.
 */
import type { Peak, CurveSpan } from './peak.js';

export const HOUR_MINUTES = 60;
export const DAY_HOURS = 24;

/** Hour maxima of one curve: values[i] bounds the curve over the UTC hour `start + i` (epoch hours). */
export interface HourSpan {
  key: string;
  /** epoch hour (epoch minute / 60) of values[0] */
  start: number;
  values: ArrayLike<number>;
  /**
   * The same maxima as (offset, value) pairs of the non-zero hours, when most are zero (an account live a
   * few hours a day): the bounds then cost one add per live hour instead of one per hour.
   */
  sparse?: SparseHours;
}

export interface SparseHours {
  at: Uint16Array;
  max: Uint32Array;
}

/** The non-zero hours of hour maxima, or undefined when more than a third of them are non-zero. */
export function sparseHours(values: ArrayLike<number>): SparseHours | undefined {
  const limit = Math.floor(values.length / 3);
  if (scratchAt.length < limit) {
    scratchAt = new Uint16Array(limit);
    scratchMax = new Uint32Array(limit);
  }
  const n =
    values instanceof Uint8Array
      ? nonZeroU8(values, limit)
      : values instanceof Uint16Array
        ? nonZeroU16(values, limit)
        : values instanceof Uint32Array
          ? nonZeroU32(values, limit)
          : nonZeroAny(values, limit);
  if (n < 0) return undefined;
  return { at: scratchAt.slice(0, n), max: scratchMax.slice(0, n) };
}

// One pass over the maxima into these, then one copy of the few found: the cold summary derives the sparse
// form of every block it reads (thousands), so this loop is on its path. One copy per element type, as below.
let scratchAt = new Uint16Array(256);
let scratchMax = new Uint32Array(256);

/** Writes the non-zero (offset, value) pairs into the scratch arrays; their count, or -1 past `limit`. */
function nonZeroU8(values: Uint8Array, limit: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) continue;
    if (n === limit) return -1;
    scratchAt[n] = i;
    scratchMax[n++] = v;
  }
  return n;
}
function nonZeroU16(values: Uint16Array, limit: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) continue;
    if (n === limit) return -1;
    scratchAt[n] = i;
    scratchMax[n++] = v;
  }
  return n;
}
function nonZeroU32(values: Uint32Array, limit: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) continue;
    if (n === limit) return -1;
    scratchAt[n] = i;
    scratchMax[n++] = v;
  }
  return n;
}
function nonZeroAny(values: ArrayLike<number>, limit: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) continue;
    if (n === limit) return -1;
    scratchAt[n] = i;
    scratchMax[n++] = v;
  }
  return n;
}

function addSparse(target: Float64Array, start: number, sparse: SparseHours, from: number, to: number): void {
  const { at, max } = sparse;
  for (let k = 0; k < at.length; k++) {
    const h = start + at[k]!;
    if (h >= from && h < to) target[h - from]! += max[k]!;
  }
}

/** What a search did, for benchmarks and metrics. */
export interface SearchStats {
  /** hours with any viewers in the range, over all keys */
  hours: number;
  /** hours whose minutes were summed */
  visited: number;
  /** hours whose minute curves were asked for (each visited hour, once) */
  reads: number;
}

interface KeyState {
  key: string;
  /** per hour of the range: the sum of the curves' maxima in that hour */
  bound: Float64Array;
  /** max-heap of hour indexes by (bound desc, hour asc) */
  heap: Int32Array;
  size: number;
  best: number;
  bestMinute: number;
  done: boolean;
  /** minute curves of this key by epoch hour, for the hours given so far */
  curves: Map<number, CurveSpan[]>;
}

const NO_SPANS: readonly CurveSpan[] = [];

/**
 * Adds values[lo..hi) into target at target index i - shift. One copy per element type keeps each loop
 * monomorphic: a loop seeing three typed-array kinds runs several times slower.
 */
function addU8(target: Float64Array, values: Uint8Array, lo: number, hi: number, shift: number): void {
  for (let i = lo; i < hi; i++) target[i - shift]! += values[i]!;
}
function addU16(target: Float64Array, values: Uint16Array, lo: number, hi: number, shift: number): void {
  for (let i = lo; i < hi; i++) target[i - shift]! += values[i]!;
}
function addU32(target: Float64Array, values: Uint32Array, lo: number, hi: number, shift: number): void {
  for (let i = lo; i < hi; i++) target[i - shift]! += values[i]!;
}
function addAny(target: Float64Array, values: ArrayLike<number>, lo: number, hi: number, shift: number): void {
  for (let i = lo; i < hi; i++) target[i - shift]! += values[i]!;
}

/**
 * Adds the part of a curve (values[0] at `start`) inside [from, to) into target, where target[0] is
 * `from`. Units are whatever both use (minutes or hours).
 */
export function addRange(target: Float64Array, start: number, values: ArrayLike<number>, from: number, to: number): void {
  const lo = Math.max(start, from) - start;
  const hi = Math.min(start + values.length, to) - start;
  if (hi <= lo) return;
  const shift = from - start;
  if (values instanceof Uint8Array) addU8(target, values, lo, hi, shift);
  else if (values instanceof Uint16Array) addU16(target, values, lo, hi, shift);
  else if (values instanceof Uint32Array) addU32(target, values, lo, hi, shift);
  else addAny(target, values, lo, hi, shift);
}

export class PeakSearch {
  private readonly states: KeyState[] = [];
  private readonly firstHour: number;
  private readonly loaded = new Set<number>();
  private readonly scratch = new Float64Array(HOUR_MINUTES);
  private visited = 0;
  private hours = 0;

  /** `hours`: the hour maxima of every curve to sum; keys without any are absent from the answer. */
  constructor(
    private readonly from: number,
    private readonly to: number,
    hours: Iterable<HourSpan>,
  ) {
    this.firstHour = Math.floor(from / HOUR_MINUTES);
    const count = to > from ? Math.floor((to - 1) / HOUR_MINUTES) - this.firstHour + 1 : 0;
    const byKey = new Map<string, KeyState>();
    for (const seg of hours) {
      if (count === 0) break;
      let state = byKey.get(seg.key);
      if (!state) {
        state = {
          key: seg.key,
          bound: new Float64Array(count),
          heap: new Int32Array(0),
          size: 0,
          best: 0,
          bestMinute: Number.POSITIVE_INFINITY,
          done: false,
          curves: new Map(),
        };
        byKey.set(seg.key, state);
      }
      if (seg.sparse) addSparse(state.bound, seg.start, seg.sparse, this.firstHour, this.firstHour + count);
      else addRange(state.bound, seg.start, seg.values, this.firstHour, this.firstHour + count);
    }
    for (const state of [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      let n = 0;
      for (let h = 0; h < count; h++) if (state.bound[h]! > 0) n++;
      state.heap = new Int32Array(n);
      for (let h = 0, i = 0; h < count; h++) if (state.bound[h]! > 0) state.heap[i++] = h;
      state.size = n;
      for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(state, i);
      this.hours += n;
      this.states.push(state);
    }
  }

  /**
   * Advances every key as far as the minute curves given allow. Returns the next epoch hour (epoch minute /
   * 60) whose minute curves are needed, or undefined when every key's peak is settled.
   */
  need(): number | undefined {
    for (const state of this.states) {
      if (state.done) continue;
      const day = this.advance(state);
      if (day !== undefined) return day;
    }
    return undefined;
  }

  /**
   * The minute curves with viewers in one epoch hour (every key); curves may extend beyond the hour, and
   * curves without viewers in it may be left out, as their hour maxima are zero.
   */
  give(hour: number, spans: Iterable<CurveSpan>): void {
    if (this.loaded.has(hour)) return;
    this.loaded.add(hour);
    const byKey = new Map<string, CurveSpan[]>();
    for (const seg of spans) {
      const list = byKey.get(seg.key);
      if (list) list.push(seg);
      else byKey.set(seg.key, [seg]);
    }
    for (const state of this.states) {
      const list = byKey.get(state.key);
      if (list) state.curves.set(hour, list);
    }
  }

  /** The settled peaks, sorted by key; keys whose sum never rises above zero are left out. */
  peaks(): Peak[] {
    const out: Peak[] = [];
    for (const s of this.states) {
      if (!s.done) throw new Error('PeakSearch.peaks() before the search finished (need() must return undefined first)');
      if (s.best > 0) out.push({ key: s.key, minute: s.bestMinute, value: s.best });
    }
    return out;
  }

  stats(): SearchStats {
    return { hours: this.hours, visited: this.visited, reads: this.loaded.size };
  }

  private advance(state: KeyState): number | undefined {
    while (state.size > 0) {
      const h = state.heap[0]!;
      const bound = state.bound[h]!;
      const hourStart = (this.firstHour + h) * HOUR_MINUTES;
      if (bound < state.best || (bound === state.best && Math.max(hourStart, this.from) > state.bestMinute)) break;
      const hour = this.firstHour + h;
      if (!this.loaded.has(hour)) return hour;
      this.pop(state);
      this.visit(state, hour);
    }
    state.done = true;
    return undefined;
  }

  /** Sums the hour's minutes exactly and keeps the earliest largest. */
  private visit(state: KeyState, hour: number): void {
    this.visited++;
    const hourStart = hour * HOUR_MINUTES;
    const lo = Math.max(hourStart, this.from);
    const hi = Math.min(hourStart + HOUR_MINUTES, this.to);
    const sums = this.scratch;
    sums.fill(0);
    for (const seg of state.curves.get(hour) ?? NO_SPANS) {
      if (seg.start < hi && seg.start + seg.values.length > lo) addRange(sums, seg.start, seg.values, lo, hi);
    }
    let index = 0;
    let value = sums[0]!;
    for (let i = 1, n = hi - lo; i < n; i++) {
      if (sums[i]! > value) {
        value = sums[i]!;
        index = i;
      }
    }
    const minute = lo + index;
    if (value > state.best || (value > 0 && value === state.best && minute < state.bestMinute)) {
      state.best = value;
      state.bestMinute = minute;
    }
  }

  /** a comes before b: larger bound, or the same bound and an earlier hour */
  private static before(bound: Float64Array, a: number, b: number): boolean {
    const x = bound[a]!;
    const y = bound[b]!;
    return x > y || (x === y && a < b);
  }

  private siftDown(state: KeyState, i: number): void {
    const { heap, bound, size } = state;
    const item = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && PeakSearch.before(bound, heap[child + 1]!, heap[child]!)) child++;
      if (!PeakSearch.before(bound, heap[child]!, item)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = item;
  }

  private pop(state: KeyState): void {
    state.size--;
    if (state.size > 0) {
      state.heap[0] = state.heap[state.size]!;
      this.siftDown(state, 0);
    }
  }
}

/** Runs a search to the end with a synchronous source of the minute curves with viewers in an epoch hour. */
export function searchPeaks(search: PeakSearch, hourCurves: (hour: number) => Iterable<CurveSpan>): Peak[] {
  for (let hour = search.need(); hour !== undefined; hour = search.need()) search.give(hour, hourCurves(hour));
  return search.peaks();
}

/** The same with an asynchronous source (a database round trip per day). */
export async function searchPeaksAsync(
  search: PeakSearch,
  hourCurves: (hour: number) => Promise<Iterable<CurveSpan>>,
): Promise<Peak[]> {
  for (let hour = search.need(); hour !== undefined; hour = search.need()) search.give(hour, await hourCurves(hour));
  return search.peaks();
}
