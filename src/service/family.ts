/**
 * The rest of POLYV's v3 concurrency family (docs/api.md): parameter checks, ownership, then
 * the store read and the pure series math of ./minute-series.ts.
 *
 * Checks run in the catalogue's order: every parameter is parsed first (400s), ownership last (403), so
 * a malformed call never reveals which ids exist.
 */
import type { Config } from '../config/config.js';
import { dayRangeMinutes, daysBetween, MINUTE_MS } from '../domain/calendar.js';
import { errors } from '../errors.js';
import type { Realtime } from '../ingest/realtime-port.js';
import type { App, Store } from '../store/port.js';
import { dailyPeaks, minutePoints, peakOf, totalOf, type ViewerPoint } from './minute-series.js';
import { CHANNEL_ID, day, dayRange, idList, required, USER_ID } from './params.js';

/** "At most 2 months": 62 days, the longest two consecutive calendar months (July and August). */
export const CONCURRENCE_MAX_DAYS = 62;
/** "At most 3 months" of epoch ms: 92 days, the longest three consecutive calendar months. */
export const HISTORY_MAX_SPAN_MS = 92 * 86_400_000;
export const MC_MAX_DAYS = 31;

const EPOCH_MS = /^\d{1,15}$/;

export interface FamilyDeps {
  store: Store;
  config: Config;
  realtime?: Realtime | undefined;
}

type Params = Record<string, string>;

function digits(value: string): string {
  if (!CHANNEL_ID.test(value)) throw errors.notDigit(value);
  return value;
}

/** The optional pullType narrowing; one of the deployment's pull types. */
export function pullTypeParam(params: Params, config: Config): string | undefined {
  const p = params.pullType?.trim();
  if (!p) return undefined;
  if (!config.pullTypes.includes(p)) {
    throw errors.param(`pullType must be one of ${config.pullTypes.join(', ')}, got ${p}`);
  }
  return p;
}

async function ownChannels(store: Store, app: App, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const channel = await store.getChannel(id);
    if (!channel || channel.appId !== app.appId) throw errors.illegalChannel(id);
  }
}

/** The user a user-level call is about: `userId`, required only when the app owns several users. */
async function resolveUser(store: Store, app: App, params: Params): Promise<string> {
  const given = params.userId?.trim();
  if (given) {
    if (!USER_ID.test(given)) throw errors.param(`userId must be 1-64 letters, digits, _ or -, got ${given}`);
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

function epochMs(params: Params, name: string): number {
  const text = required(params, name);
  if (!EPOCH_MS.test(text)) throw errors.param(`${name} must be epoch milliseconds, got ${text}`);
  return Number(text);
}

/** GET /live/v3/channel/statistics/concurrence: every minute of the local days, one channel. */
export async function channelConcurrence(deps: FamilyDeps, app: App, params: Params): Promise<ViewerPoint[]> {
  const channelId = digits(required(params, 'channelId'));
  const { start, end } = dayRange(params, 'startDate', 'endDate', CONCURRENCE_MAX_DAYS);
  const pullType = pullTypeParam(params, deps.config);
  await ownChannels(deps.store, app, [channelId]);
  const { from, to } = dayRangeMinutes(start, end, deps.config.timeZone);
  const total = totalOf(await deps.store.readCurves('channel', [channelId], from, to, pullType), from, to);
  return minutePoints(total, from, to, start, deps.config.timeZone);
}

/**
 * GET /live/v3/channel/statistics/get-max-history-concurrent: the channel's peak per-minute CCV over
 * [startTime, endTime). A minute counts when any part of it lies in the window, since a minute's CCV
 * cannot be split: 10:14:30 to 10:20:00 covers the minutes 10:14 to 10:19.
 */
export async function maxHistoryConcurrent(deps: FamilyDeps, app: App, params: Params): Promise<number> {
  const channelId = digits(required(params, 'channelId'));
  const startTime = epochMs(params, 'startTime');
  const endTime = epochMs(params, 'endTime');
  if (startTime > endTime) throw errors.param('startTime is after endTime');
  if (endTime - startTime > HISTORY_MAX_SPAN_MS) {
    throw errors.param(`the span from startTime to endTime is over 3 months (${HISTORY_MAX_SPAN_MS} ms)`);
  }
  const pullType = pullTypeParam(params, deps.config);
  await ownChannels(deps.store, app, [channelId]);
  const from = Math.floor(startTime / MINUTE_MS);
  const to = Math.ceil(endTime / MINUTE_MS);
  if (to <= from) return 0;
  return peakOf(totalOf(await deps.store.readCurves('channel', [channelId], from, to, pullType), from, to));
}

/**
 * GET /live/v3/channel/statistics/concurrence-mc: the channels summed minute by minute; every minute of a
 * single day, or each day's peak (minute "00:00") when the range spans several days.
 */
export async function channelsConcurrence(deps: FamilyDeps, app: App, params: Params): Promise<ViewerPoint[]> {
  const ids = idList(params, 'channelIds', CHANNEL_ID, deps.config.maxUsers, errors.notDigit);
  if (daysBetween(day(params, 'startDate'), day(params, 'endDate')) < 0) throw errors.startDateAfterEndDate();
  const { start, end } = dayRange(params, 'startDate', 'endDate', MC_MAX_DAYS);
  const pullType = pullTypeParam(params, deps.config);
  await ownChannels(deps.store, app, ids);
  const { from, to } = dayRangeMinutes(start, end, deps.config.timeZone);
  const total = totalOf(await deps.store.readCurves('channel', ids, from, to, pullType), from, to);
  const tz = deps.config.timeZone;
  return daysBetween(start, end) === 0 ? minutePoints(total, from, to, start, tz) : dailyPeaks(total, from, start, end, tz);
}

/** GET /live/v3/user/statistics/concurrence: every minute of the local days, the user's channels summed. */
export async function userConcurrence(deps: FamilyDeps, app: App, params: Params): Promise<ViewerPoint[]> {
  const { start, end } = dayRange(params, 'startDate', 'endDate', CONCURRENCE_MAX_DAYS);
  const pullType = pullTypeParam(params, deps.config);
  const userId = await resolveUser(deps.store, app, params);
  const { from, to } = dayRangeMinutes(start, end, deps.config.timeZone);
  const total = totalOf(await deps.store.readCurves('user', [userId], from, to, pullType), from, to);
  return minutePoints(total, from, to, start, deps.config.timeZone);
}

/** GET /live/v3/user/statistics/realtime-concurrence: viewers of the user's channels now. */
export async function userRealtime(deps: FamilyDeps, app: App, params: Params): Promise<number> {
  const pullType = pullTypeParam(params, deps.config);
  const userId = await resolveUser(deps.store, app, params);
  if (!deps.realtime) throw errors.unavailable('realtime');
  const channels = await deps.store.listChannels(userId);
  if (channels.length === 0) return 0;
  return deps.realtime.channelsViewers(
    channels.map((c) => c.channelId),
    pullType,
  );
}
