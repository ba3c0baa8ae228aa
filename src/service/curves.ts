/**
 * Compact per-minute curves (contract: views.ts): the CCV of several users (the summary's curve) or channels summed
 * minute by minute, per pull type, with each series' peak and every account's CCV in the peak minute.
 *
 * Exactness: a series' peakCCV and statAt are the summary's answer for the same users and days (the same store read,
 * CurveStore.readCurves, and the same first-maximum rule), and the shares add up to the peak, since a user's or a
 * channel's stored curve is what the sum is made of. test/curves.test.ts checks both against a brute-force oracle.
 */
import type { channelsCurveParams, Curves, Parsed, usersCurveParams } from '@live-ccv/client/contract';
import type { z } from 'zod';
import type { Config } from '../config/config.js';
import { dayRangeMinutes, MINUTE_MS, type Ymd } from '../domain/calendar.js';
import { dayIndexes, seriesPeaks, valueAt } from '../domain/curve.js';
import { type Peak, sumByKey } from '../domain/peak.js';
import { errors } from '../errors.js';
import type { App, CurveKind, CurveStore, TenancyStore } from '../store/port.js';

export type CurvesAnswer = z.output<typeof Curves>;

export interface CurveDeps {
  store: Pick<TenancyStore, 'ownedUsers' | 'ownedChannels'> & Pick<CurveStore, 'readCurves'>;
  config: Pick<Config, 'timeZone'>;
}

/** Reads of single accounts run this many at a time: enough to hide a database round trip, few enough to share. */
const SHARE_READS = 16;

/** The summary's curve: the users' CCV summed per minute and pull type, each user's CCV at the peaks. */
export async function summaryCurve(
  deps: CurveDeps,
  app: App,
  { users, start, end, pullType }: Parsed<typeof usersCurveParams>,
): Promise<CurvesAnswer> {
  const owned = await deps.store.ownedUsers(app.appId, users);
  const foreign = users.find((u) => !owned.has(u));
  if (foreign !== undefined) throw errors.illegalUser(foreign);
  return curveOf(deps, 'user', users, start, end, pullType);
}

/** Channels summed per minute and pull type, each channel's CCV at the peaks. */
export async function channelsCurve(
  deps: CurveDeps,
  app: App,
  { channelIds, start, end, pullType }: Parsed<typeof channelsCurveParams>,
): Promise<CurvesAnswer> {
  const owned = await deps.store.ownedChannels(app.appId, channelIds);
  const foreign = channelIds.find((c) => !owned.has(c));
  if (foreign !== undefined) throw errors.illegalChannel(foreign);
  return curveOf(deps, 'channel', channelIds, start, end, pullType);
}

async function curveOf(
  deps: CurveDeps,
  kind: CurveKind,
  ids: readonly string[],
  start: Ymd,
  end: Ymd,
  pullType: string | undefined,
): Promise<CurvesAnswer> {
  const timeZone = deps.config.timeZone;
  const { from, to } = dayRangeMinutes(start, end, timeZone);
  const totals = sumByKey(await deps.store.readCurves(kind, ids, from, to, pullType), from, to);
  const peaks = seriesPeaks(totals, from);
  const shares = await sharesAt(deps.store, kind, ids, peaks);
  return {
    timeZone,
    from: from * MINUTE_MS,
    minutes: to - from,
    days: dayIndexes(start, end, from, timeZone),
    series: peaks.map((p, i) => ({
      pullType: p.key,
      peakCCV: String(p.value),
      statAt: p.minute * MINUTE_MS,
      values: Array.from(totals.get(p.key)!),
      shares: shares[i]!,
    })),
  };
}

/**
 * Each account's CCV in each peak's minute, one narrow read per account and distinct peak minute (a day curve,
 * usually cached), since a read of several accounts answers their sum.
 */
async function sharesAt(
  store: Pick<CurveStore, 'readCurves'>,
  kind: CurveKind,
  ids: readonly string[],
  peaks: readonly Peak[],
): Promise<{ id: string; viewers: number }[][]> {
  const out = peaks.map(() => ids.map((id) => ({ id, viewers: 0 })));
  const minutes = [...new Set(peaks.map((p) => p.minute))];
  const jobs = minutes.flatMap((minute) => ids.map((id, at) => ({ minute, id, at })));
  for (let i = 0; i < jobs.length; i += SHARE_READS) {
    await Promise.all(
      jobs.slice(i, i + SHARE_READS).map(async ({ minute, id, at }) => {
        const segments = await store.readCurves(kind, [id], minute, minute + 1);
        peaks.forEach((p, k) => {
          if (p.minute === minute) out[k]![at]!.viewers = valueAt(segments, p.key, minute);
        });
      }),
    );
  }
  return out;
}
