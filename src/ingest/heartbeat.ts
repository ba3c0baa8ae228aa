/**
 * A heartbeat and the per-heartbeat checks shared by the beacon and the batch endpoint. The checks that
 * need no state (shape, ids, pull type, clock) live here; channel ownership and lateness are the
 * service's, because they depend on the channel directory and on which minutes have closed.
 */
import { MINUTE_MS } from '../domain/calendar.js';
import type { EpochMinute, EpochMs } from '../domain/units.js';

export interface Heartbeat {
  channelId: string;
  viewerId: string;
  pullType: string;
  /** epoch ms: the player's time in a batch, the server's receive time for a beacon */
  ts: EpochMs;
}

export const CHANNEL_ID = /^\d{1,20}$/;
/** Printable ASCII without spaces: the log separates fields with tabs and records with newlines. */
export const VIEWER_ID = /^[\x21-\x7e]{1,128}$/;
/** How far ahead of server time a heartbeat's ts may be (clock skew of players and edges). */
export const MAX_FUTURE_MS = 60_000;

export const minuteOf = (ts: EpochMs): EpochMinute => Math.floor(ts / MINUTE_MS);

/**
 * Checks one raw heartbeat (a parsed JSON object or form fields). Returns the heartbeat or the reason it
 * is refused. `ts` is honoured only when `acceptTs` (the authenticated batch endpoint).
 */
export function parseHeartbeat(raw: unknown, pullTypes: ReadonlySet<string>, now: number, acceptTs: boolean): Heartbeat | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'a heartbeat must be a JSON object';
  const r = raw as Record<string, unknown>;
  const channel = r.channelId;
  const channelId = typeof channel === 'number' && Number.isSafeInteger(channel) && channel >= 0 ? String(channel) : channel;
  if (typeof channelId !== 'string' || channelId === '') return 'channelId is required';
  if (!CHANNEL_ID.test(channelId)) return `channelId must be digits: ${clip(channelId)}`;
  const viewerId = r.viewerId;
  if (typeof viewerId !== 'string' || viewerId === '') return 'viewerId is required';
  if (!VIEWER_ID.test(viewerId)) return 'viewerId must be 1-128 printable ASCII characters without spaces';
  // an empty field (an image-pixel URL built from a template) means the default, like an absent one
  const pull = r.pullType === undefined || r.pullType === null || r.pullType === '' ? 'cdn' : r.pullType;
  if (typeof pull !== 'string' || !pullTypes.has(pull)) return `unknown pullType: ${clip(String(pull))}`;
  let ts = now;
  if (acceptTs && r.ts !== undefined && r.ts !== null && r.ts !== '') {
    const t = typeof r.ts === 'string' && /^\d{1,16}$/.test(r.ts) ? Number(r.ts) : r.ts;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) return 'ts must be epoch milliseconds';
    if (t > now + MAX_FUTURE_MS) return `ts is ${t - now} ms in the future (at most ${MAX_FUTURE_MS} allowed)`;
    ts = t;
  }
  return { channelId, viewerId, pullType: pull, ts };
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
