/**
 * Ingest memory under a burst of large batches: `npm run bench:soak -- --burst [--batches 16] [--mb 8.5]
 * [--budget BYTES]`. 16 clients each post one 8.5 MB NDJSON
 * batch at the same moment, retrying after Retry-After when refused, against two real server processes
 * in turn: the default in-flight budget (LIVE_CCV_INGEST_INFLIGHT_BYTES) and the reference, the same
 * server with the budget lifted (1 GiB: every batch admitted at once, as before the budget existed).
 * Reports each server's peak RSS (VmHWM), the refusals and the time until every heartbeat was accepted.
 */
import { performance } from 'node:perf_hooks';
import { settings } from '../src/config/config.js';
import { flag, INGEST_TOKEN, startSoakServer } from './soak-server.js';

const BATCHES = Number(flag('--batches') ?? 16);
const MB = Number(flag('--mb') ?? 8.5);
const VIEWERS = 50_000;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function batchBody(channels: string[], tag: number): string {
  const lines: string[] = [];
  let bytes = 0;
  const now = Date.now();
  for (let i = 0; bytes < MB * 1024 * 1024; i++) {
    // a steady audience: the same 50k viewers, each on its own channel and pull type, in every batch, so
    // what is measured is the batches in flight, not the aggregator's (legitimate) memory of distinct viewers
    const v = (i + tag * 7919) % VIEWERS;
    const line = JSON.stringify({
      channelId: channels[v % channels.length],
      viewerId: `viewer-${v}`,
      pullType: v % 10 === 0 ? 'rtc' : 'cdn',
      ts: now - (i % 30_000),
    });
    lines.push(line);
    bytes += line.length + 1;
  }
  return lines.join('\n');
}

async function burst(label: string, env: Record<string, string>) {
  const server = await startSoakServer({ users: 10, channelsPerUser: 10, env });
  try {
    const bodies = Array.from({ length: BATCHES }, (_, i) => batchBody(server.channels, i));
    const beats = bodies.reduce((n, b) => n + b.split('\n').length, 0);
    const before = server.memory().rss;
    let refused = 0;
    let accepted = 0;
    const t = performance.now();
    await Promise.all(
      bodies.map(async (body) => {
        for (;;) {
          const res = await fetch(`${server.url}/v1/heartbeats`, {
            method: 'POST',
            headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
            body,
          });
          const json = (await res.json()) as { code: number; data: { accepted: number } };
          if (res.status === 503) {
            refused++;
            await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
            continue;
          }
          if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${JSON.stringify(json)}`);
          accepted += json.data.accepted;
          return;
        }
      }),
    );
    const ms = performance.now() - t;
    if (accepted !== beats) throw new Error(`${label}: ${accepted} of ${beats} heartbeats accepted`);
    const { hwm } = server.memory();
    return { label, hwm, before, refused, ms, beats };
  } finally {
    await server.stop();
  }
}

const budget = Number(flag('--budget') ?? settings.ingestInflightBytes.def);
process.stdout.write(
  `burst: ${BATCHES} parallel NDJSON batches of ${MB} MB each (${mb(BATCHES * MB * 1024 * 1024)} in total), retrying on 503\n`,
);
const limited = await burst(`budget ${mb(budget)} (default)`, { LIVE_CCV_INGEST_INFLIGHT_BYTES: String(budget) });
const reference = await burst('reference: budget lifted (1 GiB)', { LIVE_CCV_INGEST_INFLIGHT_BYTES: String(1024 ** 3) });
for (const r of [limited, reference]) {
  process.stdout.write(
    `  ${r.label.padEnd(36)} peak RSS ${mb(r.hwm).padStart(7)} (idle ${mb(r.before)}), ${String(r.refused).padStart(3)} refusals, ` +
      `all ${r.beats.toLocaleString('en-US')} heartbeats accepted in ${(r.ms / 1000).toFixed(1)} s\n`,
  );
}
process.stdout.write(
  `peak RSS with the budget: ${(limited.hwm / reference.hwm).toFixed(2)}x the reference's; time: ${(limited.ms / reference.ms).toFixed(2)}x\n`,
);
