import type { ComponentHealth } from '../health/readiness.js';

/**
 * What the API needs from the heartbeat ingest for "now" numbers: distinct viewers with a beat in the
 * last 60 s. Provided by the ingest service (AppDeps.realtime) when the process runs it.
 */
export interface Realtime {
  /** distinct viewers of one channel now, optionally of one pull type */
  channelViewers(channelId: string, pullType?: string): Promise<number>;
  /** sum over the channels of their distinct viewers now */
  channelsViewers(channelIds: readonly string[], pullType?: string): Promise<number>;
}

export interface IngestRejection {
  index: number;
  reason: string;
}

export interface IngestResult {
  accepted: number;
  rejected: IngestRejection[];
}

/** Who sent a batch: the global ingest token may send any channel, an app's token only that app's. */
export type IngestScope = { kind: 'global' } | { kind: 'app'; appId: string };

/**
 * The collector side of the ingest service, for the ingest routes (AppDeps.ingest). The same object is
 * the Realtime port, which AppDeps.realtime defaults to.
 */
export interface HeartbeatIngest extends Realtime {
  /**
   * Validates raw heartbeats and makes the valid ones durable before resolving. `indexes[i]` is the
   * position reported for `items[i]` (default i). `acceptTs` honours each item's ts (batch endpoint);
   * otherwise the server's receive time is the heartbeat time (beacon).
   */
  submit(
    items: readonly unknown[],
    options: { scope: IngestScope; acceptTs: boolean; indexes?: readonly number[] },
  ): Promise<IngestResult>;
  /** The scope of a bearer token, undefined when it is no valid ingest token. */
  authorize(token: string): IngestScope | undefined;
  /** false when no token at all is configured, so batches are disabled rather than unauthorized */
  tokensConfigured(): boolean;
  /** readiness of the ingest's own parts (e.g. its log and its flushes), by component name */
  health?(): Record<string, ComponentHealth>;
}
