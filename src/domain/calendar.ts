/**
 * Calendar math in a deployment time zone, on epoch minutes (ms / 60000).
 * Days are the zone's local days: a day spans [local 00:00, next local 00:00), which is 1440 minutes
 * except across a DST change. Pure: no I/O, no clock.
 */
export const MINUTE_MS = 60_000;
export const DAY_MINUTES = 1440;

export { addDays, daysBetween, formatYmd, type Ymd } from '@live-ccv/client/contract';
import { addDays, formatYmd, type Ymd } from '@live-ccv/client/contract';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalTime extends Ymd {
  hh: number;
  mm: number;
  ss: number;
}

export function toLocal(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    y: parts.year ?? 1970,
    m: parts.month ?? 1,
    d: parts.day ?? 1,
    hh: parts.hour ?? 0,
    mm: parts.minute ?? 0,
    ss: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at instant ms, in ms (east positive). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const l = toLocal(ms, timeZone);
  const asUtc = Date.UTC(l.y, l.m - 1, l.d, l.hh, l.mm, l.ss);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/** Epoch ms of a local wall-clock time; for a time skipped by DST, the instant just after the gap. */
export function localToEpochMs(l: Ymd & { hh?: number; mm?: number; ss?: number }, timeZone: string): number {
  const wall = Date.UTC(l.y, l.m - 1, l.d, l.hh ?? 0, l.mm ?? 0, l.ss ?? 0);
  let guess = wall - zoneOffsetMs(wall, timeZone);
  for (let i = 0; i < 3; i++) {
    const next = wall - zoneOffsetMs(guess, timeZone);
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

const dayStartCache = new Map<string, number>();
/** Epoch ms of local 00:00 of the given day. */
export function dayStartMs(day: Ymd, timeZone: string): number {
  const key = `${timeZone}|${day.y}-${day.m}-${day.d}`;
  let v = dayStartCache.get(key);
  if (v === undefined) {
    v = localToEpochMs(day, timeZone);
    if (dayStartCache.size > 100_000) dayStartCache.clear();
    dayStartCache.set(key, v);
  }
  return v;
}

/** The epoch-minute range [from, to) of the local days start..end inclusive. */
export function dayRangeMinutes(start: Ymd, end: Ymd, timeZone: string): { from: number; to: number } {
  return {
    from: dayStartMs(start, timeZone) / MINUTE_MS,
    to: dayStartMs(addDays(end, 1), timeZone) / MINUTE_MS,
  };
}

/** Local `yyyy-MM-dd` and `HH:mm` of an epoch minute. */
export function labelMinute(epochMinute: number, timeZone: string): { day: string; minute: string } {
  const l = toLocal(epochMinute * MINUTE_MS, timeZone);
  return {
    day: formatYmd(l),
    minute: `${String(l.hh).padStart(2, '0')}:${String(l.mm).padStart(2, '0')}`,
  };
}
