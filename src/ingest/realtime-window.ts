/**
 * "Now" counts: each viewer's latest beat per channel and pull type; a viewer counts while that beat is
 * less than 60 s old. Exact, and pruned periodically so departed viewers do not accumulate.
 */
import type { Heartbeat } from './heartbeat.js';

export const WINDOW_MS = 60_000;

export class RealtimeWindow {
  /** channelId -> pullType -> viewerId -> latest beat (epoch ms) */
  private readonly channels = new Map<string, Map<string, Map<string, number>>>();

  add(b: Heartbeat, now: number): void {
    const ts = Math.min(b.ts, now);
    if (ts <= now - WINDOW_MS) return;
    let byPull = this.channels.get(b.channelId);
    if (!byPull) {
      byPull = new Map();
      this.channels.set(b.channelId, byPull);
    }
    let viewers = byPull.get(b.pullType);
    if (!viewers) {
      viewers = new Map();
      byPull.set(b.pullType, viewers);
    }
    const prev = viewers.get(b.viewerId);
    if (prev === undefined || prev < ts) viewers.set(b.viewerId, ts);
  }

  /**
   * Viewers of a channel with a beat in (now - 60 s, now]; across pull types the counts add up, as the
   * per-minute CCV of all pull types does.
   */
  count(channelId: string, now: number, pullType?: string): number {
    const byPull = this.channels.get(channelId);
    if (!byPull) return 0;
    const since = now - WINDOW_MS;
    let n = 0;
    for (const [p, viewers] of byPull) {
      if (pullType !== undefined && p !== pullType) continue;
      for (const ts of viewers.values()) if (ts > since) n++;
    }
    return n;
  }

  /** Every channel's viewers now, per pull type (channels and pull types without viewers left out). */
  snapshot(now: number): Record<string, Record<string, number>> {
    const since = now - WINDOW_MS;
    const out: Record<string, Record<string, number>> = {};
    for (const [channelId, byPull] of this.channels) {
      for (const [p, viewers] of byPull) {
        let n = 0;
        for (const ts of viewers.values()) if (ts > since) n++;
        if (n > 0) (out[channelId] ??= {})[p] = n;
      }
    }
    return out;
  }

  prune(now: number): void {
    const since = now - WINDOW_MS;
    for (const [channelId, byPull] of this.channels) {
      for (const [p, viewers] of byPull) {
        for (const [v, ts] of viewers) if (ts <= since) viewers.delete(v);
        if (viewers.size === 0) byPull.delete(p);
      }
      if (byPull.size === 0) this.channels.delete(channelId);
    }
  }
}
