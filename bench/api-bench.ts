/**
 * Signed API throughput: small signed summary calls over real HTTP against the real server (its own
 * process), as a ratio to the same server's /healthz measured in the same run, rounds interleaved so
 * background noise hits both alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sign } from '../src/auth/sign.js';
import { SUMMARY_PATH } from '../src/http/routes/summary.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { SIZES, userId } from './dataset.js';
import { loadAll, StoreSink } from './load.js';
import { fmtInt, fmtRatio, median } from './stats.js';
import { table } from './table.js';

const SERVER = fileURLToPath(new URL('./api-server.ts', import.meta.url));

async function startServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench API server exited early (code ${code})`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return { child, port };
}

/** Signed GET paths: one user, one day each; no nonce, so a path can be replayed within the 3-minute window. */
function signedPool(appId: string, appSecret: string): string[] {
  const spec = SIZES.small;
  const timestamp = String(Date.now());
  const pool: string[] = [];
  for (let u = 0; u < spec.users; u++) {
    for (const day of ['2024-01-01', '2024-01-02']) {
      const params: Record<string, string> = { appId, timestamp, users: userId(spec, u), start: day, end: day };
      pool.push(`${SUMMARY_PATH}?${new URLSearchParams({ ...params, sign: sign(params, appSecret) }).toString()}`);
    }
  }
  return pool;
}

export interface ApiFigures {
  table: string;
  ratio: number;
}

export async function apiBench(rounds: number, seconds: number, log: (s: string) => void): Promise<ApiFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-api-'));
  const store = new SqliteStore(path.join(dir, 'store.sqlite'));
  const sink = new StoreSink('api', store, SIZES.small);
  const app = await sink.init();
  await loadAll(SIZES.small, [sink]);
  await store.close();

  const { child, port } = await startServer(dir);
  try {
    const url = `http://127.0.0.1:${port}`;
    const pool = signedPool(app.appId, app.appSecret);
    const check = await fetch(`${url}${pool[0]}`);
    const body = (await check.json()) as { code: number; message: string };
    if (body.code !== 200) throw new Error(`signed summary call refused: ${JSON.stringify(body)}`);

    const run = async (what: string, requests: { path: string }[]) => {
      const r = await autocannon({ url, connections: 16, duration: seconds, requests });
      if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
        throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      }
      return r;
    };
    log(`api: ${rounds} rounds of ${seconds}s each for /healthz and signed summary, 16 connections ...`);
    const health: number[] = [];
    const signed: number[] = [];
    const healthP99: number[] = [];
    const signedP99: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const h = await run('/healthz', [{ path: '/healthz' }]);
      health.push(h.requests.average);
      healthP99.push(h.latency.p99);
      const s = await run('summary', pool.map((p) => ({ path: p })));
      signed.push(s.requests.average);
      signedP99.push(s.latency.p99);
    }
    const ratio = median(signed) / median(health);
    const t = table(
      ['endpoint', 'median req/s', 'median p99 latency ms', 'rounds', 'ratio to /healthz'],
      [
        ['GET /healthz', fmtInt(median(health)), String(median(healthP99)), String(rounds), '1.0x'],
        ['GET signed summary (1 user, 1 day)', fmtInt(median(signed)), String(median(signedP99)), String(rounds), fmtRatio(ratio)],
      ],
    );
    log(`${t}\nsigned summary / healthz throughput: ${ratio.toFixed(2)}`);
    return { table: t, ratio };
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
