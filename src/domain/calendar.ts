/**
 * Calendar math in a deployment time zone, on epoch minutes (ms / 60000).
 * Days are the zone's local days: a day spans [local 00:00, next local 00:00), which is 1440 minutes
 * except across a DST change. Pure: no I/O, no clock.
 */
export const MINUTE_MS = 60_000;
export const DAY_MINUTES = 1440;

export { addDays, daysBetween, formatYmd, parseYmd, type Ymd } from '@live-ccv/client/contract';
import { addDays, daysBetween, formatYmd, type Ymd } from '@live-ccv/client/contract';

export { toLocal } from '@live-ccv/client/contract';
import { toLocal } from '@live-ccv/client/contract';

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

/** Per zone, epoch ms of local 00:00 by day (y * 10000 + m * 100 + d: no key string built per look-up). */
const dayStartCache = new Map<string, Map<number, number>>();
/** Epoch ms of local 00:00 of the given day. */
export function dayStartMs(day: Ymd, timeZone: string): number {
  let zone = dayStartCache.get(timeZone);
  if (!zone) dayStartCache.set(timeZone, (zone = new Map()));
  const key = day.y * 10_000 + day.m * 100 + day.d;
  let v = zone.get(key);
  if (v === undefined) {
    v = localToEpochMs(day, timeZone);
    if (zone.size > 100_000) zone.clear();
    zone.set(key, v);
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

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * The labels of every epoch minute in [from, to), equal to labelMinute of each, at a fraction of the cost: the
 * zone is asked for its offset once per block of a day, and the minutes of a block whose offset is the same at
 * both ends are labelled with plain arithmetic (a zone does not change its offset and back within a day); a
 * block with a change (a DST day) is labelled minute by minute.
 */
export function labelMinutes(from: number, to: number, timeZone: string): { day: string; minute: string }[] {
  const out: { day: string; minute: string }[] = [];
  const minuteLabels = Array.from({ length: DAY_MINUTES }, (_, i) => `${pad2(Math.floor(i / 60))}:${pad2(i % 60)}`);
  for (let start = from; start < to; start += DAY_MINUTES) {
    const end = Math.min(to, start + DAY_MINUTES);
    const offset = zoneOffsetMs(start * MINUTE_MS, timeZone);
    if (zoneOffsetMs((end - 1) * MINUTE_MS, timeZone) !== offset) {
      for (let m = start; m < end; m++) out.push(labelMinute(m, timeZone));
      continue;
    }
    const shift = offset / MINUTE_MS;
    let dayIndex = Number.NaN;
    let day = '';
    for (let m = start; m < end; m++) {
      const local = m + shift;
      const index = Math.floor(local / DAY_MINUTES);
      if (index !== dayIndex) {
        dayIndex = index;
        const d = new Date(index * DAY_MINUTES * MINUTE_MS);
        day = formatYmd({ y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() });
      }
      out.push({ day, minute: minuteLabels[local - index * DAY_MINUTES]! });
    }
  }
  return out;
}

/** `yyyy-MM-dd HH:mm[:ss] ±HH:MM`: an instant as people of the zone read it, with the offset that makes it exact. */
export function localStamp(ms: number, timeZone: string, seconds = false): string {
  const l = toLocal(ms, timeZone);
  const offset = Math.round(zoneOffsetMs(ms, timeZone) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const time = `${pad2(l.hh)}:${pad2(l.mm)}${seconds ? `:${pad2(l.ss)}` : ''}`;
  return `${formatYmd(l)} ${time} ${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** The local day `yyyy-MM-dd` of an instant. */
export function localDay(ms: number, timeZone: string): string {
  return formatYmd(toLocal(ms, timeZone));
}

/** Days start..end inclusive cut into consecutive runs of at most `size` days. */
export function dayChunks(start: Ymd, end: Ymd, size: number): { start: Ymd; end: Ymd }[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunk size must be a positive integer, got ${size}`);
  const out: { start: Ymd; end: Ymd }[] = [];
  for (let s = start; daysBetween(s, end) >= 0; s = addDays(s, size)) {
    const e = addDays(s, size - 1);
    out.push({ start: s, end: daysBetween(e, end) < 0 ? end : e });
  }
  return out;
}
