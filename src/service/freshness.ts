/**
 * How far behind the stored minutes are (contract: ops.ts, Freshness). A deployment closes minutes in its ingest
 * (one watermark today, in store meta); its freshness is the OLDEST watermark of what it has closed, so that
 * every minute before `closedBefore` is final everywhere. A partitioned ingest changes only this function.
 */
import type { Freshness } from '@live-ccv/client/contract';
import type { z } from 'zod';
import { MINUTE_MS } from '../domain/calendar.js';
import { WATERMARK_KEY } from '../ingest/ingest-service.js';
import type { MetaStore } from '../store/port.js';

export async function freshness(store: Pick<MetaStore, 'getMeta'>, now: number): Promise<z.output<typeof Freshness>> {
  const raw = await store.getMeta(WATERMARK_KEY);
  if (raw === undefined || !/^\d+$/.test(raw) || raw === '0') return { now, closedBefore: null, lagMs: null };
  const closedBefore = Number(raw) * MINUTE_MS;
  return { now, closedBefore, lagMs: Math.max(0, now - closedBefore) };
}
