/**
 * Signed API throughput: pre-signed summary calls of several sizes over real HTTP against the real server
 * (`live-ccv serve`, its own process, on the loaded dataset), each as a ratio to the same server's /healthz
 * measured in the same run, rounds interleaved so background noise hits all alike. Also what request logging
 * costs: /healthz on a second server logging every request (LIVE_CCV_REQUEST_LOG=all) against the default.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { callSummary, shapes, signedPath, type Loaded } from './summary-bench.js';
import { cpuMs, serve, type Served } from './serve.js';
import { fmtInt, fmtRatio, median } from './stats.js';
import { table } from './table.js';

export interface ApiFigures {
  table: string;
  logTable: string;
  /** summary throughput / healthz throughput, per query label */
  ratios: Record<string, number>;
  worst: { label: string; ratio: number };
  /** healthz throughput with every request logged / with the default */
  loggingRatio: number;
}

const CONNECTIONS = 16;

async function run(server: Served, what: string, path: string, seconds: number) {
  const cpu0 = cpuMs(server.pid);
  // autocannon stops at its first sample after the duration, one a second by default: a round shorter than a second
  // (the smoke run's) samples as often as it lasts, or it would load the server for a whole second anyway
  const sampleMs = Math.min(1000, seconds * 1000);
  const r = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    sampleInt: sampleMs,
    requests: [{ path }],
  });
  const cpuUs = ((cpuMs(server.pid) - cpu0) * 1000) / Math.max(1, r.requests.total);
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  }
  return { rps: (r.requests.average * 1000) / sampleMs, p99: r.latency.p99, cpuUs };
}

export async function apiBench(loaded: Loaded, rounds: number, seconds: number, log: (s: string) => void): Promise<ApiFigures> {
  // the API sizes: every shape but the sparse-users one (1x1, 10x31, 100x31, 300x62 on medium)
  const queries = shapes(loaded.spec).filter((q) => !q.label.includes('sparse'));
  // a second server for the logging figure: its own (empty) data dir, as one process owns a data dir; both start
  // together (nothing is timed yet)
  const loggedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-logged-'));
  const [server, logged] = await Promise.all([
    serve(loaded.dir, {}, 'api'),
    serve(loggedDir, { LIVE_CCV_REQUEST_LOG: 'all' }, 'api-logged'),
  ]);
  try {
    const endpoints = [{ label: 'GET /healthz', path: () => '/healthz' }].concat(
      queries.map((q) => ({ label: `GET signed summary (${q.label})`, path: () => signedPath(loaded.app, q) })),
    );
    for (const q of queries) await callSummary(server.url, signedPath(loaded.app, q)); // warm both caches
    const figures = new Map<string, { rps: number[]; p99: number[]; cpu: number[] }>();
    for (const e of endpoints) figures.set(e.label, { rps: [], p99: [], cpu: [] });
    log(`api: ${rounds} rounds of ${seconds}s for ${endpoints.length} endpoints, ${CONNECTIONS} connections ...`);
    for (let i = 0; i < rounds; i++) {
      for (const e of endpoints) {
        const r = await run(server, e.label, e.path(), seconds); // signed afresh each round: timestamps expire
        const f = figures.get(e.label)!;
        f.rps.push(r.rps);
        f.p99.push(r.p99);
        f.cpu.push(r.cpuUs);
      }
    }
    const health = median(figures.get('GET /healthz')!.rps);
    const ratios: Record<string, number> = {};
    const rows = endpoints.map((e) => {
      const f = figures.get(e.label)!;
      const ratio = median(f.rps) / health;
      if (e.label !== 'GET /healthz') ratios[e.label] = ratio;
      return [e.label, fmtInt(median(f.rps)), String(median(f.p99)), median(f.cpu).toFixed(0), String(rounds), fmtRatio(ratio)];
    });
    const t = table(
      ['endpoint', 'median req/s', 'median p99 latency ms', 'server CPU µs/request', 'rounds', 'ratio to /healthz'],
      rows,
    );
    const [worstLabel, worstRatio] = Object.entries(ratios).sort((a, b) => a[1] - b[1])[0]!;
    log(`${t}\nworst: ${worstLabel} at ${worstRatio.toFixed(2)} of /healthz`);

    log(`request logging: /healthz with LIVE_CCV_REQUEST_LOG=all against the default (notable), ${rounds} rounds ...`);
    const quiet: number[] = [];
    const loud: number[] = [];
    const quietCpu: number[] = [];
    const loudCpu: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const a = await run(server, 'healthz', '/healthz', seconds);
      quiet.push(a.rps);
      quietCpu.push(a.cpuUs);
      const b = await run(logged, 'healthz (logged)', '/healthz', seconds);
      loud.push(b.rps);
      loudCpu.push(b.cpuUs);
    }
    const loggingRatio = median(loud) / median(quiet);
    const logTable = table(
      ['LIVE_CCV_REQUEST_LOG', 'GET /healthz median req/s', 'server CPU µs/request', 'ratio'],
      [
        ['notable (default): errors, refusals, slow requests', fmtInt(median(quiet)), median(quietCpu).toFixed(0), '1.0x'],
        ['all: two info lines per request, to a file', fmtInt(median(loud)), median(loudCpu).toFixed(0), fmtRatio(loggingRatio)],
      ],
    );
    log(logTable);
    return { table: t, logTable, ratios, worst: { label: worstLabel, ratio: worstRatio }, loggingRatio };
  } finally {
    await server.stop();
    await logged.stop();
    fs.rmSync(loggedDir, { recursive: true, force: true });
  }
}
