/** Operational endpoints every role serves (not signed, no token). */
import { z } from 'zod';

export interface OpsEndpoint {
  path: string;
  summary: string;
  /** the envelope's data; undefined for an answer that is not an envelope */
  answer?: z.ZodType;
  /** errors answered as the envelope, by status */
  errors?: Record<number, string>;
  /** a body that is not an envelope: its media type(s) */
  raw?: string | readonly string[];
  /** path parameters (`:name` in the path) and what they hold */
  pathParams?: Record<string, string>;
}

/**
 * How fresh the stored minutes are: minutes before `closedBefore` are final in the store everywhere in this
 * deployment (the oldest of its closers' watermarks), `lagMs` is how long ago that instant was. Null before any
 * ingest has closed a minute (a store fed only by imports).
 */
export const Freshness = z
  .object({
    now: z.number().int().describe('server time, epoch ms'),
    closedBefore: z.number().int().nullable().describe('epoch ms: every minute before it is closed and stored'),
    lagMs: z.number().int().min(0).nullable().describe('now - closedBefore'),
  })
  .strict();

/** What the dashboard needs to know about the deployment before anyone signs in. */
export const DashboardSettings = z
  .object({
    version: z.string(),
    timeZone: z.string().describe('days and minute labels are local to this IANA zone'),
    pullTypes: z.array(z.string()),
    maxDays: z.number().int().describe('days per summary (and curve) call'),
    maxUsers: z.number().int().describe('ids per call'),
    adminApi: z.boolean().describe('whether an admin token is configured (operators can sign in)'),
  })
  .strict();

export const opsEndpoints: readonly OpsEndpoint[] = [
  {
    path: '/healthz',
    summary: 'Liveness: 200 while the process answers (it asks no dependency); names the running version',
    answer: z.object({ ok: z.literal(true), version: z.string() }).strict(),
  },
  {
    path: '/readyz',
    summary:
      'Readiness: every component this process runs works now (store, heartbeat log, minute flush, shared limits); 503 names each failing one',
    answer: z
      .object({
        ready: z.literal(true),
        components: z.record(
          z.string(),
          z.object({ ok: z.boolean(), detail: z.string().optional(), since: z.number().int().optional() }).strict(),
        ),
      })
      .strict(),
    errors: { 503: 'not ready: <component>: <reason> since <time>; ... (with Retry-After)' },
  },
  {
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4); served on LIVE_CCV_METRICS_PORT instead when that is set',
    raw: 'text/plain',
  },
  { path: '/openapi.json', summary: 'This document (OpenAPI 3.1)', raw: 'application/json' },
  {
    path: '/freshness',
    summary: 'How far behind the stored minutes are: the oldest watermark of what this deployment has closed',
    answer: Freshness,
  },
  {
    path: '/dashboard',
    summary: 'The dashboard (a single-page app; sign in with the admin token or an appId and secret)',
    raw: 'text/html',
    errors: { 503: 'the server has no dashboard build (npm run build makes it)' },
  },
  {
    path: '/dashboard/settings',
    summary: "The deployment's time zone, pull types and limits, for the dashboard",
    answer: DashboardSettings,
  },
  {
    path: '/dashboard/assets/:file',
    summary: "The dashboard's scripts and styles (content-hashed names, cached for a year)",
    raw: ['text/javascript', 'text/css', 'image/svg+xml'],
    pathParams: { file: 'a file name of the build' },
    errors: { 404: 'no such file' },
  },
];
