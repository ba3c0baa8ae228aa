import type { Config } from '../config/config.js';
import { dayRangeMinutes, MINUTE_MS } from '../domain/calendar.js';
import { errors } from '../errors.js';
import type { App, Store } from '../store/port.js';
import { dayRange, idList, USER_ID } from './params.js';

/** One element of the summary's data array, fields in POLYV's order. */
export interface SummaryItem {
  statAt: number;
  peakCCV: string;
  pullType: string;
}

/**
 * The seed endpoint: for each pull type, the peak over every minute of the local days start..end of the
 * per-minute sum across the users' channels, and the earliest minute reaching it (docs/api.md).
 */
export async function summary(
  deps: { store: Store; config: Config },
  app: App,
  params: Record<string, string>,
): Promise<SummaryItem[]> {
  const users = idList(params, 'users', USER_ID, deps.config.maxUsers);
  const { start, end } = dayRange(params, 'start', 'end', deps.config.maxDays);
  const owned = await deps.store.ownedUsers(app.appId, users);
  const foreign = users.find((u) => !owned.has(u));
  if (foreign !== undefined) throw errors.illegalUser(foreign);

  const { from, to } = dayRangeMinutes(start, end, deps.config.timeZone);
  // the store's pruned search (src/domain/peak-search.ts), on a query thread when the store has them
  return (await deps.store.userPeaks(users, from, to)).map((p) => ({
    statAt: p.minute * MINUTE_MS,
    peakCCV: String(p.value),
    pullType: p.key,
  }));
}
