/**
 * The admin API under /admin/v1 (bearer token), defined once: method, path, body and answer schemas. The server
 * validates bodies with these schemas (the first issue answers `param validate error: <field>: <why>`), the
 * OpenAPI document and the SDK's admin client are derived from them.
 */
import { z } from 'zod';
import type { CatalogueKey } from './errors.js';
import { dayRange, optional, required, type ParamDef } from './params.js';
import { Accounts, Curves, channelsCurveParams, RealtimeViewers, usersCurveParams } from './views.js';

export const ADMIN_PREFIX = '/admin/v1';
export const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const APP_SECRET = /^[\x21-\x7e]{16,128}$/;
/** PostgreSQL text cannot hold NUL, and no id or name needs one: refused at the edge for both stores. */
const text = () => z.string().refine((s) => !s.includes('\u0000'), 'must not contain a NUL character');
/** Quotas are stored as 32-bit integers. */
const MAX_INT32 = 2_147_483_647;

export const CreateAppBody = z.object({
  name: text().pipe(z.string().min(1)),
  appId: text().optional(),
  appSecret: text().optional(),
  rateLimit: z.number().int().positive().max(MAX_INT32).nullable().optional(),
});
export const PatchAppBody = z
  .object({
    name: text().pipe(z.string().min(1)).optional(),
    enabled: z.boolean().optional(),
    rateLimit: z.number().int().positive().max(MAX_INT32).nullable().optional(),
    ingestToken: text().pipe(z.string().min(16).max(256)).nullable().optional(),
  })
  .strict();
export const UserBody = z.object({ userId: text() });
export const ChannelBody = z.object({
  channelId: z.union([text(), z.number().int().nonnegative()]).transform(String),
});

const epochMs = z.number().int();
export const PublicApp = z
  .object({
    appId: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    rateLimit: z.number().int().nullable(),
    createdAt: epochMs,
    hasIngestToken: z.boolean(),
  })
  .strict();
export const Credentials = z
  .object({ appId: z.string(), appSecret: z.string(), name: z.string(), enabled: z.boolean() })
  .strict();
export const RotatedSecret = z.object({ appId: z.string(), appSecret: z.string() }).strict();
export const User = z.object({ userId: z.string(), appId: z.string(), createdAt: epochMs }).strict();
export const Channel = z.object({ channelId: z.string(), userId: z.string(), appId: z.string(), createdAt: epochMs }).strict();
export const MinuteRow = z
  .object({ minute: epochMs.describe('epoch ms of the minute'), pullType: z.string(), ccv: z.number().int().min(1) })
  .strict();
export const ImportResult = z
  .object({
    accepted: z.number().int().min(0),
    rejected: z.array(z.object({ line: z.number().int().min(1), reason: z.string() }).strict()),
  })
  .strict();
export const Viewers = z.object({ viewers: z.number().int().min(0) }).strict();
const removed = (id: 'userId' | 'channelId') => z.object({ [id]: z.string(), removed: z.literal(true) }).strict();

export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface AdminEndpoint<
  N extends string = string,
  M extends AdminMethod = AdminMethod,
  Path extends string = string,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends readonly ParamDef[] | undefined = readonly ParamDef[] | undefined,
  A extends z.ZodType = z.ZodType,
> {
  name: N;
  method: M;
  /** below ADMIN_PREFIX, with :params */
  path: Path;
  summary: string;
  body?: B;
  /** query parameters, checked like the signed API's */
  query?: Q;
  /** the body is text (CSV or NDJSON), not JSON */
  textBody?: boolean;
  answer: A;
  /** refusals besides every admin call's (token, parameters, missing, conflict) */
  errors?: readonly CatalogueKey[];
}

const define = <const E extends AdminEndpoint>(e: E): E => e;

const pullTypeQuery = optional('pullType', 'pullType', 'only this pull type');

export const adminEndpoints = [
  define({
    name: 'createApp',
    method: 'POST',
    path: '/apps',
    summary: 'create an application; its secret is answered only now',
    body: CreateAppBody,
    answer: Credentials,
  }),
  define({
    name: 'listApps',
    method: 'GET',
    path: '/apps',
    summary: 'every application (no secrets)',
    answer: z.array(PublicApp),
  }),
  define({ name: 'getApp', method: 'GET', path: '/apps/:appId', summary: 'one application (no secret)', answer: PublicApp }),
  define({
    name: 'updateApp',
    method: 'PATCH',
    path: '/apps/:appId',
    summary: 'enable, disable, rename, set a quota or an ingest token',
    body: PatchAppBody,
    answer: PublicApp,
  }),
  define({
    name: 'rotateSecret',
    method: 'POST',
    path: '/apps/:appId/secret',
    summary: 'a new secret; the old one stops working at once',
    answer: RotatedSecret,
  }),
  define({
    name: 'addUser',
    method: 'POST',
    path: '/apps/:appId/users',
    summary: 'add a user to an application',
    body: UserBody,
    answer: User,
  }),
  define({
    name: 'listUsers',
    method: 'GET',
    path: '/apps/:appId/users',
    summary: "an application's users",
    answer: z.array(User),
  }),
  define({ name: 'getUser', method: 'GET', path: '/users/:userId', summary: 'one user', answer: User }),
  define({
    name: 'removeUser',
    method: 'DELETE',
    path: '/users/:userId',
    summary: "remove a user and its channels' ownership (minute data stays)",
    answer: removed('userId'),
  }),
  define({
    name: 'addChannel',
    method: 'POST',
    path: '/users/:userId/channels',
    summary: 'give a channel to a user',
    body: ChannelBody,
    answer: Channel,
  }),
  define({
    name: 'listChannels',
    method: 'GET',
    path: '/users/:userId/channels',
    summary: "a user's channels",
    answer: z.array(Channel),
  }),
  define({
    name: 'removeUserChannel',
    method: 'DELETE',
    path: '/users/:userId/channels/:channelId',
    summary: 'remove a channel of this user',
    answer: removed('channelId'),
  }),
  define({ name: 'getChannel', method: 'GET', path: '/channels/:channelId', summary: 'one channel', answer: Channel }),
  define({
    name: 'removeChannel',
    method: 'DELETE',
    path: '/channels/:channelId',
    summary: 'remove a channel from its user (minute data stays)',
    answer: removed('channelId'),
  }),
  define({
    name: 'channelMinutes',
    method: 'GET',
    path: '/channels/:channelId/minutes',
    summary: "a channel's stored non-zero minutes over local days",
    query: [
      required('start', 'day', 'first day'),
      required('end', 'day', 'last day (inclusive)'),
      dayRange('start', 'end', 'limit'),
      pullTypeQuery,
    ],
    answer: z.array(MinuteRow),
  }),
  define({
    name: 'channelRealtime',
    method: 'GET',
    path: '/channels/:channelId/realtime',
    summary: 'distinct viewers of a channel with a heartbeat in the last 60 s',
    query: [pullTypeQuery],
    answer: Viewers,
  }),
  define({
    name: 'userRealtime',
    method: 'GET',
    path: '/users/:userId/realtime',
    summary: "distinct viewers of a user's channels with a heartbeat in the last 60 s",
    query: [pullTypeQuery],
    answer: Viewers,
  }),
  define({
    name: 'importCcv',
    method: 'POST',
    path: '/ccv',
    summary: 'set per-minute channel CCV from CSV or NDJSON rows channelId,pullType,minute,ccv (idempotent)',
    textBody: true,
    answer: ImportResult,
  }),
  // What the dashboard shows an operator: the signed views of ./views.ts, for any application.
  define({
    name: 'appAccounts',
    method: 'GET',
    path: '/apps/:appId/accounts',
    summary: "an application's users and their channels",
    answer: Accounts,
  }),
  define({
    name: 'appSummaryCurve',
    method: 'GET',
    path: '/apps/:appId/curves/users',
    summary: "the summary's per-minute sum of users of the application, with the peak and each user's share",
    query: usersCurveParams,
    answer: Curves,
    errors: ['illegalUser'],
  }),
  define({
    name: 'appChannelsCurve',
    method: 'GET',
    path: '/apps/:appId/curves/channels',
    summary: "channels of the application summed per minute, with the peak and each channel's share",
    query: channelsCurveParams,
    answer: Curves,
    errors: ['illegalChannel', 'notDigit'],
  }),
  define({
    name: 'appRealtimeViewers',
    method: 'GET',
    path: '/apps/:appId/realtime',
    summary: "viewers now of each of the application's users and channels, by pull type",
    answer: RealtimeViewers,
    errors: ['unavailable'],
  }),
] as const;

export type AdminEndpoints = (typeof adminEndpoints)[number];
export type AdminName = AdminEndpoints['name'];
export type AdminByName<N extends AdminName> = Extract<AdminEndpoints, { name: N }>;

/** Path parameter names of a path template: '/apps/:appId/users' -> 'appId'. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** The checks of path parameters: ids that cannot exist are refused before any store is asked. */
export const PATH_PARAM_RULES: Record<string, { pattern: RegExp; rule: string }> = {
  appId: { pattern: APP_ID, rule: '1-64 letters, digits, _ or -' },
  userId: { pattern: /^[A-Za-z0-9_-]{1,64}$/, rule: '1-64 letters, digits, _ or -' },
  channelId: { pattern: /^\d{1,20}$/, rule: 'digits' },
};
