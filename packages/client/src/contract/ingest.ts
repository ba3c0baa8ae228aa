/** The heartbeat ingest endpoints (see docs/ingest.md); the server's routes and the OpenAPI document use these. */
import { z } from 'zod';

export const BEACON_PATH = '/v1/beacon';
export const HEARTBEATS_PATH = '/v1/heartbeats';

export const Heartbeat = z.object({
  channelId: z.union([z.string(), z.number().int()]).describe('digits'),
  viewerId: z.string().describe('1-128 printable ASCII characters without spaces'),
  pullType: z.string().optional().describe('cdn by default'),
  ts: z.union([z.number().int(), z.string()]).optional().describe('epoch ms; server time when absent (batch only)'),
});
export const BatchResult = z
  .object({
    accepted: z.number().int().min(0),
    rejected: z.array(z.object({ index: z.number().int().min(0), reason: z.string() }).strict()),
  })
  .strict();
