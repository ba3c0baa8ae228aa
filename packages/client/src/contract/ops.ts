/** Operational endpoints every role serves (not signed, no token). */
import { z } from 'zod';

export interface OpsEndpoint {
  path: string;
  summary: string;
  /** the envelope's data; undefined for an answer that is not an envelope */
  answer?: z.ZodType;
  /** errors answered as the envelope, by status */
  errors?: Record<number, string>;
  /** a body that is not an envelope: its media type */
  raw?: string;
}

export const opsEndpoints: readonly OpsEndpoint[] = [
  {
    path: '/healthz',
    summary: 'Liveness: 200 while the process answers (it asks no dependency)',
    answer: z.object({ ok: z.literal(true) }).strict(),
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
  { path: '/openapi.json', summary: 'This document (OpenAPI 3.1)', raw: 'application/json' },
];
