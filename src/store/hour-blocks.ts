/**
 * Hour maxima of user curves, the bounds the summary's pruned search starts from (src/domain/peak-search.ts).
 *
 * Promise: a stored block always equals, hour by hour, the maxima of the user's stored day curves of its
 * days; both adapters rewrite the block in the same transaction as the curves, from the curves written.
 *
 * One block holds BLOCK_DAYS UTC days x 24 hours of one user and pull type, so the first (cold) summary of
 * 1000 users over 92 days reads about 4,000 small rows of bounds instead of 92,000 day curves, then only
 * the day curves of the hours it visits. Encoded with the day-curve codec (narrowest width).
 */
import { DAY_HOURS, HOUR_MINUTES, type HourSpan } from '../domain/peak-search.js';
import type { CurveValues, DayCurve } from './day-curve.js';

export const BLOCK_DAYS = 32;
export const BLOCK_HOURS = BLOCK_DAYS * DAY_HOURS;

export const blockOf = (day: number) => Math.floor(day / BLOCK_DAYS);

/** The 24 hour maxima of a day curve (zeros for undefined: the day has no viewers). */
export function dayMaxima(curve: DayCurve | undefined): Uint32Array {
  const out = new Uint32Array(DAY_HOURS);
  if (!curve) return out;
  const { off, values } = curve;
  for (let i = 0; i < values.length; i++) {
    const h = ((off + i) / HOUR_MINUTES) | 0;
    if (values[i]! > out[h]!) out[h] = values[i]!;
  }
  return out;
}

/**
 * A block with some days' maxima replaced (day index within the block -> 24 maxima); undefined when the
 * whole block is zeros, so its row is deleted.
 */
export function patchBlock(current: CurveValues | undefined, days: ReadonlyMap<number, Uint32Array>): CurveValues | undefined {
  const full = new Uint32Array(BLOCK_HOURS);
  if (current) full.set(current);
  for (const [d, maxima] of days) full.set(maxima, d * DAY_HOURS);
  return narrowBlock(full);
}

/** A block's hour maxima in the narrowest array that holds them; undefined when all are zero. */
export function narrowBlock(full: Uint32Array): CurveValues | undefined {
  let max = 0;
  for (let i = 0; i < full.length; i++) if (full[i]! > max) max = full[i]!;
  if (max === 0) return undefined;
  if (max < 0x100) return Uint8Array.from(full);
  if (max < 0x10000) return Uint16Array.from(full);
  return full;
}

/** A stored block as the search's hour segment (epoch hours). */
export function blockSpan(pullType: string, block: number, values: CurveValues): HourSpan {
  return { key: pullType, start: block * BLOCK_HOURS, values };
}
