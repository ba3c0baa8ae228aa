/**
 * The peak of a per-minute sum without summing every minute. Pure: no I/O.
 *
 * Promise (exactness): for each key, the answer is the largest per-minute sum over [from, to) of the
 * curves given and the earliest minute reaching it, exactly what summing every minute (peaksOfSum in
 * ./peak.ts) answers, provided every hour maximum given is at least the largest value of its curve in
 * that UTC hour. test/summary-property.test.ts checks it against a brute-force oracle (ties at the bound,
 * ties across hours, DST and non-hour zone offsets, keys without viewers).
 *
 * How: the sum of the curves' hourly maxima bounds every minute of that hour, and the sum of their daily maxima
 * bounds every hour of that day. Days and hours are taken in falling order of their bound (the earlier on equal
 * bounds) from two heaps: a day taken is expanded into its hours' bounds, an hour taken has its minutes summed
 * exactly. The search stops at the first bound below the best exact sum found, or equal to it but starting after
 * the best minute: such a day or hour could at most tie, later, and ties go to the earliest minute. A month's
 * search of a few accounts so adds up the hour bounds of the few days it needs, not all ~750 hours of every
 * curve. When day bounds are loose (many days expanded, or many accounts: their day maxima fall at different
 * hours), the rest of the hours are added in one pass, as cheap as without days.
 * Minute curves are asked for hour by hour, only for the hours it visits (and only the curves with viewers in
 * that hour matter), so a caller holding only the (small) maxima reads few minute curves.
 */
import type { Peak, CurveSpan } from './peak.js';

export const HOUR_MINUTES = 60;
export const DAY_HOURS = 24;
const DAY_MINUTES = DAY_HOURS * HOUR_MINUTES;
/** Keys with more curves than this skip the day level (see the constructor). */
const DAY_LEVEL_MAX_SPANS = 64;
/**
 * Days of one key expanded one by one at most; more, or more days than this still bounding at least the best
 * found, and the rest are expanded in one pass.
 */
const EXPAND_ONE_BY_ONE = 8;

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
  /** the same maxima per UTC day, when `start` is a UTC midnight (made once with a cached block) */
  days?: DaySpan;
}

/** Day maxima: values[i] bounds a curve over the UTC day `start + i` (epoch days). */
export interface DaySpan {
  start: number;
  values: Uint32Array;
}

/** The day maxima of hour maxima starting at a UTC midnight (epoch hour `start`, a multiple of 24). */
export function dayMaximaOf(start: number, values: ArrayLike<number>): DaySpan {
  const out = new Uint32Array(Math.ceil(values.length / DAY_HOURS));
  for (let i = 0; i < values.length; i++) {
    const d = (i / DAY_HOURS) | 0;
    if (values[i]! > out[d]!) out[d] = values[i]!;
  }
  return { start: start / DAY_HOURS, values: out };
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

/** Adds the sparse maxima of the epoch hours in [lo, hi) into target, where target[0] is epoch hour `base`. */
function addSparse(target: Float64Array, start: number, sparse: SparseHours, base: number, lo: number, hi: number): void {
  const { at, max } = sparse;
  // `at` ascends: the first pair at or after lo, by bisection (a day's few pairs, not the whole block's)
  let a = 0;
  let b = at.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (start + at[m]! < lo) a = m + 1;
    else b = m;
  }
  for (let k = a; k < at.length; k++) {
    const h = start + at[k]!;
    if (h >= hi) break;
    target[h - base]! += max[k]!;
  }
}

/**
 * Adds a span's day maxima (the largest of each UTC day's hours, inside the range or not: still a bound) into
 * target, where target[0] is epoch day `firstDay`, for the days up to `lastDay`.
 */
function addDayMaxima(target: Float64Array, span: HourSpan, firstDay: number, lastDay: number): void {
  if (span.days) {
    addRange(target, span.days.start, span.days.values, firstDay, lastDay + 1);
    return;
  }
  // from the hour maxima themselves (a sparse span holds them too): spans made without day maxima
  const { start, values } = span;
  const lo = Math.max(start, firstDay * DAY_HOURS);
  const hi = Math.min(start + values.length, (lastDay + 1) * DAY_HOURS);
  for (let h = lo; h < hi; ) {
    const d = Math.floor(h / DAY_HOURS);
    const end = Math.min(hi, (d + 1) * DAY_HOURS);
    let top = 0;
    for (; h < end; h++) if (values[h - start]! > top) top = values[h - start]!;
    if (top > 0) target[d - firstDay]! += top;
  }
}

/** What a search did, for benchmarks and metrics. */
export interface SearchStats {
  /** UTC days with any viewers in the range, over all keys */
  days: number;
  /** days whose hour bounds were added up (the others were passed over on their day bound alone) */
  expanded: number;
  /** hours whose minutes were summed */
  visited: number;
  /** hours whose minute curves were asked for (each visited hour, once) */
  reads: number;
}

interface KeyState {
  key: string;
  /** the key's hour maxima, as given */
  spans: HourSpan[];
  /** per UTC day of the range: the sum of the curves' maxima in that day */
  dayBound: Float64Array;
  /** max-heap of the days not expanded yet, by (bound desc, day asc) */
  dayHeap: Int32Array;
  daySize: number;
  /** days expanded one by one so far */
  expanded: number;
  /** per hour of the range: the sum of the curves' maxima in that hour, for the days expanded */
  hourBound: Float64Array;
  /** max-heap of the expanded days' hours not visited yet, by (bound desc, hour asc) */
  hourHeap: Int32Array;
  hourSize: number;
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
 * `base` (by default `from`). Units are whatever both use (minutes, hours or days).
 */
export function addRange(
  target: Float64Array,
  start: number,
  values: ArrayLike<number>,
  from: number,
  to: number,
  base = from,
): void {
  const lo = Math.max(start, from) - start;
  const hi = Math.min(start + values.length, to) - start;
  if (hi <= lo) return;
  const shift = base - start;
  if (values instanceof Uint8Array) addU8(target, values, lo, hi, shift);
  else if (values instanceof Uint16Array) addU16(target, values, lo, hi, shift);
  else if (values instanceof Uint32Array) addU32(target, values, lo, hi, shift);
  else addAny(target, values, lo, hi, shift);
}

/**
 * Typed arrays lent to one search at a time by a caller that runs its searches one after another (a store's reader):
 * a typed array over 64 bytes costs ~0.3 µs to allocate, and a month's search of a few accounts needed ~4 µs of
 * them. Each search takes its buffers afresh (zeroed, maybe longer than asked): starting a search with the arena
 * hands every buffer out again, so no two searches may use one arena at once.
 */
export class SearchArena {
  private readonly f64s: Float64Array[] = [];
  private readonly i32s: Int32Array[] = [];
  private f = 0;
  private i = 0;

  /** Every buffer handed out so far is free again. */
  reset(): void {
    this.f = 0;
    this.i = 0;
  }

  f64(n: number): Float64Array {
    let a = this.f64s[this.f];
    if (!a || a.length < n) this.f64s[this.f] = a = new Float64Array(Math.max(n, 64));
    else a.fill(0, 0, n);
    this.f++;
    return a;
  }

  i32(n: number): Int32Array {
    let a = this.i32s[this.i];
    if (!a || a.length < n) this.i32s[this.i] = a = new Int32Array(Math.max(n, 64));
    this.i++;
    return a;
  }
}

export class PeakSearch {
  private readonly states: KeyState[] = [];
  private readonly firstHour: number;
  /** hours in the range */
  private readonly count: number;
  private readonly firstDay: number;
  private readonly loaded = new Set<number>();
  private readonly scratch: Float64Array;
  private visited = 0;
  private days = 0;
  private expanded = 0;

  /**
   * `hours`: the hour maxima of every curve to sum; keys without any are absent from the answer. `arena`: buffers
   * to take instead of allocating (a caller running one search at a time).
   */
  constructor(
    private readonly from: number,
    private readonly to: number,
    hours: Iterable<HourSpan>,
    private readonly arena?: SearchArena,
  ) {
    arena?.reset();
    this.scratch = this.f64(HOUR_MINUTES);
    this.firstHour = Math.floor(from / HOUR_MINUTES);
    const count = to > from ? Math.floor((to - 1) / HOUR_MINUTES) - this.firstHour + 1 : 0;
    this.count = count;
    this.firstDay = Math.floor(this.firstHour / DAY_HOURS);
    const lastDay = Math.floor((this.firstHour + count - 1) / DAY_HOURS);
    const dayCount = count > 0 ? lastDay - this.firstDay + 1 : 0;
    const byKey = new Map<string, KeyState>();
    for (const span of hours) {
      if (count === 0) break;
      let state = byKey.get(span.key);
      if (!state) {
        state = {
          key: span.key,
          spans: [],
          dayBound: EMPTY_BOUND,
          dayHeap: EMPTY_HEAP,
          daySize: 0,
          expanded: 0,
          hourBound: EMPTY_BOUND,
          hourHeap: EMPTY_HEAP,
          hourSize: 0,
          best: 0,
          bestMinute: Number.POSITIVE_INFINITY,
          done: false,
          curves: new Map(),
        };
        byKey.set(span.key, state);
      }
      state.spans.push(span);
    }
    for (const state of [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      this.states.push(state);
      // many curves peak at different hours of a day: the sum of their day maxima then bounds the sum loosely,
      // nearly every day would get expanded, and one pass over each curve is cheaper than one per day
      if (state.spans.length > DAY_LEVEL_MAX_SPANS) {
        this.expandAll(state);
        continue;
      }
      state.dayBound = this.f64(dayCount);
      for (const span of state.spans) addDayMaxima(state.dayBound, span, this.firstDay, lastDay);
      let n = 0;
      for (let d = 0; d < dayCount; d++) if (state.dayBound[d]! > 0) n++;
      state.dayHeap = this.i32(n);
      for (let d = 0, i = 0; d < dayCount; d++) if (state.dayBound[d]! > 0) state.dayHeap[i++] = d;
      state.daySize = n;
      for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(state.dayHeap, n, state.dayBound, i);
      this.days += n;
    }
  }

  /**
   * Advances every key as far as the minute curves given allow. Returns the next epoch hour (epoch minute /
   * 60) whose minute curves are needed, or undefined when every key's peak is settled.
   */
  need(): number | undefined {
    for (const state of this.states) {
      if (state.done) continue;
      const hour = this.advance(state);
      if (hour !== undefined) return hour;
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
    const all = Array.isArray(spans) ? (spans as CurveSpan[]) : [...spans];
    // keys are pull types, a few (the deployment's setting): a pass per key, and no map made per hour
    for (const state of this.states) {
      let list: CurveSpan[] | undefined;
      for (const seg of all) if (seg.key === state.key) (list ??= []).push(seg);
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
    return { days: this.days, expanded: this.expanded, visited: this.visited, reads: this.loaded.size };
  }

  /**
   * Takes the larger of the two heaps' tops (a day not expanded yet, or an hour of an expanded one; the earlier
   * on equal bounds) until it can no longer beat the best, or tie it earlier: a day is expanded into its hours,
   * an hour is summed once its minute curves are given.
   */
  private advance(state: KeyState): number | undefined {
    for (;;) {
      const { dayBound, hourBound } = state;
      const d = state.daySize > 0 ? state.dayHeap[0]! : -1;
      const h = state.hourSize > 0 ? state.hourHeap[0]! : -1;
      if (d < 0 && h < 0) break;
      const dayStart = d < 0 ? 0 : Math.max((this.firstDay + d) * DAY_MINUTES, this.from);
      const hourStart = h < 0 ? 0 : Math.max((this.firstHour + h) * HOUR_MINUTES, this.from);
      const takeDay =
        h < 0 || (d >= 0 && (dayBound[d]! > hourBound[h]! || (dayBound[d] === hourBound[h] && dayStart <= hourStart)));
      const bound = takeDay ? dayBound[d]! : hourBound[h]!;
      const start = takeDay ? dayStart : hourStart;
      if (bound < state.best || (bound === state.best && start > state.bestMinute)) break;
      if (takeDay) {
        // loose day bounds (many days expanded, or many still able to reach the best): one pass is cheaper
        if (
          state.expanded >= EXPAND_ONE_BY_ONE ||
          (state.best > 0 && countAtLeast(state.dayHeap, state.daySize, dayBound, state.best) > EXPAND_ONE_BY_ONE)
        ) {
          this.expandRest(state);
        } else {
          state.daySize = pop(state.dayHeap, state.daySize, dayBound);
          this.expand(state, d);
        }
        continue;
      }
      const hour = this.firstHour + h;
      if (!this.loaded.has(hour)) return hour;
      state.hourSize = pop(state.hourHeap, state.hourSize, hourBound);
      this.visit(state, hour);
    }
    state.done = true;
    return undefined;
  }

  /** Adds up the hour bounds of one day of the range and puts its hours with viewers on the hour heap. */
  private expand(state: KeyState, d: number): void {
    this.expanded++;
    state.expanded++;
    if (state.hourBound === EMPTY_BOUND) {
      state.hourBound = this.f64(this.count);
      state.hourHeap = this.i32(this.count);
    }
    const bound = state.hourBound;
    // the day's hours inside the range, as epoch hours [lo, hi)
    const lo = Math.max((this.firstDay + d) * DAY_HOURS, this.firstHour);
    const hi = Math.min((this.firstDay + d + 1) * DAY_HOURS, this.firstHour + this.count);
    const day = this.firstDay + d;
    for (const span of state.spans) {
      if (span.start >= hi || span.start + span.values.length <= lo) continue;
      // a curve without viewers that day adds nothing (most of a sparse account's days)
      const days = span.days;
      if (days && days.values[day - days.start] === 0) continue;
      if (span.sparse) addSparse(bound, span.start, span.sparse, this.firstHour, lo, hi);
      else addRange(bound, span.start, span.values, lo, hi, this.firstHour);
    }
    for (let hour = lo; hour < hi; hour++) {
      const i = hour - this.firstHour;
      if (bound[i]! > 0) state.hourSize = push(state.hourHeap, state.hourSize, bound, i);
    }
  }

  /**
   * Expands every day left at once: the hour bounds of the whole range in one pass over each curve (cheaper than
   * day by day when the day bounds prune little). The hours already on the heap get the same bounds again.
   */
  private expandRest(state: KeyState): void {
    this.expanded += state.daySize;
    const bound = this.hourBounds(state);
    const to = this.firstHour + this.count;
    if (state.hourHeap === EMPTY_HEAP) state.hourHeap = this.i32(this.count);
    state.hourBound = bound;
    const heap = state.hourHeap;
    let n = state.hourSize;
    for (let k = 0; k < state.daySize; k++) {
      const d = state.dayHeap[k]!;
      const lo = Math.max((this.firstDay + d) * DAY_HOURS, this.firstHour);
      const hi = Math.min((this.firstDay + d + 1) * DAY_HOURS, to);
      for (let hour = lo; hour < hi; hour++) if (bound[hour - this.firstHour]! > 0) heap[n++] = hour - this.firstHour;
    }
    // the expanded days' hours keep their places; the heap is made again over all (linear, not a push each)
    for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, n, bound, i);
    state.hourSize = n;
    state.daySize = 0;
  }

  /** A key skipping the day level: every hour with viewers on the hour heap at once (no day was expanded). */
  private expandAll(state: KeyState): void {
    const bound = this.hourBounds(state);
    const heap = this.i32(this.count);
    let n = 0;
    let day = -1;
    for (let i = 0; i < this.count; i++) {
      if (bound[i]! === 0) continue;
      heap[n++] = i;
      const d = Math.floor((this.firstHour + i) / DAY_HOURS);
      if (d !== day) {
        day = d;
        this.days++;
        this.expanded++;
      }
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, n, bound, i);
    state.hourBound = bound;
    state.hourHeap = heap;
    state.hourSize = n;
  }

  /** The hour bounds of the whole range, in one pass over each of the key's curves. */
  private hourBounds(state: KeyState): Float64Array {
    const bound = this.f64(this.count);
    const to = this.firstHour + this.count;
    for (const span of state.spans) {
      if (span.sparse) addSparse(bound, span.start, span.sparse, this.firstHour, this.firstHour, to);
      else addRange(bound, span.start, span.values, this.firstHour, to);
    }
    return bound;
  }

  private f64(n: number): Float64Array {
    return this.arena ? this.arena.f64(n) : new Float64Array(n);
  }

  private i32(n: number): Int32Array {
    return this.arena ? this.arena.i32(n) : new Int32Array(n);
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
}

const EMPTY_BOUND = new Float64Array(0);
const EMPTY_HEAP = new Int32Array(0);

/** a comes before b: larger bound, or the same bound and an earlier index (an earlier day or hour) */
function before(bound: Float64Array, a: number, b: number): boolean {
  const x = bound[a]!;
  const y = bound[b]!;
  return x > y || (x === y && a < b);
}

function siftDown(heap: Int32Array, size: number, bound: Float64Array, i: number): void {
  const item = heap[i]!;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && before(bound, heap[child + 1]!, heap[child]!)) child++;
    if (!before(bound, heap[child]!, item)) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = item;
}

/** How many of the heap's items have a bound of at least `value`. */
function countAtLeast(heap: Int32Array, size: number, bound: Float64Array, value: number): number {
  let n = 0;
  for (let i = 0; i < size; i++) if (bound[heap[i]!]! >= value) n++;
  return n;
}

/** Removes the top; returns the new size. */
function pop(heap: Int32Array, size: number, bound: Float64Array): number {
  const n = size - 1;
  if (n > 0) {
    heap[0] = heap[n]!;
    siftDown(heap, n, bound, 0);
  }
  return n;
}

/** Adds an index; returns the new size. */
function push(heap: Int32Array, size: number, bound: Float64Array, item: number): number {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(bound, item, heap[parent]!)) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = item;
  return size + 1;
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
