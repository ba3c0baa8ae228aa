/**
 * The signed POLYV v3 concurrency family, defined once: path, methods, parameters in POLYV's order of checks,
 * and the answer's schema. The server's routes, the OpenAPI document, the SDK's methods and the CLI's `call`
 * commands are all derived from these definitions.
 */
import { z } from 'zod';
import type { CatalogueKey } from './errors.js';
import { dayRange, optional, required, timeSpan, type ParamDef } from './params.js';
import { Accounts, Curves, channelsCurveParams, curveRows, RealtimeViewers, usersCurveParams } from './views.js';

/** "At most 2 months": 62 days, the longest two consecutive calendar months (July and August). */
export const CONCURRENCE_MAX_DAYS = 62;
/** "At most 3 months" of epoch ms: 92 days, the longest three consecutive calendar months. */
export const HISTORY_MAX_SPAN_MS = 92 * 86_400_000;
export const MC_MAX_DAYS = 31;

/**
 * How an answer becomes CSV rows: records by column (the answer's array, or the records `rows` draws from it), or
 * one value in one column.
 */
export type CsvShape = { columns: readonly string[]; rows?: (data: unknown) => readonly unknown[] } | { scalar: string };

export interface SignedEndpoint<
  N extends string = string,
  P extends readonly ParamDef[] = readonly ParamDef[],
  A extends z.ZodType = z.ZodType,
> {
  /** the SDK method; its kebab-case is the CLI command */
  name: N;
  path: string;
  methods: readonly ('GET' | 'POST')[];
  summary: string;
  description: string;
  params: P;
  answer: A;
  csv: CsvShape;
  /** answer fields holding epoch ms, which people also want as local time */
  instants?: readonly string[];
  /** the columns of a table for people, when not the CSV order */
  display?: readonly string[];
  /** the rows of a table for people, when not the CSV rows (a curve's peaks rather than its every minute) */
  tableRows?: (data: unknown) => readonly unknown[];
  /** refusals besides every signed call's (authentication, parameters, ownership, rate limit) */
  errors?: readonly CatalogueKey[];
}

const define = <const N extends string, const P extends readonly ParamDef[], A extends z.ZodType>(
  e: SignedEndpoint<N, P, A>,
): SignedEndpoint<N, P, A> => e;

export const SummaryItem = z
  .object({
    statAt: z.number().int().describe('epoch ms of the earliest minute reaching the peak'),
    peakCCV: z.string().regex(/^\d+$/).describe('the peak, a decimal string'),
    pullType: z.string(),
  })
  .strict();
export const ViewerPoint = z
  .object({
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    minute: z.string().regex(/^\d{2}:\d{2}$/),
    viewers: z.number().int().min(0),
  })
  .strict();
const viewerCount = z.number().int().min(0);
const points = { columns: ['day', 'minute', 'viewers'] } as const;

const pullType = optional(
  'pullType',
  'pullType',
  'count only this pull type (cdn, rtc, p2p or as configured); all together by default',
);
const userId = optional('userId', 'userId', 'the user; required when the application owns several users');

export const summary = define({
  name: 'summary',
  path: '/live/internal/v3/user/concurrent/yunduo/summary',
  methods: ['GET', 'POST'],
  summary: 'Simultaneous peak CCV of several users over days, per pull type (the yunduo summary)',
  description:
    "For each pull type with viewers: the largest per-minute sum of the users' CCV over every minute of the local days start..end, and the earliest minute reaching it. Sorted by pull type; [] when nobody watched.",
  params: [
    required('users', 'userIds', 'user ids, comma-separated (a JSON array in a JSON body); at most LIVE_CCV_MAX_USERS'),
    required('start', 'day', 'first day, yyyy-MM-dd in the deployment time zone'),
    required('end', 'day', 'last day (inclusive); at most LIVE_CCV_MAX_DAYS days from start'),
    dayRange('start', 'end', 'limit'),
  ],
  answer: z.array(SummaryItem),
  csv: { columns: ['statAt', 'peakCCV', 'pullType'] },
  instants: ['statAt'],
  display: ['pullType', 'peakCCV', 'statAt'],
});

export const channelConcurrence = define({
  name: 'channelConcurrence',
  path: '/live/v3/channel/statistics/concurrence',
  methods: ['GET'],
  summary: "A channel's CCV for every minute of the local days",
  description: 'One point per minute of startDate..endDate (at most 62 days), zeros included, ascending.',
  params: [
    required('channelId', 'channelId', 'the channel (digits)'),
    required('startDate', 'day', 'first day, yyyy-MM-dd'),
    required('endDate', 'day', 'last day (inclusive)'),
    dayRange('startDate', 'endDate', CONCURRENCE_MAX_DAYS),
    pullType,
  ],
  answer: z.array(ViewerPoint),
  csv: points,
});

export const channelMaxHistoryConcurrent = define({
  name: 'channelMaxHistoryConcurrent',
  path: '/live/v3/channel/statistics/get-max-history-concurrent',
  methods: ['GET'],
  summary: "A channel's peak per-minute CCV between two instants",
  description:
    'The largest per-minute CCV over [startTime, endTime); a minute counts when any part of it lies inside. An empty window (startTime == endTime) answers 0. Span at most 92 days.',
  params: [
    required('channelId', 'channelId', 'the channel (digits)'),
    required('startTime', 'epochMs', 'window start, epoch ms'),
    required('endTime', 'epochMs', 'window end (exclusive), epoch ms'),
    timeSpan('startTime', 'endTime', HISTORY_MAX_SPAN_MS, '3 months'),
    pullType,
  ],
  answer: viewerCount,
  csv: { scalar: 'viewers' },
});

export const channelsConcurrence = define({
  name: 'channelsConcurrence',
  path: '/live/v3/channel/statistics/concurrence-mc',
  methods: ['GET'],
  summary: 'Several channels summed: per minute within one day, per day (its peak) over several',
  description:
    'startDate == endDate: one point per minute of that day. Several days: one point per day, minute "00:00", viewers that day\'s peak of the sum. At most 31 days.',
  params: [
    required('channelIds', 'channelIds', 'channel ids, comma-separated; at most LIVE_CCV_MAX_USERS'),
    required('startDate', 'day', 'first day, yyyy-MM-dd'),
    required('endDate', 'day', 'last day (inclusive)'),
    dayRange('startDate', 'endDate', MC_MAX_DAYS, { error: 'startDateAfterEndDate', detail: '' }),
    pullType,
  ],
  answer: z.array(ViewerPoint),
  csv: points,
});

export const userConcurrence = define({
  name: 'userConcurrence',
  path: '/live/v3/user/statistics/concurrence',
  methods: ['GET'],
  summary: "A user's channels summed, for every minute of the local days",
  description: 'One point per minute of startDate..endDate (at most 62 days), zeros included, ascending.',
  params: [
    required('startDate', 'day', 'first day, yyyy-MM-dd'),
    required('endDate', 'day', 'last day (inclusive)'),
    dayRange('startDate', 'endDate', CONCURRENCE_MAX_DAYS),
    pullType,
    userId,
  ],
  answer: z.array(ViewerPoint),
  csv: points,
});

export const userRealtimeConcurrence = define({
  name: 'userRealtimeConcurrence',
  path: '/live/v3/user/statistics/realtime-concurrence',
  methods: ['GET'],
  summary: "Viewers watching a user's channels now",
  description: "Distinct viewers with a heartbeat in the last 60 s, summed over the user's channels.",
  params: [pullType, userId],
  answer: viewerCount,
  csv: { scalar: 'viewers' },
});

/* live-ccv's own signed endpoints (not POLYV's): what the dashboard shows a partner; see ./views.ts. */

/** A curve endpoint: its ids, the days and an optional pull type in; Curves out (CSV: a row per minute). */
const curve = <const N extends string, const P extends readonly ParamDef[]>(
  name: N,
  path: string,
  params: P,
  summary: string,
  description: string,
) =>
  define({
    name,
    path,
    methods: ['GET', 'POST'],
    summary,
    description,
    params,
    answer: Curves,
    csv: { columns: ['minute', 'pullType', 'viewers'], rows: curveRows },
    display: ['pullType', 'peakCCV', 'statAt'],
    tableRows: (data) => (data as { series: readonly unknown[] }).series,
    instants: ['statAt'],
  });

export const summaryCurve = curve(
  'summaryCurve',
  '/live/ccv/v1/summary/curve',
  usersCurveParams,
  "The summary's per-minute sum of the users' CCV, per pull type, with the peak and each user's share of it",
  "The curve behind the summary: for each pull type with viewers, the sum of the users' CCV for every minute of the local days start..end as one number array, its peak and statAt (equal to the summary's), and each user's CCV in the peak minute.",
);

export const channelsCurve = curve(
  'channelsCurve',
  '/live/ccv/v1/channels/curve',
  channelsCurveParams,
  "Channels summed per minute, per pull type, with the peak and each channel's share of it",
  "For each pull type with viewers, the sum of the channels' CCV for every minute of the local days start..end as one number array, its peak, and each channel's CCV in the peak minute. Adding the pull types gives concurrence-mc's minutes; a local day's largest sum is its concurrence-mc day point.",
);

export const accounts = define({
  name: 'accounts',
  path: '/live/ccv/v1/accounts',
  methods: ['GET'],
  summary: "The calling application's users and their channels",
  description: 'The users of the calling application, sorted, each with its channels.',
  params: [],
  answer: Accounts,
  csv: {
    columns: ['userId', 'channelId'],
    rows: (data) =>
      (data as { users: { userId: string; channels: string[] }[] }).users.flatMap((u) =>
        u.channels.length === 0 ? [{ userId: u.userId }] : u.channels.map((channelId) => ({ userId: u.userId, channelId })),
      ),
  },
});

export const realtimeViewers = define({
  name: 'realtimeViewers',
  path: '/live/ccv/v1/realtime',
  methods: ['GET'],
  summary: "Viewers now of each of the calling application's users and channels, by pull type",
  description:
    'Distinct viewers with a heartbeat in the last 60 s, per channel and per user (its channels summed), with the split by pull type.',
  params: [],
  answer: RealtimeViewers,
  csv: {
    columns: ['userId', 'channelId', 'viewers'],
    rows: (data) => (data as { channels: { userId: string; channelId: string; viewers: number }[] }).channels,
  },
  errors: ['unavailable'],
});

/** Every signed endpoint, in the order the docs list them. */
export const signedEndpoints = [
  summary,
  channelConcurrence,
  channelMaxHistoryConcurrent,
  channelsConcurrence,
  userConcurrence,
  userRealtimeConcurrence,
  summaryCurve,
  channelsCurve,
  accounts,
  realtimeViewers,
] as const;

export type SignedEndpoints = (typeof signedEndpoints)[number];
export type SignedName = SignedEndpoints['name'];
export type SignedByName<N extends SignedName> = Extract<SignedEndpoints, { name: N }>;

/** Parameters every signed call may carry besides its own (see docs/api.md, Signing). */
export const SIGNED_COMMON = [
  { name: 'appId', required: true, doc: 'the calling application' },
  { name: 'timestamp', required: true, doc: '13-digit epoch milliseconds, within 3 minutes of server time' },
  {
    name: 'sign',
    required: true,
    doc: 'POLYV signature: MD5 (or SHA-256) of secret + sorted name/value pairs + secret, upper-case hex',
  },
  { name: 'signatureMethod', required: false, doc: 'MD5 (default) or SHA256' },
  { name: 'signatureNonce', required: false, doc: 'one-time string; refused when seen again inside the timestamp window' },
  { name: 'requestId', required: false, doc: 'client request id, echoed in the server log' },
  { name: 'format', required: false, doc: 'json (default) or csv; CSV is also chosen by Accept: text/csv' },
] as const;
