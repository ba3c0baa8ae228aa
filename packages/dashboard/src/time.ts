/**
 * Local days and minute labels in the deployment's time zone (not the browser's): the API's days are the
 * deployment's, and so must be every label the dashboard shows or downloads.
 */
import { formatYmd, toLocal } from '@live-ccv/client/contract';

export interface Local {
  day: string;
  minute: string;
}

/** The local `yyyy-MM-dd` and `HH:mm` of an instant. */
export function local(ms: number, timeZone: string): Local {
  const l = toLocal(ms, timeZone);
  return { day: formatYmd(l), minute: `${pad(l.hh)}:${pad(l.mm)}` };
}

export const label = (ms: number, timeZone: string): string => {
  const l = local(ms, timeZone);
  return `${l.day} ${l.minute}`;
};

/**
 * Labels of consecutive minutes from `from`: the zone's offset is asked once per quarter hour (every zone changes
 * its offset on a quarter hour), so a quarter of minutes costs ~9,000 lookups, not 132,000.
 */
export function minuteLabels(from: number, count: number, timeZone: string): Local[] {
  const out: Local[] = new Array(count);
  const QUARTER = 15 * 60_000;
  let block = Number.NaN;
  let base: Local | undefined;
  let baseMs = 0;
  for (let i = 0; i < count; i++) {
    const ms = from + i * 60_000;
    const b = Math.floor(ms / QUARTER);
    if (b !== block) {
      block = b;
      baseMs = ms;
      base = local(ms, timeZone);
    }
    const add = (ms - baseMs) / 60_000;
    if (add === 0) out[i] = base!;
    else {
      const [hh, mm] = base!.minute.split(':').map(Number) as [number, number];
      const total = hh * 60 + mm + add;
      // inside a quarter hour the hour never rolls over a day (a quarter starts on :00, :15, :30 or :45)
      out[i] = { day: base!.day, minute: `${pad(Math.floor(total / 60))}:${pad(total % 60)}` };
    }
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Today in the zone, `yyyy-MM-dd`. */
export const today = (timeZone: string, now = Date.now()): string => local(now, timeZone).day;

/** A `yyyy-MM-dd` day moved by n calendar days. */
export function addDays(day: string, n: number): string {
  const t = new Date(`${day}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** Calendar days from a to b (b - a). */
export const daysBetween = (a: string, b: string): number =>
  Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** A duration as people read it: 45 s, 2 min 13 s, 3 h 5 min, 2 d 4 h. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
