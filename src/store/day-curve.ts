/**
 * The storage unit of concurrency: one UTC day of per-minute CCV for one channel (or user) and pull type,
 * kept as the span [off, off + values.length) of the day's 1440 minutes that holds non-zero values.
 * Sparse accounts (live a few hours a day) store a few hundred numbers per day instead of 1440 rows.
 * One codec (below) serves every adapter (SQLite BLOB, PostgreSQL bytea).
 */

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
  valuesView(bytes.buffer, width, bytes.byteOffset + HEADER, values.length).set(values);
  return bytes;
}

export function decodeValues(bytes: Uint8Array): CurveValues {
  // an empty value is a row with no values yet (PostgresStore's lock placeholder)
  if (bytes.byteLength === 0) return new Uint8Array(0);
  const width = bytes[0];
  if (width !== 1 && width !== 2 && width !== 4) throw new Error(`corrupt day curve: value width ${String(width)}`);
  const length = (bytes.byteLength - HEADER) / width;
  if ((bytes.byteOffset + HEADER) % width === 0) return valuesView(bytes.buffer, width, bytes.byteOffset + HEADER, length);
  return valuesView(Uint8Array.from(bytes).buffer, width, HEADER, length);
}

/** `length` values of a width over a buffer, from a byte offset the width divides. */
export function valuesView(buffer: ArrayBufferLike, width: 1 | 2 | 4, byteOffset: number, length: number): CurveValues {
  if (width === 1) return new Uint8Array(buffer, byteOffset, length);
  if (width === 2) return new Uint16Array(buffer, byteOffset, length);
  return new Uint32Array(buffer, byteOffset, length);
}

/** A reusable full day: minute of the UTC day -> value, zeros outside the stored span. */
export function toFull(curve: DayCurve | undefined, full: Float64Array): Float64Array {
  full.fill(0);
  if (curve) full.set(curve.values, curve.off);
  return full;
}

/**
 * The stored form of a full day: the span holding non-zero values, in the narrowest width that holds its
 * largest; undefined when every minute is zero (the row is deleted). Values are clamped at zero, so a
 * subtraction that overshoots (a channel leaving an owner) cannot wrap around.
 */
export function fromFull(full: Float64Array): DayCurve | undefined {
  let lo = 0;
  const n = full.length;
  while (lo < n && !(full[lo]! > 0)) lo++;
  if (lo === n) return undefined;
  let hi = n;
  while (!(full[hi - 1]! > 0)) hi--;
  let max = 0;
  for (let i = lo; i < hi; i++) if (full[i]! > max) max = full[i]!;
  const values = max < 0x100 ? new Uint8Array(hi - lo) : max < 0x10000 ? new Uint16Array(hi - lo) : new Uint32Array(hi - lo);
  for (let i = lo; i < hi; i++) values[i - lo] = Math.max(full[i]!, 0);
  return { off: lo, values };
}

/** full += sign * curve, minute by minute (an owner gaining or losing a channel's day). */
export function addInto(full: Float64Array, curve: DayCurve, sign: 1 | -1): void {
  const { off, values } = curve;
  for (let i = 0; i < values.length; i++) full[off + i]! += sign * values[i]!;
}
