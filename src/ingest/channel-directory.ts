/**
 * The channels heartbeats may name, and the apps' ingest tokens, cached in memory: validation of a batch
 * must not query the store per heartbeat. Admin changes reach the cache by a periodic reload, and a
 * channel added a moment ago is found by a lookup on miss; misses are remembered briefly so a flood of
 * beats for an unknown channel costs one query per channel per `negativeTtlMs`.
 */
import { hashIngestToken, storedTokenHash } from '../secrets/ingest-token.js';
import type { Store } from '../store/port.js';

/** At most this many store lookups per batch; the rest of the unknown ids count as unknown. */
const MAX_LOOKUPS = 64;
const MAX_NEGATIVE = 100_000;

export class ChannelDirectory {
  /** channelId -> owning appId */
  private channels = new Map<string, string>();
  /** `sha256:<hex>` of the token -> appId of enabled apps with an ingest token (only hashes are stored) */
  private tokens = new Map<string, string>();
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly negativeTtlMs = 2_000,
  ) {}

  async reload(): Promise<void> {
    const [channels, apps] = await Promise.all([this.store.listAllChannels(), this.store.listApps()]);
    this.channels = new Map(channels.map((c) => [c.channelId, c.appId]));
    this.tokens = new Map(
      apps.filter((a) => a.enabled && a.ingestTokenHash).map((a) => [storedTokenHash(a.ingestTokenHash!), a.appId]),
    );
    this.misses.clear();
  }

  /** The app owning the channel, undefined when unknown to the cache. */
  owner(channelId: string): string | undefined {
    return this.channels.get(channelId);
  }

  /** The app whose ingest token this is (hashed first, so the lookup's timing says nothing about the token). */
  appOfToken(token: string): string | undefined {
    return this.tokens.get(hashIngestToken(token));
  }

  hasAppTokens(): boolean {
    return this.tokens.size > 0;
  }

  /** Looks the ids the cache does not know up in the store, unless they missed recently. */
  async resolve(channelIds: Iterable<string>, now: number): Promise<void> {
    let lookups = 0;
    for (const id of channelIds) {
      if (this.channels.has(id)) continue;
      const missedAt = this.misses.get(id);
      if (missedAt !== undefined && now - missedAt < this.negativeTtlMs) continue;
      if (lookups++ >= MAX_LOOKUPS) break;
      const channel = await this.store.getChannel(id);
      if (channel) {
        this.channels.set(id, channel.appId);
        this.misses.delete(id);
      } else {
        if (this.misses.size >= MAX_NEGATIVE) this.misses.clear();
        this.misses.set(id, now);
      }
    }
  }
}
