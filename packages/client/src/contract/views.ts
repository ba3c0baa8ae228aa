/**
 * live-ccv's own read endpoints for seeing an application's numbers at a glance (the dashboard reads them; the SDK
 * and OpenAPI get them like any other): compact per-minute curves with their peaks and each account's share at the
 * peak, the application's accounts, and viewers now. Served twice: signed for a partner (its own application only)
 * and under the admin API for an operator (any application, by appId). A quarter of minutes is ~132,000 values per
 * pull type, so a curve is one number array per pull type, never an object per minute.
 */
import { z } from 'zod';
import { dayRange, optional, required } from './params.js';

const count = z.number().int().min(0);

export const Share = z
  .object({
    id: z.string().describe('a user id (summary curve) or a channel id (channels curve)'),
    viewers: count.describe("this account's CCV in the peak minute"),
  })
  .strict();

export const CurveSeries = z
  .object({
    pullType: z.string(),
    peakCCV: z.string().regex(/^\d+$/).describe("the peak of the sum, a decimal string (the summary's peakCCV)"),
    statAt: z.number().int().describe("epoch ms of the earliest minute reaching the peak (the summary's statAt)"),
    values: z.array(count).describe('the per-minute sum, one value per minute from `from`'),
    shares: z.array(Share).describe('each requested account at the peak minute, in the order asked; they add up to peakCCV'),
  })
  .strict();

export const Curves = z
  .object({
    timeZone: z.string().describe('the deployment time zone; days and minute labels are its local ones'),
    from: z.number().int().describe('epoch ms of values[0]: local 00:00 of the first day'),
    minutes: count.describe('values per series: every minute of the local days, 1380 or 1500 on a DST day'),
    days: z
      .array(z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), index: count }).strict())
      .describe('each local day and the index of its first minute'),
    series: z.array(CurveSeries).describe('one per pull type with viewers in the range, sorted by pull type'),
  })
  .strict();

export const Accounts = z
  .object({
    appId: z.string(),
    name: z.string(),
    users: z.array(z.object({ userId: z.string(), channels: z.array(z.string()) }).strict()),
  })
  .strict();

const byPullType = z.record(z.string(), count).describe('viewers by pull type; they add up to viewers');
export const RealtimeViewers = z
  .object({
    at: z.number().int().describe('epoch ms of the count'),
    users: z.array(z.object({ userId: z.string(), viewers: count, byPullType }).strict()),
    channels: z.array(z.object({ channelId: z.string(), userId: z.string(), viewers: count, byPullType }).strict()),
  })
  .strict();

const pullType = optional('pullType', 'pullType', 'only this pull type; every pull type with viewers by default');

/** The days and pull type of a curve, after its ids: the summary's range rules. */
const curveRange = [
  required('start', 'day', 'first day, yyyy-MM-dd in the deployment time zone'),
  required('end', 'day', 'last day (inclusive); at most LIVE_CCV_MAX_DAYS days from start'),
  dayRange('start', 'end', 'limit'),
  pullType,
] as const;

/** The parameters of the users' curve: the summary's, plus an optional pull type. */
export const usersCurveParams = [
  required('users', 'userIds', 'user ids, comma-separated (a JSON array in a JSON body); at most LIVE_CCV_MAX_USERS'),
  ...curveRange,
] as const;

/** The parameters of the channels' curve: channels summed minute by minute. */
export const channelsCurveParams = [
  required('channelIds', 'channelIds', 'channel ids, comma-separated; at most LIVE_CCV_MAX_USERS'),
  ...curveRange,
] as const;

/** CSV rows of a curve answer: one per pull type and minute (epoch ms). */
export function curveRows(data: unknown): Record<string, unknown>[] {
  const c = data as z.output<typeof Curves>;
  const rows: Record<string, unknown>[] = [];
  for (const s of c.series) {
    for (let i = 0; i < s.values.length; i++)
      rows.push({ minute: c.from + i * 60_000, pullType: s.pullType, viewers: s.values[i] });
  }
  return rows;
}
