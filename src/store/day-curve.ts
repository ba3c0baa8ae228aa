/**
 * The storage unit of concurrency: one UTC day of per-minute CCV for one channel (or user) and pull type,
 * kept as the span [off, off + values.length) of the day's 1440 minutes that holds non-zero values.
 * Sparse accounts (live a few hours a day) store a few hundred numbers per day instead of 1440 rows.
 * Encoded as little-endian uint32 so every adapter (SQLite BLOB, PostgreSQL bytea) shares one codec.
 */
import { DAY_MINUTES } from '../domain/calendar.js';

export interface DayCurve {
  /** first minute of the UTC day held in values */
  off: number;
  values: Uint32Array;
}

export function encodeValues(values: Uint32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

export function decodeValues(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  return new Uint32Array(Uint8Array.from(bytes).buffer);
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
