/**
 * Sends generated beats to a running server and keeps the truth of what it accepted.
 * Batch: `POST /v1/heartbeats` NDJSON with explicit ts; the answer's `rejected` indices say which beats
 * do not count. Beacon: `POST /v1/beacon`, stamped with server time, so each beat is sent when its
 * simulated time comes and counted in the minute the request was made.
 */
import { callJson, sleep } from './http.js';
import type { SimBeat } from './traffic.js';
import { TruthCounter } from './truth.js';

export interface SendOptions {
  baseUrl: string;
  endpoint: 'batch' | 'beacon';
  ingestToken?: string;
  /** heartbeats per second, at most */
  rate: number;
  batchSize: number;
  /** requests in flight */
  concurrency: number;
  /**
   * Beacon only: no request starts this close to a minute boundary, so that the client's minute is the
   * server's minute (same clock, or clocks closer than this).
   */
  boundaryGuardMs: number;
  onProgress?: (done: number) => void;
  /** the deployment's clock (LIVE_CCV_CLOCK_OFFSET_MS shifts it in tests); the wall clock by default */
  now?: () => number;
}

export interface SendReport {
  sent: number;
  accepted: number;
  rejected: Record<string, number>;
  /** deliberately late beats the server accepted: a server bug */
  lateAccepted: number;
  /** beacon requests that straddled a minute boundary, so their minute is uncertain */
  ambiguous: number;
  truth: TruthCounter;
}

interface BatchAnswer {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

function batchAnswer(data: unknown, size: number): BatchAnswer {
  const d = data as Partial<BatchAnswer> | null;
  const ok =
    d !== null &&
    typeof d === 'object' &&
    typeof d.accepted === 'number' &&
    Array.isArray(d.rejected) &&
    d.rejected.every((r) => Number.isInteger(r?.index) && r.index >= 0 && r.index < size && typeof r.reason === 'string') &&
    d.accepted + d.rejected.length === size;
  if (!ok) {
    throw new Error(
      `POST /v1/heartbeats answered outside the contract ({"accepted","rejected":[{"index","reason"}]}): ${JSON.stringify(data).slice(0, 160)}`,
    );
  }
  return d as BatchAnswer;
}

/** Runs `work(i)` for i in [0, n) with at most `concurrency` in flight; the first failure stops the rest. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < n) {
      const i = next++;
      try {
        await work(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}

export async function sendTraffic(beats: readonly SimBeat[], o: SendOptions): Promise<SendReport> {
  if (!(o.rate > 0)) throw new Error(`--rate must be positive, got ${o.rate}`);
  if (!(o.batchSize >= 1)) throw new Error(`--batch-size must be at least 1, got ${o.batchSize}`);
  if (!(o.concurrency >= 1)) throw new Error(`--concurrency must be at least 1, got ${o.concurrency}`);
  const report: SendReport = { sent: 0, accepted: 0, rejected: {}, lateAccepted: 0, ambiguous: 0, truth: new TruthCounter() };
  // reasons are tallied by their leading phrase: the detail after a colon names the beat
  const reject = (reason: string) => {
    const kind = reason.split(':')[0]!.trim().slice(0, 60) || 'unspecified';
    report.rejected[kind] = (report.rejected[kind] ?? 0) + 1;
  };
  const started = Date.now();
  // paced by position: beat i may leave at started + i / rate
  const paceUntil = (i: number) => sleep(started + (i * 1000) / o.rate - Date.now());
  // beacons are stamped by the server's clock, which a test may shift: wait for beats on the same clock
  const now = o.now ?? Date.now;

  if (o.endpoint === 'batch') {
    if (!o.ingestToken) throw new Error('the batch endpoint needs an ingest token (--ingest-token or LIVE_CCV_INGEST_TOKEN)');
    const batches = Math.ceil(beats.length / o.batchSize);
    await pool(batches, o.concurrency, async (b) => {
      const first = b * o.batchSize;
      const chunk = beats.slice(first, first + o.batchSize);
      await paceUntil(first);
      const body = chunk
        .map((x) => JSON.stringify({ channelId: x.channelId, viewerId: x.viewerId, pullType: x.pullType, ts: x.ts }))
        .join('\n');
      const env = await callJson(
        `${o.baseUrl}/v1/heartbeats`,
        { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${o.ingestToken}` }, body },
        'POST /v1/heartbeats',
      );
      const answer = batchAnswer(env.data, chunk.length);
      const refused = new Set<number>();
      for (const r of answer.rejected) {
        refused.add(r.index);
        reject(r.reason);
      }
      chunk.forEach((beat, i) => {
        if (refused.has(i)) return;
        report.truth.add(beat);
        if (beat.kind === 'late') report.lateAccepted++;
      });
      report.sent += chunk.length;
      report.accepted += answer.accepted;
      o.onProgress?.(report.sent);
    });
    return report;
  }

  await pool(beats.length, o.concurrency, async (i) => {
    const beat = beats[i]!;
    await paceUntil(i);
    await sleep(beat.ts - now());
    const intoMinute = now() % 60_000;
    if (intoMinute > 60_000 - o.boundaryGuardMs) await sleep(60_000 - intoMinute + o.boundaryGuardMs);
    else if (intoMinute < o.boundaryGuardMs) await sleep(o.boundaryGuardMs - intoMinute);
    const before = now();
    const res = await fetch(`${o.baseUrl}/v1/beacon`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channelId: beat.channelId, viewerId: beat.viewerId, pullType: beat.pullType }),
    }).catch((err: unknown) => {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new Error(`POST /v1/beacon: cannot reach ${o.baseUrl} (${cause})`);
    });
    const after = now();
    const text = await res.text();
    report.sent++;
    if (res.status === 204) {
      report.accepted++;
      report.truth.add({ ...beat, ts: before });
      if (Math.floor(before / 60_000) !== Math.floor(after / 60_000)) report.ambiguous++;
    } else if (res.status === 400) {
      let reason = text;
      try {
        reason = String((JSON.parse(text) as { message?: unknown }).message ?? text);
      } catch {
        // keep the raw text as the reason
      }
      reject(reason);
    } else {
      throw new Error(`POST /v1/beacon: HTTP ${res.status}: ${text.slice(0, 120)}`);
    }
    o.onProgress?.(report.sent);
  });
  return report;
}
