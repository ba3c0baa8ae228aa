import type { Parsed, summary as summaryEndpoint } from '@live-ccv/client/contract';
import type { Config } from '../config/config.js';
import { dayRangeMinutes, MINUTE_MS } from '../domain/calendar.js';
import { errors } from '../errors.js';
import type { App, CurveStore, TenancyStore } from '../store/port.js';

/** One element of the summary's data array, fields in POLYV's order. */
export interface SummaryItem {
  statAt: number;
  peakCCV: string;
  pullType: string;
}

export type SummaryInput = Parsed<(typeof summaryEndpoint)['params']>;

/**
 * The seed endpoint: for each pull type, the peak over every minute of the local days start..end of the
 * per-minute sum across the users' channels, and the earliest minute reaching it (docs/api.md).
 */
export async function summary(
  deps: { store: Pick<TenancyStore, 'ownedUsers'> & CurveStore; config: Pick<Config, 'timeZone'> },
  app: App,
  { users, start, end }: SummaryInput,
): Promise<SummaryItem[]> {
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
