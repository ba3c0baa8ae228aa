/**
 * "No reader can starve the ingest": heartbeat ingest throughput over HTTP into the real server (every role
 * in one process, fsync'd log) while one client loops the heaviest summary the API allows (all users of the
 * large dataset over its 92 days), against the same server's idle figure, rounds interleaved. Also the
 * batches' p99 acknowledgement time and what the looping client got.
 */
import { channels, userId, type DatasetSpec } from './dataset.js';
import { json } from './http.js';
import { INGEST_TOKEN, serve, type Served } from './serve.js';
import { fmtInt, fmtMs, median, percentile } from './stats.js';
import { callSummary, query, signedPath, type Loaded } from './summary-bench.js';
import { table } from './table.js';

const VIEWERS = 10_000;
const BATCH = 5_000;
const IN_FLIGHT = 8;

export interface IngestLoadFigures {
  table: string;
  ratio: number;
}

/** NDJSON bodies of `count` heartbeats over the dataset's channels, stamped within the last 50 s. */
function bodies(spec: DatasetSpec, count: number): string[] {
  const ids = [...channels(spec)].map((c) => c.channelId);
  const now = Date.now();
  const out: string[] = [];
  for (let i = 0; i < count; i += BATCH) {
    const lines: string[] = [];
    for (let k = i; k < Math.min(count, i + BATCH); k++) {
      const v = k % VIEWERS;
      const ts = now - 50_000 + Math.floor((k / count) * 50_000);
      lines.push(
        JSON.stringify({ channelId: ids[v % ids.length], viewerId: `viewer-${v}`, pullType: v % 10 ? 'cdn' : 'rtc', ts }),
      );
    }
    out.push(lines.join('\n'));
  }
  return out;
}

async function ingest(server: Served, batches: string[]): Promise<{ rate: number; p99: number }> {
  let next = 0;
  let accepted = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const worker = async () => {
    while (next < batches.length) {
      const body = batches[next++]!;
      const t = performance.now();
      const r = await json<{ code: number; data: { accepted: number; rejected: unknown[] } }>(server.url, '/v1/heartbeats', {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      if (r.code !== 200) throw new Error(`heartbeats refused: ${JSON.stringify(r).slice(0, 300)}`);
      accepted += r.data.accepted;
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ms = performance.now() - t0;
  const total = batches.reduce((n, b) => n + b.split('\n').length, 0);
  if (accepted !== total) throw new Error(`only ${accepted} of ${total} heartbeats were accepted`);
  return {
    rate: (accepted / ms) * 1000,
    p99: percentile(
      [...latencies].sort((a, b) => a - b),
      99,
    ),
  };
}

export async function ingestUnderLoad(
  loaded: Loaded,
  opts: { heartbeats: number; rounds: number },
  log: (s: string) => void,
): Promise<IngestLoadFigures> {
  const { spec } = loaded;
  const heavy = query(
    spec,
    Array.from({ length: spec.users }, (_, u) => userId(spec, u)),
    spec.days,
  );
  const server = await serve(loaded.dir, {}, 'ingest-load');
  try {
    log(
      `ingest under load: ${fmtInt(opts.heartbeats)} heartbeats per phase over HTTP (NDJSON batches of ${BATCH}, ${IN_FLIGHT} in flight), idle and while a client loops the summary of ${heavy.label}, ${opts.rounds} rounds ...`,
    );
    await callSummary(server.url, signedPath(loaded.app, heavy)); // warm
    const idle: { rate: number; p99: number }[] = [];
    const busy: { rate: number; p99: number }[] = [];
    const loops: number[] = [];
    const loopMs: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      idle.push(await ingest(server, bodies(spec, opts.heartbeats)));
      let running = true;
      const looper = (async () => {
        while (running) {
          const t = performance.now();
          await callSummary(server.url, signedPath(loaded.app, heavy));
          loopMs.push(performance.now() - t);
          loops[r] = (loops[r] ?? 0) + 1;
        }
      })();
      const batches = bodies(spec, opts.heartbeats);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the loop is running
      busy.push(await ingest(server, batches));
      running = false;
      await looper;
    }
    const ratio = median(busy.map((b) => b.rate)) / median(idle.map((i) => i.rate));
    const t = table(
      ['phase', 'heartbeats/s (median)', 'batch p99 ms (median)', 'summaries answered meanwhile', 'summary p50 ms'],
      [
        ['idle', fmtInt(median(idle.map((i) => i.rate))), fmtMs(median(idle.map((i) => i.p99))), '-', '-'],
        [
          `a client looping ${heavy.label}`,
          fmtInt(median(busy.map((b) => b.rate))),
          fmtMs(median(busy.map((b) => b.p99))),
          String(loops.reduce((a, b) => a + b, 0)),
          fmtMs(median(loopMs)),
        ],
      ],
    );
    log(`${t}\ningest while summaries loop: ${ratio.toFixed(2)} of idle`);
    return { table: t, ratio };
  } finally {
    await server.stop();
  }
}
