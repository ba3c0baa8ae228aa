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
import { summary } from '@live-ccv/client/contract';
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
      pool.push(`${summary.path}?${new URLSearchParams({ ...params, sign: sign(params, appSecret) }).toString()}`);
    }
  }
  return pool;
}

export interface ApiFigures {
  table: string;
  ratio: number;
  /** the server's CPU time per /healthz request over that per summary request (the load generator excluded) */
  cpuRatio: number;
}

/** User + system CPU of a process so far, from /proc (Linux), in ms. */
function serverCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
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
    // One pre-signed call whose answer has data, replayed (no nonce) like healthz's single path: autocannon
    // then builds both requests the same way, and the ratio measures the server, not the load generator.
    let path: string | undefined;
    for (const candidate of signedPool(app.appId, app.appSecret)) {
      const body = (await (await fetch(`${url}${candidate}`)).json()) as { code: number; message: string; data: unknown[] };
      if (body.code !== 200) throw new Error(`signed summary call refused: ${JSON.stringify(body)}`);
      if (body.data.length > 0) {
        path = candidate;
        break;
      }
    }
    if (!path) throw new Error('no user-day of the small dataset has data');

    const run = async (what: string, requests: { path: string }[]) => {
      const cpu0 = serverCpuMs(child.pid!);
      const r = await autocannon({ url, connections: 16, duration: seconds, requests });
      const cpuUs = ((serverCpuMs(child.pid!) - cpu0) * 1000) / Math.max(1, r.requests.total);
      if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
        throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      }
      return { ...r, cpuUs };
    };
    log(`api: ${rounds} rounds of ${seconds}s each for /healthz and signed summary, 16 connections ...`);
    const health: number[] = [];
    const signed: number[] = [];
    const healthP99: number[] = [];
    const signedP99: number[] = [];
    const healthCpu: number[] = [];
    const signedCpu: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const h = await run('/healthz', [{ path: '/healthz' }]);
      health.push(h.requests.average);
      healthP99.push(h.latency.p99);
      healthCpu.push(h.cpuUs);
      const s = await run('summary', [{ path }]);
      signed.push(s.requests.average);
      signedP99.push(s.latency.p99);
      signedCpu.push(s.cpuUs);
    }
    const ratio = median(signed) / median(health);
    const cpuRatio = median(healthCpu) / median(signedCpu);
    const t = table(
      ['endpoint', 'median req/s', 'median p99 latency ms', 'server CPU µs/request', 'rounds', 'ratio to /healthz'],
      [
        ['GET /healthz', fmtInt(median(health)), String(median(healthP99)), median(healthCpu).toFixed(0), String(rounds), '1.0x'],
        [
          'GET signed summary (1 user, 1 day)',
          fmtInt(median(signed)),
          String(median(signedP99)),
          median(signedCpu).toFixed(0),
          String(rounds),
          fmtRatio(ratio),
        ],
      ],
    );
    log(
      `${t}\nsigned summary / healthz throughput: ${ratio.toFixed(2)}; server CPU per request, healthz / summary: ${cpuRatio.toFixed(2)}`,
    );
    return { table: t, ratio, cpuRatio };
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
