/**
 * Small changes to a stored day curve without materialising the whole day: a CDN's once-a-minute push and
 * the ingest's minute flush set one minute of each channel, and rebuilding 1,440-minute arrays for that costs
 * more than the rest of the write. Pure but for one side table (the used end of the buffers made here, see
 * `appended`). Results equal the full-day path of ./curve-writes.ts (fromFull of the changed day): the same trimmed
 * span, the narrowest width that holds the largest value, zeros clamped.
 */
import { DAY_MINUTES } from '../domain/calendar.js';
import { type CurveValues, type DayCurve, valuesView } from './day-curve.js';

/** Groups up to this many minutes take the patch path; larger ones the full-day path. */
export const PATCH_MAX_MINUTES = 64;

function widthFor(max: number): 1 | 2 | 4 {
  return max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
}

function make(width: 1 | 2 | 4, length: number): CurveValues {
  return width === 1 ? new Uint8Array(length) : width === 2 ? new Uint16Array(length) : new Uint32Array(length);
}

function widthOf(values: CurveValues): 1 | 2 | 4 {
  return values.BYTES_PER_ELEMENT as 1 | 2 | 4;
}

/** The value at a minute of the day (0 outside the stored span). */
export function valueAt(curve: DayCurve | undefined, minute: number): number {
  if (!curve) return 0;
  const i = minute - curve.off;
  return i >= 0 && i < curve.values.length ? curve.values[i]! : 0;
}

/** The curve with some minutes set, in order (a later one for the same minute wins); values in [0, 2^32). */
export function setMinutes(
  curve: DayCurve | undefined,
  minutes: ArrayLike<number>,
  values: ArrayLike<number>,
): DayCurve | undefined {
  return (curve && setInside(curve, minutes, values)) ?? patch(curve, minutes, values);
}

/**
 * The common case without trimming or re-narrowing: every value non-zero and within the width, and no value
 * lowered that needed the width (so the width stays the narrowest); the span may grow to take new minutes
 * (a CDN's push extends the open day by one minute). One copy of the span. Undefined when the general path
 * must decide.
 */
function setInside(curve: DayCurve, minutes: ArrayLike<number>, values: ArrayLike<number>): DayCurve | undefined {
  const old = curve.values;
  const width = widthOf(old);
  const limit = 2 ** (8 * width);
  // a lowered value at or above this may have been what needed the width
  const narrower = width === 1 ? 0 : 2 ** (4 * width);
  let lo = curve.off;
  let hi = curve.off + old.length;
  for (let k = 0; k < minutes.length; k++) {
    const m = minutes[k]!;
    const v = values[k]!;
    if (v === 0 || v >= limit) return undefined;
    if (m < lo) lo = m;
    else if (m >= hi) hi = m + 1;
    else if (narrower > 0 && v < old[m - curve.off]! && old[m - curve.off]! >= narrower) return undefined;
  }
  let out: CurveValues;
  if (lo === curve.off && hi === curve.off + old.length) out = old.slice();
  else if (lo === curve.off && appendsOnly(old, minutes, curve.off + old.length)) {
    return { off: lo, values: appended(old, hi - lo, minutes, values, lo) };
  } else {
    out = make(width, hi - lo);
    out.set(old, curve.off - lo);
  }
  for (let k = 0; k < minutes.length; k++) out[minutes[k]! - lo] = values[k]!;
  return { off: lo, values: out };
}

/**
 * Room after a day's values, so a push extending the day by a minute neither copies the span nor allocates:
 * buffers made here hold the rest of the day, and the end of their used part is kept per buffer. A curve whose
 * values end there takes the new minutes in place, in slots no curve shows yet (every earlier curve's view ends
 * before them), so a reader holding an earlier curve still sees it unchanged. Only the curve at the end may
 * grow in place; any other takes a copy. A cache counts such a curve's values, not the room after them: at most
 * the rest of one day per user-day being pushed. A CDN's push of 1,014 channels patched 250 user days, each a new
 * buffer and a copy of the day (about 1 MB of memory outside the heap a push, for the collector to track and free).
 */
const usedEnd = new WeakMap<ArrayBufferLike, number>();

function appendsOnly(old: CurveValues, minutes: ArrayLike<number>, end: number): boolean {
  for (let k = 0; k < minutes.length; k++) if (minutes[k]! < end) return false;
  return old.length > 0;
}

/** old's values followed by zeros to `length`, with `values` set at `minutes` (each at or after old's end). */
function appended(
  old: CurveValues,
  length: number,
  minutes: ArrayLike<number>,
  values: ArrayLike<number>,
  off: number,
): CurveValues {
  const width = widthOf(old);
  const start = old.byteOffset / width;
  let out: CurveValues;
  if (usedEnd.get(old.buffer) === start + old.length && old.buffer.byteLength / width - start >= length) {
    out = valuesView(old.buffer, width, start * width, length);
  } else {
    // the rest of the day: the pushes of the day to come extend it in place
    const buffer = new ArrayBuffer(Math.max(length, DAY_MINUTES - off) * width);
    out = valuesView(buffer, width, 0, length);
    out.set(old);
  }
  for (let k = 0; k < minutes.length; k++) out[minutes[k]! - off] = values[k]!;
  usedEnd.set(out.buffer, out.byteOffset / width + length);
  return out;
}

/** The curve with signed changes added at some (distinct) minutes, results clamped at zero. */
export function addMinutes(
  curve: DayCurve | undefined,
  minutes: ArrayLike<number>,
  deltas: ArrayLike<number>,
): DayCurve | undefined {
  const next = new Float64Array(minutes.length);
  for (let k = 0; k < minutes.length; k++) next[k] = Math.max(0, valueAt(curve, minutes[k]!) + deltas[k]!);
  return patch(curve, minutes, next);
}

/** The curve with values written at minutes, in order; the span grows to every non-zero one. */
function patch(curve: DayCurve | undefined, minutes: ArrayLike<number>, values: ArrayLike<number>): DayCurve | undefined {
  let lo = curve ? curve.off : Number.POSITIVE_INFINITY;
  let hi = curve ? curve.off + curve.values.length : Number.NEGATIVE_INFINITY;
  let max = 0;
  for (let k = 0; k < minutes.length; k++) {
    const v = values[k]!;
    if (v > 0) {
      lo = Math.min(lo, minutes[k]!);
      hi = Math.max(hi, minutes[k]! + 1);
      if (v > max) max = v;
    }
  }
  if (!(hi > lo)) return undefined;
  return rebuild(curve, lo, hi, max, (out, at) => {
    for (let k = 0; k < minutes.length; k++) {
      const i = minutes[k]! - at;
      if (i >= 0 && i < out.length) out[i] = values[k]!;
    }
  });
}

/**
 * Copies the old values into the span [lo, hi) at the width the old values and `max` need, applies `write`,
 * then trims zero edges and narrows the width when a lowered value might have been the old maximum.
 */
function rebuild(
  curve: DayCurve | undefined,
  lo: number,
  hi: number,
  max: number,
  write: (out: CurveValues, at: number) => void,
): DayCurve | undefined {
  const width = Math.max(curve ? widthOf(curve.values) : 1, widthFor(max)) as 1 | 2 | 4;
  let out = make(width, hi - lo);
  if (curve) out.set(curve.values, curve.off - lo);
  write(out, lo);
  let a = 0;
  let b = out.length;
  while (a < b && out[a] === 0) a++;
  if (a === b) return undefined;
  while (out[b - 1] === 0) b--;
  if (a > 0 || b < out.length) out = out.slice(a, b);
  // the full-day path stores the narrowest width of the final values: narrow when they allow it
  if (width > 1) {
    let top = 0;
    for (let i = 0; i < out.length; i++) if (out[i]! > top) top = out[i]!;
    const need = widthFor(top);
    if (need < width) {
      const narrow = make(need, out.length);
      narrow.set(out);
      out = narrow;
    }
  }
  return { off: lo + a, values: out };
}

/** The largest value of the curve within minutes [hour * 60, hour * 60 + 60) of its day. */
export function hourMax(curve: DayCurve | undefined, hour: number): number {
  if (!curve) return 0;
  const from = Math.max(hour * 60 - curve.off, 0);
  const to = Math.min(hour * 60 + 60 - curve.off, curve.values.length);
  let max = 0;
  for (let i = from; i < to; i++) if (curve.values[i]! > max) max = curve.values[i]!;
  return max;
}
