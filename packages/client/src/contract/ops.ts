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
    summary: 'Liveness and readiness: 200 when the store answers; names the running version',
    answer: z.object({ store: z.string(), ok: z.literal(true), version: z.string() }).strict(),
    errors: { 503: 'store unreachable' },
  },
  {
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4); served on LIVE_CCV_METRICS_PORT instead when that is set',
    raw: 'text/plain',
  },
  { path: '/openapi.json', summary: 'This document (OpenAPI 3.1)', raw: 'application/json' },
];
