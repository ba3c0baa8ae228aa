/**
 * What the minute closer says about a flush that closed minutes: a debug line with how many minutes
 * closed, how many counts were written and the freshness lag (now minus the end of the last closed
 * minute), and a warning when the store had fallen behind by far more than the allowed lateness explains
 * (a stalled or failing store, a process that was down). Pure: the caller logs and counts.
 */
import { MINUTE_MS } from '../domain/calendar.js';

/** How often the closer runs; part of the lag it explains. */
export const FLUSH_EVERY_MS = 1_000;

export interface FlushFacts {
  /** the flushed watermark (first open epoch minute) before and after this flush */
  before: number;
  after: number;
  /** closed (channel, pull type, minute) counts written */
  rows: number;
  now: number;
  latenessMs: number;
}

export interface FlushReport {
  level: 'debug' | 'warn';
  msg: string;
  fields: { minutesClosed: number; rows: number; lagMs: number; closedThrough: string; behindMs?: number };
}

/**
 * The largest lag a healthy closer shows: a minute closes `lateness` after its end, the check runs every
 * second, and the lag is measured at the end of the minute that closed last. "Far" adds a full minute or
 * the lateness again, whichever is larger.
 */
export function lagWarningMs(latenessMs: number): number {
  return latenessMs + MINUTE_MS + FLUSH_EVERY_MS + Math.max(MINUTE_MS, latenessMs);
}

export function flushReport(f: FlushFacts): FlushReport | undefined {
  if (f.after <= f.before) return undefined;
  // A store's first flush sets the watermark from nothing: it closes no minute anyone counted.
  const minutesClosed = f.before > 0 ? f.after - f.before : 0;
  const fields: FlushReport['fields'] = {
    minutesClosed,
    rows: f.rows,
    lagMs: f.now - f.after * MINUTE_MS,
    closedThrough: new Date((f.after - 1) * MINUTE_MS).toISOString(),
  };
  // The lag before this flush is how stale the stored numbers were. A first flush (no watermark yet) has none.
  const behindMs = f.now - f.before * MINUTE_MS;
  const limit = lagWarningMs(f.latenessMs);
  if (f.before > 0 && behindMs > limit) {
    return {
      level: 'warn',
      msg: `minute closer fell behind: stored minutes were ${Math.round(behindMs / 1000)} s old (at most ${Math.round(limit / 1000)} s expected with lateness ${Math.round(f.latenessMs / 1000)} s); closed ${minutesClosed} minutes now`,
      fields: { ...fields, behindMs },
    };
  }
  const msg =
    f.before > 0
      ? `closed ${minutesClosed} minute${minutesClosed === 1 ? '' : 's'}`
      : `first flush: every minute through ${fields.closedThrough} is closed`;
  return { level: 'debug', msg, fields };
}
