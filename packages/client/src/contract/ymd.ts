/**
 * Calendar days as `yyyy-MM-dd`, independent of any time zone. Pure; shared by the contract's parameter checks
 * and the server's calendar math (which adds time zones).
 */
export interface Ymd {
  y: number;
  m: number;
  d: number;
}

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `yyyy-MM-dd`, refusing impossible dates such as 2021-02-30 and years before 1970. */
export function parseYmd(text: string): Ymd | undefined {
  const match = YMD.exec(text);
  if (!match) return undefined;
  const y = Number(match[1]);
  const m = Number(match[2]);
  const d = Number(match[3]);
  if (m < 1 || m > 12 || d < 1 || y < 1970) return undefined;
  const probe = new Date(Date.UTC(y, m - 1, d));
  if (probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) return undefined;
  return { y, m, d };
}

export function formatYmd({ y, m, d }: Ymd): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Days from a to b (b - a), counting calendar days. */
export function daysBetween(a: Ymd, b: Ymd): number {
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000);
}

export function addDays(a: Ymd, n: number): Ymd {
  const t = new Date(Date.UTC(a.y, a.m - 1, a.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

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

/** A wall-clock time in a zone. */
export interface LocalTime extends Ymd {
  hh: number;
  mm: number;
  ss: number;
}

/** The wall-clock time of an instant in an IANA time zone (one cached Intl formatter per zone). */
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
