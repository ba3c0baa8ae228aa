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
    summary: 'Liveness and readiness: 200 when the store answers and, on a cluster process, NATS is connected',
    answer: z
      .object({
        store: z.string(),
        ok: z.literal(true),
        roles: z.array(z.enum(['api', 'collector', 'aggregator'])),
        ingest: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('the heartbeat log in use and, on aggregators, the partitions owned and counted live'),
      })
      .strict(),
    errors: { 503: 'store unreachable, or the NATS connection of a cluster process is down' },
  },
  { path: '/openapi.json', summary: 'This document (OpenAPI 3.1)', raw: 'application/json' },
];
