/**
 * @live-ccv/client: a signed client for POLYV's v3 concurrency API (served by live-ccv or by POLYV), a client for
 * live-ccv's admin API, and the signing rule. Runs in Node 20+ and in browsers; the wire contract itself is
 * exported from `@live-ccv/client/contract`.
 */
export { createAdminClient, type AdminClient, type AdminClientOptions, type AdminInput } from './admin-client.js';
export { canonicalString, type SignatureMethod, type SignParams } from './contract/canonical.js';
export { PolyvApiError } from './errors.js';
export { sign } from './sign.js';
export { createClient, PATHS, type ClientOptions, type InputOf, type PolyvClient } from './signed-client.js';
export { parseRetryAfter, type CallOptions, type FetchLike, type HttpMethod } from './transport.js';

import type { z } from 'zod';
import type { DashboardSettings as SettingsSchema, Freshness as FreshnessSchema } from './contract/ops.js';
import type { SummaryItem as SummaryItemSchema, ViewerPoint } from './contract/signed.js';
import type { Accounts as AccountsSchema, Curves as CurvesSchema, RealtimeViewers as RealtimeSchema } from './contract/views.js';
/** One pull type's peak over the range: statAt is epoch ms of the earliest peak minute. */
export type SummaryItem = z.output<typeof SummaryItemSchema>;
/** One minute (or, for multi-day concurrence-mc, one day's peak) in the deployment's time zone. */
export type ConcurrenceItem = z.output<typeof ViewerPoint>;
/** Per-minute sums of several users or channels, one number array per pull type, with peaks and shares. */
export type Curves = z.output<typeof CurvesSchema>;
/** An application's users and their channels. */
export type Accounts = z.output<typeof AccountsSchema>;
/** Viewers now per user and channel, by pull type. */
export type RealtimeViewers = z.output<typeof RealtimeSchema>;
/** How far behind the stored minutes are (GET /freshness). */
export type Freshness = z.output<typeof FreshnessSchema>;
/** The deployment's zone, pull types and limits (GET /dashboard/settings). */
export type DashboardSettings = z.output<typeof SettingsSchema>;
