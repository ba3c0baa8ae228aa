/**
 * `npm run bench:ops`: what operability costs and how fast a migration runs, as same-run ratios.
 *   1. the per-request metrics work (labels, counter, histogram) against one real request (fastify inject of
 *      /healthz through the whole app);
 *   2. one /metrics scrape against the same request;
 *   3. `live-ccv import polyv` from a live-ccv source over HTTP against `live-ccv import ccv` of the same minutes
 *      from a CSV file (both real CLI processes into a fresh SQLite store), and the second, idempotent run.
 *   --channels N (default 20)  --days N (default 62)
 * Figures are printed, never asserted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, sqlitePath } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { metrics } from '../src/metrics/metrics.js';
import { startServer } from '../src/server.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { nodeArgs } from './node-command.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}
const CHANNELS = arg('channels', 20);
const DAYS = arg('days', 62);
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `live-ccv-bench-ops-${p}-`));
const ms = (x: number) => `${x.toFixed(3)} ms`;

async function instrumentation(): Promise<void> {
  const store = new SqliteStore(path.join(tmp('app'), 'store.sqlite'));
  const app = await buildApp({
    config: loadConfig({}, { dataDir: tmp('cfg'), logLevel: 'silent', demo: false }),
    store,
    logger: false,
  });
  const N = 3000;
  for (let i = 0; i < 300; i++) await app.inject({ method: 'GET', url: '/healthz' });
  let t = performance.now();
  for (let i = 0; i < N; i++) await app.inject({ method: 'GET', url: '/healthz' });
  const request = (performance.now() - t) / N;

  const M = 200_000;
  t = performance.now();
  for (let i = 0; i < M; i++) {
    const labels = { route: '/healthz', method: 'GET', code: '200' };
    metrics.httpRequests.inc(labels);
    metrics.httpSeconds.observe(labels, 0.0004);
  }
  const hook = (performance.now() - t) / M;

  for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url: '/metrics' });
  t = performance.now();
  const S = 50;
  for (let i = 0; i < S; i++) await app.inject({ method: 'GET', url: '/metrics' });
  const scrape = (performance.now() - t) / S;
  const bytes = (await app.inject({ method: 'GET', url: '/metrics' })).body.length;
  await app.close();
  await store.close();

  console.log('metrics cost (reference: one GET /healthz through the whole app, fastify inject)');
  console.log(`  request                      ${ms(request)}`);
  console.log(`  per-request instruments      ${ms(hook)}  = ${((hook / request) * 100).toFixed(2)} % of the request`);
  console.log(`  one /metrics scrape          ${ms(scrape)}  = ${(scrape / request).toFixed(1)}x the request (${bytes} bytes)`);
}

/** Runs the CLI as a child process (asynchronously: the source server answers from this process) and times it. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`live-ccv ${args.slice(0, 2).join(' ')} failed: ${stderr}`);
  return (performance.now() - t) / 1000;
}

async function target(): Promise<string> {
  const dataDir = tmp('target');
  const store = new SqliteStore(sqlitePath({ dataDir }));
  const t = new Tenancy(store);
  await t.createApp({ name: 'target', appId: 'tgt' });
  await t.addUser('tgt', 'u');
  for (let c = 0; c < CHANNELS; c++) await t.addChannel('u', String(9_000_000 + c));
  await store.close();
  return dataDir;
}

async function migration(): Promise<void> {
  const config = loadConfig(
    {},
    { dataDir: tmp('source'), port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, ingest: false, ipLimit: 100_000 },
  );
  const source = await startServer(config, () => {});
  const appSecret = 'bench-secret-bench-secret';
  const t = new Tenancy(source.store);
  await t.createApp({ name: 'src', appId: 'src', appSecret });
  await t.addUser('src', 'u');
  // three hours of viewers every evening, a different curve per channel
  const start = Date.parse('2024-01-01T00:00:00+08:00');
  const csv = ['channelId,pullType,minute,ccv'];
  const rows = [];
  for (let c = 0; c < CHANNELS; c++) {
    const channelId = String(9_000_000 + c);
    await t.addChannel('u', channelId);
    for (let d = 0; d < DAYS; d++) {
      for (let i = 0; i < 180; i++) {
        const minute = start + d * 86_400_000 + 19 * 3_600_000 + i * 60_000;
        const ccv = 100 + Math.round(80 * Math.sin((i + c) / 17)) + d;
        rows.push({ channelId, pullType: 'cdn', minute: minute / 60_000, ccv });
        csv.push(`${channelId},cdn,${minute},${ccv}`);
      }
    }
  }
  await source.store.setChannelMinutes(rows);
  const file = path.join(tmp('csv'), 'rows.csv');
  fs.writeFileSync(file, `${csv.join('\n')}\n`);
  const end = new Date(start + (DAYS - 1) * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);

  const csvTarget = await target();
  const csvSeconds = await cli(['import', 'ccv', file, '--data-dir', csvTarget]);
  const polyvTarget = await target();
  const state = path.join(polyvTarget, 'state.json');
  const channels = Array.from({ length: CHANNELS }, (_, c) => String(9_000_000 + c)).join(',');
  const polyv = [
    'import',
    'polyv',
    '--source',
    source.url,
    '--app-id',
    'src',
    '--channels',
    channels,
    '--start',
    '2024-01-01',
    '--end',
    end,
    '--data-dir',
    polyvTarget,
    '--state',
    state,
    '--no-progress',
  ];
  const env = { POLYV_APP_SECRET: appSecret };
  const polyvSeconds = await cli(polyv, env);
  const againSeconds = await cli([...polyv, '--restart'], env);
  await source.close();

  const requests = CHANNELS * Math.ceil(DAYS / 7);
  console.log(
    `import polyv (${CHANNELS} channels x ${DAYS} days, ${rows.length} minutes with viewers, ${requests} requests of 7 days)`,
  );
  console.log('  reference: import ccv of the same minutes from a CSV file (process start included in both)');
  console.log(`  import ccv                   ${csvSeconds.toFixed(2)} s  (${Math.round(rows.length / csvSeconds)} minutes/s)`);
  console.log(
    `  import polyv                 ${polyvSeconds.toFixed(2)} s  = ${(polyvSeconds / csvSeconds).toFixed(2)}x  (${Math.round((CHANNELS * DAYS) / polyvSeconds)} channel-days/s)`,
  );
  console.log(
    `  import polyv again (nothing to write) ${againSeconds.toFixed(2)} s  = ${(againSeconds / csvSeconds).toFixed(2)}x`,
  );
}

await instrumentation();
await migration();
