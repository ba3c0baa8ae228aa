/**
 * The timed side of the push bench, in a small process of its own: a CDN's once-a-minute POST of one minute of
 * every channel, sent one after another, each timed from the first byte sent to the last byte of the answer. The
 * bench process holds the import's data (hundreds of MB), and its collector's pauses would be timed as the
 * server's; here the client's heap stays a few MB.
 *
 * Reads a PushJob as JSON from stdin; writes one JSON line, a PushResult: the milliseconds of each POST, in order, and
 * the server's /metrics text before and after the timed POSTs. POSTs go through ./http.ts (node:http with
 * keep-alive), as the other latency benches'.
 */
import { MINUTE_MS } from '../src/domain/calendar.js';
import { request } from './http.js';

export interface PushJob {
  url: string;
  token: string;
  ids: string[];
  /** epoch minute of the first push; push k sends minute firstMinute + k */
  firstMinute: number;
  /** index of the first push (its values vary with it, as the in-process pushes after it continue) */
  first: number;
  count: number;
  /** the POSTs before the timed ones: the server's /metrics is read after them and again after the last POST */
  warm: number;
}

export interface PushResult {
  ms: number[];
  /** the server's /metrics text after the warm POSTs and after the last one */
  metrics: [string, string];
}

/** The body of push k: minute `firstMinute + k` of every channel. */
export function pushBody(ids: readonly string[], minute: number, k: number): string {
  const ms = minute * MINUTE_MS;
  return ids.map((id, i) => `${id},cdn,${ms},${1 + ((i * 7919 + k * 31) % 5000)}`).join('\n');
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input) as PushJob;
  const ms: number[] = [];
  const metrics: string[] = [];
  const scrape = async () => metrics.push((await request(job.url, '/metrics')).body);
  for (let k = job.first; k < job.first + job.count; k++) {
    if (k === job.first + job.warm) await scrape();
    const body = pushBody(job.ids, job.firstMinute + k, k);
    const t0 = performance.now();
    const answer = await request(job.url, '/admin/v1/ccv', {
      method: 'POST',
      headers: { authorization: `Bearer ${job.token}`, 'content-type': 'text/csv' },
      body,
    });
    ms.push(performance.now() - t0);
    const r = JSON.parse(answer.body) as { code: number; message: string; data?: { accepted: number } };
    if (r.code !== 200 || r.data?.accepted !== job.ids.length) {
      throw new Error(`push ${k} answered ${r.code} ${r.message}: accepted ${r.data?.accepted} of ${job.ids.length}`);
    }
  }
  await scrape();
  const result: PushResult = { ms, metrics: [metrics[0] ?? '', metrics.at(-1) ?? ''] };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // the shared keep-alive agent would hold the process open until the server drops its idle socket
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
