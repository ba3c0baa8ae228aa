/**
 * What the admin API reads about viewers: a channel's stored minutes, and "now" counts of a channel or a user.
 */
import type { Config } from '../config/config.js';
import { dayRangeMinutes, MINUTE_MS, type Ymd } from '../domain/calendar.js';
import type { CurveSpan } from '../domain/peak.js';
import { errors } from '../errors.js';
import type { Realtime } from '../ingest/realtime-port.js';
import type { CurveStore, TenancyStore } from '../store/port.js';
import { Tenancy } from './tenancy.js';

export interface MinuteRow {
  /** epoch ms of the minute */
  minute: number;
  pullType: string;
  ccv: number;
}

export class Viewers {
  private readonly tenancy: Tenancy;

  constructor(
    private readonly deps: {
      store: TenancyStore & CurveStore;
      config: Pick<Config, 'timeZone'>;
      realtime?: Realtime | undefined;
    },
  ) {
    this.tenancy = new Tenancy(deps.store);
  }

  /** A channel's stored non-zero minutes over the local days start..end, ascending by minute then pull type. */
  async channelMinutes(channelId: string, start: Ymd, end: Ymd, pullType: string | undefined): Promise<MinuteRow[]> {
    await this.tenancy.channel(channelId);
    const { from, to } = dayRangeMinutes(start, end, this.deps.config.timeZone);
    return minuteRows(await this.deps.store.readCurves('channel', [channelId], from, to, pullType), from, to);
  }

  async channelNow(channelId: string, pullType: string | undefined): Promise<number> {
    await this.tenancy.channel(channelId);
    return this.realtime().channelViewers(channelId, pullType);
  }

  async userNow(userId: string, pullType: string | undefined): Promise<number> {
    const channels = await this.tenancy.listChannels(userId);
    return this.realtime().channelsViewers(
      channels.map((c) => c.channelId),
      pullType,
    );
  }

  private realtime(): Realtime {
    if (!this.deps.realtime)
      throw errors.unavailable('realtime viewer counts (the heartbeat ingest is not running in this process)');
    return this.deps.realtime;
  }
}

/** Non-zero minutes of the segments inside [from, to), ascending by minute then pull type. */
function minuteRows(segments: readonly CurveSpan[], from: number, to: number): MinuteRow[] {
  const rows: MinuteRow[] = [];
  for (const s of segments) {
    for (let i = 0; i < s.values.length; i++) {
      const m = s.start + i;
      const v = s.values[i]!;
      if (m >= from && m < to && v > 0) rows.push({ minute: m * MINUTE_MS, pullType: s.key, ccv: v });
    }
  }
  return rows.sort((a, b) => a.minute - b.minute || (a.pullType < b.pullType ? -1 : 1));
}
