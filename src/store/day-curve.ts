/**
 * The storage unit of concurrency: one UTC day of per-minute CCV for one channel (or user) and pull type,
 * kept as the span [off, off + values.length) of the day's 1440 minutes that holds non-zero values.
 * Sparse accounts (live a few hours a day) store a few hundred numbers per day instead of 1440 rows.
 * Encoded as little-endian uint32 so every adapter (SQLite BLOB, PostgreSQL bytea) shares one codec.
 */
import { DAY_MINUTES } from '../domain/calendar.js';

/** A curve's values in the narrowest unsigned width that holds its largest value. */
export type CurveValues = Uint8Array | Uint16Array | Uint32Array;

export interface DayCurve {
  /** first minute of the UTC day held in values */
  off: number;
  values: CurveValues;
}

/**
 * Encoded as a 4-byte header (byte 0: bytes per value, 1, 2 or 4) and the values in that width, native
 * (little-endian) order. Most channels and users stay under 256 or 65,536 viewers a minute, so a day is
 * usually 1/4 or 1/2 of its uint32 size: the summary reads (and adds) that much less.
 */
const HEADER = 4;

export function encodeValues(values: ArrayLike<number>): Buffer {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  const width = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
  // Buffer.alloc is never pooled, so the values after the header are aligned for their width.
  const bytes = Buffer.alloc(HEADER + values.length * width);
  bytes[0] = width;
  view(bytes, width, values.length, HEADER).set(values);
  return bytes;
}

export function decodeValues(bytes: Uint8Array): CurveValues {
  // an empty value is a row with no values yet (PostgresStore's lock placeholder)
  if (bytes.byteLength === 0) return new Uint8Array(0);
  const width = bytes[0];
  if (width !== 1 && width !== 2 && width !== 4) throw new Error(`corrupt day curve: value width ${String(width)}`);
  const length = (bytes.byteLength - HEADER) / width;
  if ((bytes.byteOffset + HEADER) % width === 0) return view(bytes, width, length, HEADER);
  return view(Uint8Array.from(bytes), width, length, HEADER);
}

function view(bytes: Uint8Array, width: 1 | 2 | 4, length: number, at: number): CurveValues {
  const offset = bytes.byteOffset + at;
  if (width === 1) return new Uint8Array(bytes.buffer, offset, length);
  if (width === 2) return new Uint16Array(bytes.buffer, offset, length);
  return new Uint32Array(bytes.buffer, offset, length);
}

/**
 * Applies minute updates (minute of day -> new value) to a day curve. Returns the new curve (undefined
 * when the day became all zeros) and the per-minute change, which owners' curves then add.
 */
export function applyUpdates(
  current: DayCurve | undefined,
  updates: Map<number, number>,
): { next: DayCurve | undefined; deltas: Map<number, number> } {
  const full = new Uint32Array(DAY_MINUTES);
  if (current) full.set(current.values, current.off);
  const deltas = new Map<number, number>();
  for (const [minute, value] of updates) {
    const delta = value - full[minute]!;
    if (delta !== 0) {
      deltas.set(minute, delta);
      full[minute] = value;
    }
  }
  return { next: trim(full), deltas };
}

/** Adds signed per-minute changes to a curve (an owner's sum of its channels). */
export function addDeltas(current: DayCurve | undefined, deltas: Map<number, number>): DayCurve | undefined {
  const full = new Uint32Array(DAY_MINUTES);
  if (current) full.set(current.values, current.off);
  for (const [minute, delta] of deltas) full[minute] = Math.max(0, full[minute]! + delta);
  return trim(full);
}

/** Adds (sign 1) or subtracts (sign -1) a whole curve, used when a channel changes owner. */
export function addCurve(current: DayCurve | undefined, other: DayCurve, sign: 1 | -1): DayCurve | undefined {
  const deltas = new Map<number, number>();
  other.values.forEach((v, i) => {
    if (v !== 0) deltas.set(other.off + i, sign * v);
  });
  return addDeltas(current, deltas);
}

function trim(full: Uint32Array): DayCurve | undefined {
  let lo = 0;
  while (lo < full.length && full[lo] === 0) lo++;
  if (lo === full.length) return undefined;
  let hi = full.length;
  while (full[hi - 1] === 0) hi--;
  return { off: lo, values: full.slice(lo, hi) };
}
