/**
 * Exact distinct viewers per channel, pull type and minute, for the minutes still open. A repeated beat
 * costs one Set lookup; the counts are the Sets' sizes when a minute closes.
 */
import type { ChannelMinute } from '../store/port.js';
import { minuteOf, type Heartbeat } from './heartbeat.js';

const SEP = '\t';

export class MinuteAggregator {
  /** minute -> "channelId \t pullType" -> viewer ids */
  private readonly minutes = new Map<number, Map<string, Set<string>>>();
  private lastMinute = NaN;
  private lastMap: Map<string, Set<string>> | undefined;

  add(b: Heartbeat): void {
    const m = minuteOf(b.ts);
    let byKey = m === this.lastMinute ? this.lastMap : this.minutes.get(m);
    if (!byKey) {
      byKey = new Map();
      this.minutes.set(m, byKey);
    }
    this.lastMinute = m;
    this.lastMap = byKey;
    const key = b.channelId + SEP + b.pullType;
    let viewers = byKey.get(key);
    if (!viewers) {
      viewers = new Set();
      byKey.set(key, viewers);
    }
    viewers.add(b.viewerId);
  }

  /** The final counts of every held minute before `before` (the minutes stay until `drop`). */
  closedRows(before: number): ChannelMinute[] {
    const rows: ChannelMinute[] = [];
    for (const [minute, byKey] of this.minutes) {
      if (minute >= before) continue;
      for (const [key, viewers] of byKey) {
        const tab = key.indexOf(SEP);
        rows.push({ channelId: key.slice(0, tab), pullType: key.slice(tab + 1), minute, ccv: viewers.size });
      }
    }
    return rows.sort((a, b) => a.minute - b.minute);
  }

  drop(before: number): void {
    for (const minute of [...this.minutes.keys()]) if (minute < before) this.minutes.delete(minute);
    if (this.lastMinute < before) {
      this.lastMinute = NaN;
      this.lastMap = undefined;
    }
  }

  /** Distinct viewers of one open minute (tests and diagnostics). */
  count(minute: number, channelId: string, pullType: string): number {
    return this.minutes.get(minute)?.get(channelId + SEP + pullType)?.size ?? 0;
  }

  /** Viewer entries held over every open minute, channel and pull type (memory, for /metrics). */
  heldViewers(): number {
    let n = 0;
    for (const byKey of this.minutes.values()) for (const viewers of byKey.values()) n += viewers.size;
    return n;
  }

  openMinutes(): number[] {
    return [...this.minutes.keys()].sort((a, b) => a - b);
  }
}
