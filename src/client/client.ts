/**
 * Typed methods for POLYV's v3 concurrency family (docs/api.md). Each method names
 * its endpoint's parameters exactly as POLYV does, so the same client works against live-ccv and
 * against POLYV's own host.
 */
import { Transport, type CallOptions, type TransportOptions } from './transport.js';

export type ClientOptions = TransportOptions;

export const PATHS = {
  summary: '/live/internal/v3/user/concurrent/yunduo/summary',
  channelConcurrence: '/live/v3/channel/statistics/concurrence',
  channelMaxHistoryConcurrent: '/live/v3/channel/statistics/get-max-history-concurrent',
  channelsConcurrence: '/live/v3/channel/statistics/concurrence-mc',
  userConcurrence: '/live/v3/user/statistics/concurrence',
  userRealtimeConcurrence: '/live/v3/user/statistics/realtime-concurrence',
} as const;

/** One pull type's peak over the range: statAt is epoch ms of the earliest peak minute. */
export interface SummaryItem {
  statAt: number;
  peakCCV: string;
  pullType: string;
}

/** One minute (or, for multi-day concurrence-mc, one day's peak) in the deployment's time zone. */
export interface ConcurrenceItem {
  day: string;
  minute: string;
  viewers: number;
}

/** `yyyy-MM-dd` */
export type DayString = string;
type Ids = string[] | string;
const list = (ids: Ids) => (Array.isArray(ids) ? ids.join(',') : ids);
/** Epoch ms, or a Date. */
const ms = (t: number | Date) => (t instanceof Date ? t.getTime() : t);

export interface PolyvClient {
  summary(q: { users: Ids; start: DayString; end: DayString }, o?: CallOptions): Promise<SummaryItem[]>;
  channelConcurrence(
    q: { channelId: string; startDate: DayString; endDate: DayString; pullType?: string },
    o?: CallOptions,
  ): Promise<ConcurrenceItem[]>;
  channelMaxHistoryConcurrent(
    q: { channelId: string; startTime: number | Date; endTime: number | Date; pullType?: string },
    o?: CallOptions,
  ): Promise<number>;
  channelsConcurrence(
    q: { channelIds: Ids; startDate: DayString; endDate: DayString; pullType?: string },
    o?: CallOptions,
  ): Promise<ConcurrenceItem[]>;
  userConcurrence(
    q: { userId?: string; startDate: DayString; endDate: DayString; pullType?: string },
    o?: CallOptions,
  ): Promise<ConcurrenceItem[]>;
  userRealtimeConcurrence(q?: { userId?: string; pullType?: string }, o?: CallOptions): Promise<number>;
  /** Any other signed endpoint of the same family: returns the envelope's data untyped. */
  call<T = unknown>(path: string, params: Record<string, string | number | undefined>, o?: CallOptions): Promise<T>;
}

export function createClient(options: ClientOptions): PolyvClient {
  const t = new Transport(options);
  return {
    summary: (q, o) => t.call(PATHS.summary, { users: list(q.users), start: q.start, end: q.end }, o),
    channelConcurrence: (q, o) =>
      t.call(
        PATHS.channelConcurrence,
        { channelId: q.channelId, startDate: q.startDate, endDate: q.endDate, pullType: q.pullType },
        o,
      ),
    channelMaxHistoryConcurrent: (q, o) =>
      t.call(
        PATHS.channelMaxHistoryConcurrent,
        { channelId: q.channelId, startTime: ms(q.startTime), endTime: ms(q.endTime), pullType: q.pullType },
        o,
      ),
    channelsConcurrence: (q, o) =>
      t.call(
        PATHS.channelsConcurrence,
        { channelIds: list(q.channelIds), startDate: q.startDate, endDate: q.endDate, pullType: q.pullType },
        o,
      ),
    userConcurrence: (q, o) =>
      t.call(PATHS.userConcurrence, { userId: q.userId, startDate: q.startDate, endDate: q.endDate, pullType: q.pullType }, o),
    userRealtimeConcurrence: (q = {}, o) => t.call(PATHS.userRealtimeConcurrence, { userId: q.userId, pullType: q.pullType }, o),
    call: (path, params, o) => t.call(path, params, o),
  };
}
