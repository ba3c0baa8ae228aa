/**
 * What the API needs from the heartbeat ingest for "now" numbers: distinct viewers with a beat in the
 * last 60 s. Provided by the ingest service (AppDeps.extras.realtime) when the process runs it.
 */
export interface Realtime {
  /** distinct viewers of one channel now, optionally of one pull type */
  channelViewers(channelId: string, pullType?: string): Promise<number>;
  /** sum over the channels of their distinct viewers now */
  channelsViewers(channelIds: readonly string[], pullType?: string): Promise<number>;
}
