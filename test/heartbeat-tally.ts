/**
 * What the stored minutes must equal after a crash or a full disk: the exact distinct viewers of every
 * acknowledged heartbeat, per channel, pull type and minute; and the batch call that acknowledges them.
 */
export type Beat = { channelId: string; viewerId: string; pullType: string; ts: number };

export class Tally {
  private readonly viewers = new Map<string, Set<string>>();

  /** Counts heartbeats the server acknowledged. */
  record(beats: readonly Beat[]): void {
    for (const b of beats) {
      const key = `${b.channelId}|${b.pullType}|${Math.floor(b.ts / 60_000)}`;
      let set = this.viewers.get(key);
      if (!set) this.viewers.set(key, (set = new Set()));
      set.add(b.viewerId);
    }
  }

  /** Expected CCV by "channel|pullType|epochMinute", of the minutes the filter keeps. */
  counts(filter: (minute: number) => boolean = () => true): Map<string, number> {
    return new Map([...this.viewers].filter(([k]) => filter(Number(k.split('|')[2]))).map(([k, v]) => [k, v.size]));
  }
}

/** POST /v1/heartbeats with the beats as NDJSON. */
export function postBeats(url: string, token: string, beats: readonly Beat[]): Promise<Response> {
  return fetch(`${url}/v1/heartbeats`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: beats.map((b) => JSON.stringify(b)).join('\n'),
  });
}
