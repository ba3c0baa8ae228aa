/** Reads a server's stored per-minute CCV through the admin API and compares it with a truth file. */
import { addDays, formatYmd } from '../domain/calendar.js';
import { compareRows, truthRanges, type Comparison } from './compare.js';
import { callJson, sleep } from './http.js';
import type { TruthRow } from './truth.js';

export interface VerifyOptions {
  baseUrl: string;
  adminToken: string;
}

const DAYS_PER_CALL = 31;

function utcDay(ms: number) {
  const d = new Date(ms);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
}

/** The server's rows for the truth's channels, each inside the minutes the truth covers for it. */
export async function serverRows(truth: readonly TruthRow[], o: VerifyOptions): Promise<TruthRow[]> {
  const rows: TruthRow[] = [];
  for (const [channelId, range] of truthRanges(truth)) {
    // UTC days widened by one on each side cover the range in any server time zone
    let day = addDays(utcDay(range.first), -1);
    const last = addDays(utcDay(range.last), 1);
    while (formatYmd(day) <= formatYmd(last)) {
      const chunkEnd = addDays(day, DAYS_PER_CALL - 1);
      const end = formatYmd(chunkEnd) < formatYmd(last) ? chunkEnd : last;
      const query = new URLSearchParams({ start: formatYmd(day), end: formatYmd(end) });
      const env = await callJson(
        `${o.baseUrl}/admin/v1/channels/${encodeURIComponent(channelId)}/minutes?${query}`,
        { headers: { authorization: `Bearer ${o.adminToken}` } },
        `GET /admin/v1/channels/${channelId}/minutes`,
      );
      if (!Array.isArray(env.data)) throw new Error(`GET /admin/v1/channels/${channelId}/minutes: data is not an array`);
      for (const item of env.data as { minute?: unknown; pullType?: unknown; ccv?: unknown }[]) {
        const minute = Number(item.minute);
        if (!Number.isInteger(minute) || typeof item.pullType !== 'string' || typeof item.ccv !== 'number') {
          throw new Error(`GET /admin/v1/channels/${channelId}/minutes: unexpected row ${JSON.stringify(item)}`);
        }
        if (minute >= range.first && minute <= range.last)
          rows.push({ channelId, pullType: item.pullType, minuteMs: minute, ccv: item.ccv });
      }
      day = addDays(end, 1);
    }
  }
  return rows;
}

export async function verifyOnce(truth: readonly TruthRow[], o: VerifyOptions): Promise<Comparison> {
  return compareRows(truth, await serverRows(truth, o));
}

/** Polls until the server agrees or the timeout passes (minutes still open are not yet stored). */
export async function verifyWaiting(
  truth: readonly TruthRow[],
  o: VerifyOptions & { timeoutMs: number; pollMs: number; onPoll?: (c: Comparison) => void },
): Promise<Comparison> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const result = await verifyOnce(truth, o);
    o.onPoll?.(result);
    if (result.mismatches.length === 0 || Date.now() + o.pollMs > deadline) return result;
    await sleep(o.pollMs);
  }
}
