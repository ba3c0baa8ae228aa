import { DAY_MINUTES } from '../domain/calendar.js';
import type { ChannelMinute } from './port.js';

export interface DayUpdates {
  channelId: string;
  pullType: string;
  /** UTC day number (epoch minute / 1440) */
  day: number;
  /** minute of the UTC day -> final CCV; later rows of the input win */
  updates: Map<number, number>;
}

/** Groups minute rows by the day curve they land in, so each curve is read and written once. */
export function groupMinutes(rows: readonly ChannelMinute[]): DayUpdates[] {
  const groups = new Map<string, DayUpdates>();
  for (const r of rows) {
    const day = Math.floor(r.minute / DAY_MINUTES);
    const key = `${r.channelId}\u0000${r.pullType}\u0000${day}`;
    let g = groups.get(key);
    if (!g) {
      g = { channelId: r.channelId, pullType: r.pullType, day, updates: new Map() };
      groups.set(key, g);
    }
    g.updates.set(r.minute - day * DAY_MINUTES, r.ccv);
  }
  return [...groups.values()];
}
