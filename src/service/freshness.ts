/**
 * How far behind the stored minutes are (contract: ops.ts, Freshness). A deployment closes minutes in its ingest:
 * the embedded ingest keeps one watermark in store meta; a cluster keeps one per log partition, saved with the
 * partition's fence (src/store/fence.ts). Its freshness is the OLDEST watermark of what it has closed, so that
 * every minute before `closedBefore` is final everywhere; a partition never written yet leaves it unknown.
 */
import type { Freshness } from '@live-ccv/client/contract';
import type { z } from 'zod';
import { MINUTE_MS } from '../domain/calendar.js';
import type { Config } from '../config/config.js';
import { fenceKeyPrefix } from '../ingest/cluster/fence-keys.js';
import { WATERMARK_KEY } from '../ingest/ingest-service.js';
import type { CurveStore, MetaStore } from '../store/port.js';

/** A cluster deployment's partitions: their fence keys start with `keyPrefix` (ClusterNames.fenceKey). */
export interface PartitionedIngest {
  keyPrefix: string;
  partitions: number;
}

/** The partitions to read when the deployment runs the cluster ingest (LIVE_CCV_NATS_URL set). */
export const partitionedIngest = (
  config: Pick<Config, 'natsUrl' | 'natsPrefix' | 'partitions'>,
): PartitionedIngest | undefined =>
  config.natsUrl ? { keyPrefix: fenceKeyPrefix(config.natsPrefix), partitions: config.partitions } : undefined;

export async function freshness(
  store: Pick<MetaStore, 'getMeta'> & Pick<CurveStore, 'listFenceProgress'>,
  now: number,
  cluster?: PartitionedIngest,
): Promise<z.output<typeof Freshness>> {
  const raw = cluster ? await oldestPartition(store, cluster) : await store.getMeta(WATERMARK_KEY);
  if (raw === undefined || !/^\d+$/.test(raw) || raw === '0') return { now, closedBefore: null, lagMs: null };
  const closedBefore = Number(raw) * MINUTE_MS;
  return { now, closedBefore, lagMs: Math.max(0, now - closedBefore) };
}

async function oldestPartition(
  store: Pick<CurveStore, 'listFenceProgress'>,
  cluster: PartitionedIngest,
): Promise<string | undefined> {
  const progress = [...(await store.listFenceProgress(cluster.keyPrefix)).values()];
  if (progress.length < cluster.partitions || progress.some((p) => p === undefined)) return undefined;
  return String(Math.min(...progress.map(Number)));
}
