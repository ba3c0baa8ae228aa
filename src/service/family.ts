/**
 * The rest of POLYV's v3 concurrency family (docs/api.md): ownership, then the store read and the pure series
 * math of ./minute-series.ts. Parameters arrive parsed and checked (the contract, in POLYV's order), so a
 * malformed call never reaches here and never reveals which ids exist: ownership (403) is checked last.
 */
import type {
  channelConcurrence as channelConcurrenceEndpoint,
  channelMaxHistoryConcurrent as maxHistoryEndpoint,
  channelsConcurrence as channelsConcurrenceEndpoint,
  ParamDef,
  Parsed,
  userConcurrence as userConcurrenceEndpoint,
  userRealtimeConcurrence as userRealtimeEndpoint,
} from '@live-ccv/client/contract';
import type { Config } from '../config/config.js';
import { dayRangeMinutes, daysBetween, MINUTE_MS } from '../domain/calendar.js';
import { errors } from '../errors.js';
import type { Realtime } from '../ingest/realtime-port.js';
import type { App, CurveStore, TenancyStore } from '../store/port.js';
import { dailyPeaks, minutePoints, peakOf, totalOf, type ViewerPoint } from './minute-series.js';

export interface FamilyDeps {
  store: TenancyStore & CurveStore;
  config: Pick<Config, 'timeZone'>;
  realtime?: Realtime | undefined;
}

type Input<E extends { params: readonly ParamDef[] }> = Parsed<E['params']>;

async function ownChannels(store: TenancyStore, app: App, ids: readonly string[]): Promise<void> {
  const owned = await store.ownedChannels(app.appId, ids);
  const foreign = ids.find((id) => !owned.has(id));
  if (foreign !== undefined) throw errors.illegalChannel(foreign);
}

/** The user a user-level call is about: `userId`, required only when the app owns several users. */
async function resolveUser(store: TenancyStore, app: App, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    const owned = await store.ownedUsers(app.appId, [given]);
    if (!owned.has(given)) throw errors.illegalUser(given);
    return given;
  }
  const users = await store.listUsers(app.appId);
  if (users.length === 1) return users[0]!.userId;
  throw errors.param(
    users.length === 0
      ? 'userId is required (the application owns no users)'
      : `userId is required when the application owns several users (it owns ${users.length})`,
  );
}

/** GET /live/v3/channel/statistics/concurrence: every minute of the local days, one channel. */
export async function channelConcurrence(
  deps: FamilyDeps,
  app: App,
  { channelId, startDate, endDate, pullType }: Input<typeof channelConcurrenceEndpoint>,
): Promise<ViewerPoint[]> {
  await ownChannels(deps.store, app, [channelId]);
  const { from, to } = dayRangeMinutes(startDate, endDate, deps.config.timeZone);
  const total = totalOf(await deps.store.readCurves('channel', [channelId], from, to, pullType), from, to);
  return minutePoints(total, from, to, startDate, deps.config.timeZone);
}

/**
 * GET /live/v3/channel/statistics/get-max-history-concurrent: the channel's peak per-minute CCV over
 * [startTime, endTime). A minute counts when any part of it lies in the window, since a minute's CCV cannot be
 * split: 10:14:30 to 10:20:00 covers the minutes 10:14 to 10:19. An empty window (startTime == endTime) covers
 * no minute and answers 0.
 */
export async function channelMaxHistoryConcurrent(
  deps: FamilyDeps,
  app: App,
  { channelId, startTime, endTime, pullType }: Input<typeof maxHistoryEndpoint>,
): Promise<number> {
  await ownChannels(deps.store, app, [channelId]);
  if (endTime <= startTime) return 0;
  const from = Math.floor(startTime / MINUTE_MS);
  const to = Math.ceil(endTime / MINUTE_MS);
  return peakOf(totalOf(await deps.store.readCurves('channel', [channelId], from, to, pullType), from, to));
}

/**
 * GET /live/v3/channel/statistics/concurrence-mc: the channels summed minute by minute; every minute of a
 * single day, or each day's peak (minute "00:00") when the range spans several days.
 */
export async function channelsConcurrence(
  deps: FamilyDeps,
  app: App,
  { channelIds, startDate, endDate, pullType }: Input<typeof channelsConcurrenceEndpoint>,
): Promise<ViewerPoint[]> {
  await ownChannels(deps.store, app, channelIds);
  const tz = deps.config.timeZone;
  const { from, to } = dayRangeMinutes(startDate, endDate, tz);
  const total = totalOf(await deps.store.readCurves('channel', channelIds, from, to, pullType), from, to);
  return daysBetween(startDate, endDate) === 0
    ? minutePoints(total, from, to, startDate, tz)
    : dailyPeaks(total, from, startDate, endDate, tz);
}

/** GET /live/v3/user/statistics/concurrence: every minute of the local days, the user's channels summed. */
export async function userConcurrence(
  deps: FamilyDeps,
  app: App,
  { startDate, endDate, pullType, userId }: Input<typeof userConcurrenceEndpoint>,
): Promise<ViewerPoint[]> {
  const user = await resolveUser(deps.store, app, userId);
  const { from, to } = dayRangeMinutes(startDate, endDate, deps.config.timeZone);
  const total = totalOf(await deps.store.readCurves('user', [user], from, to, pullType), from, to);
  return minutePoints(total, from, to, startDate, deps.config.timeZone);
}

/** GET /live/v3/user/statistics/realtime-concurrence: viewers of the user's channels now. */
export async function userRealtimeConcurrence(
  deps: FamilyDeps,
  app: App,
  { pullType, userId }: Input<typeof userRealtimeEndpoint>,
): Promise<number> {
  const user = await resolveUser(deps.store, app, userId);
  if (!deps.realtime) throw errors.unavailable('realtime');
  const channels = await deps.store.listChannels(user);
  if (channels.length === 0) return 0;
  return deps.realtime.channelsViewers(
    channels.map((c) => c.channelId),
    pullType,
  );
}
