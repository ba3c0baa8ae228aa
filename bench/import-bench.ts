/**
 * Bulk import throughput of the same CSV, in time order and shuffled: the CLI's import path in this process
 * (what `live-ccv import ccv` runs once started), the real CLI process (start-up included), and
 * `POST /admin/v1/ccv` to the real server in chunks; against DuckDB loading the same file with read_csv in
 * the same run. Then a CDN's once-a-minute push: one small POST holding one minute of every channel.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../src/config/config.js';
import { MINUTE_MS } from '../src/domain/calendar.js';
import { CcvImporter } from '../src/service/import-ccv.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { channels, minuteRange, SIZES, type DatasetSpec } from './dataset.js';
import { writeImportFiles } from './import-data.js';
import { StoreSink } from './load.js';
import { json } from './http.js';
import { ADMIN_TOKEN, serve } from './serve.js';
import { fmtInt, fmtMs, summarize } from './stats.js';
import { table } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** HTTP chunks stay under the bench server's raised body limit (64 MiB). */
const HTTP_CHUNK_BYTES = 32 * 1024 * 1024;
const PUSHES = 60;

export interface ImportFigures {
  table: string;
  pushTable: string;
  /** the slowest of the CLI path and the HTTP path over both orders, rows/s */
  worstRate: number;
  pushP99: number;
}

/** The import bench's data: the medium mix over its first 250 users and 12 days (~3M rows), or small. */
export function importSpec(smoke: boolean): DatasetSpec {
  return smoke ? { ...SIZES.small, name: 'import' } : { ...SIZES.medium, name: 'import', users: 250, days: 12 };
}

/** A data dir holding a store with the dataset's tenancy and no minutes yet (copies of one template). */
function seededDirs(template: string, base: string) {
  let n = 0;
  return () => {
    const dir = path.join(base, `seeded-${n++}`);
    fs.mkdirSync(dir);
    fs.copyFileSync(template, path.join(dir, 'live-ccv.sqlite'));
    return dir;
  };
}

/**
 * Builds the client package and the server (incrementally, as `npm run build` does but without the dashboard)
 * so the CLI figure is what users run: `live-ccv` is dist/src/cli/main.js.
 */
async function build(): Promise<void> {
  for (const project of ['packages/client', 'tsconfig.build.json']) {
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { cwd: ROOT }, (err, stdout) =>
        err ? reject(new Error(`building ${project} failed:\n${stdout}`)) : resolve(),
      );
    });
  }
}

/**
 * Runs `live-ccv` on a data dir: the built CLI (what users run), or in the smoke run its TypeScript sources
 * through tsx (the same commands, without building dist while the test suite may be reading it).
 */
function cli(args: string[], dataDir: string, smoke: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(smoke ? ['--conditions=live-ccv-source', '--import', 'tsx', 'src/cli/main.ts'] : ['dist/src/cli/main.js']), ...args],
      {
        cwd: ROOT,
        // the built CLI resolves the client package to its build, not to its TypeScript sources (tests set that)
        env: {
          ...process.env,
          NODE_OPTIONS: smoke
            ? process.env.NODE_OPTIONS
            : (process.env.NODE_OPTIONS ?? '').replace('--conditions=live-ccv-source', ''),
          LIVE_CCV_DATA_DIR: dataDir,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/** The file as CSV bodies of at most HTTP_CHUNK_BYTES, each starting with the header. */
function chunks(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const nl = text.indexOf('\n');
  const header = text.slice(0, nl + 1);
  const out: string[] = [];
  for (let at = nl + 1; at < text.length; ) {
    let end = Math.min(text.length, at + HTTP_CHUNK_BYTES);
    if (end < text.length) end = text.lastIndexOf('\n', end) + 1;
    out.push(header + text.slice(at, end));
    at = end;
  }
  return out;
}

async function post(url: string, body: string): Promise<{ accepted: number; rejected: unknown[] }> {
  const r = await json<{ code: number; message: string; data: { accepted: number; rejected: unknown[] } }>(url, '/admin/v1/ccv', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
    body,
  });
  if (r.code !== 200) throw new Error(`admin import refused: ${r.code} ${r.message}`);
  return r.data;
}

export async function importBench(smoke: boolean, log: (s: string) => void): Promise<ImportFigures> {
  const spec = importSpec(smoke);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-import-'));
  try {
    log(`import: writing ${spec.users} users x ${spec.days} days of ${spec.description} as CSV, time-ordered and shuffled ...`);
    const files = writeImportFiles(spec, base);
    const template = path.join(base, 'template.sqlite');
    const seed = new SqliteStore(template);
    await new StoreSink('template', seed, spec).init();
    await seed.close();
    const fresh = seededDirs(template, base);
    if (!smoke) {
      log('import: building dist for the CLI figure (npm run build) ...');
      await build();
    }
    const config = loadConfig({}, { dataDir: base, logLevel: 'silent', demo: false });
    const rows: string[][] = [];
    const rates: number[] = [];
    const rate = (ms: number) => (files.rows / ms) * 1000;
    for (const [order, file] of [
      ['time-ordered', files.timeOrdered],
      ['shuffled', files.shuffled],
    ] as const) {
      log(`import ${order}: ${fmtInt(files.rows)} rows, ${(files.bytes / 2 ** 20).toFixed(0)} MiB ...`);
      // 1. the CLI's path in this process
      const dir = fresh();
      const store = new SqliteStore(path.join(dir, 'live-ccv.sqlite'), { queryThreads: 0 });
      let t0 = performance.now();
      const r = await new CcvImporter(store, config).importText(
        fs.createReadStream(file, { highWaterMark: 1 << 20, encoding: 'utf8' }),
      );
      const inProcess = performance.now() - t0;
      await store.close();
      if (r.accepted !== files.rows || r.rejected.length > 0)
        throw new Error(`import ${order}: ${JSON.stringify(r).slice(0, 300)}`);
      // 2. the CLI process, start-up included
      t0 = performance.now();
      const out = JSON.parse(await cli(['import', 'ccv', file, '--json'], fresh(), smoke)) as { accepted: number };
      const cliMs = performance.now() - t0;
      if (out.accepted !== files.rows) throw new Error(`CLI import ${order} accepted ${out.accepted} of ${files.rows}`);
      // 3. POST /admin/v1/ccv, in chunks, to a real server
      const server = await serve(fresh(), {}, 'import');
      let httpMs: number;
      try {
        const bodies = chunks(file);
        t0 = performance.now();
        let accepted = 0;
        for (const body of bodies) accepted += (await post(server.url, body)).accepted;
        httpMs = performance.now() - t0;
        if (accepted !== files.rows) throw new Error(`HTTP import ${order} accepted ${accepted} of ${files.rows}`);
      } finally {
        await server.stop();
      }
      // 4. DuckDB's CSV reader on the same file
      const duck = await (await DuckDBInstance.create(':memory:')).connect();
      t0 = performance.now();
      await duck.run(
        `CREATE TABLE ccv AS SELECT * FROM read_csv('${file}', header = true,
           columns = {'channelId': 'VARCHAR', 'pullType': 'VARCHAR', 'minute': 'BIGINT', 'ccv': 'UINTEGER'})`,
      );
      const duckMs = performance.now() - t0;
      duck.closeSync();
      rates.push(rate(inProcess), rate(httpMs));
      for (const [what, ms] of [
        ['live-ccv import path (in process)', inProcess],
        [`live-ccv import ccv (${smoke ? 'the CLI from its sources' : 'the built CLI'}, start-up included)`, cliMs],
        ['POST /admin/v1/ccv (real server, 32 MiB bodies)', httpMs],
        ['DuckDB read_csv', duckMs],
      ] as const) {
        rows.push([order, what, (ms / 1000).toFixed(2), fmtInt(rate(ms)), (duckMs / ms).toFixed(2)]);
      }
    }
    const t = table(['row order', 'path', 'seconds', 'rows/s', 'rows/s / DuckDB'], rows);
    log(t);

    // A CDN's push: one POST per minute with that minute of every channel, into a server holding the data.
    const ids = [...channels(spec)].map((c) => c.channelId);
    const dir = fresh();
    const server = await serve(dir, {}, 'push');
    const samples: number[] = [];
    try {
      for (const body of chunks(files.timeOrdered)) await post(server.url, body);
      const { to } = minuteRange(spec);
      for (let k = 0; k < PUSHES + 5; k++) {
        const minute = (to + k) * MINUTE_MS;
        const body = ids.map((id, i) => `${id},cdn,${minute},${1 + ((i * 7919 + k * 31) % 5000)}`).join('\n');
        const t1 = performance.now();
        const r = await post(server.url, body);
        if (k >= 5) samples.push(performance.now() - t1); // the first pushes warm the server's paths
        if (r.accepted !== ids.length) throw new Error(`push accepted ${r.accepted} of ${ids.length}`);
      }
    } finally {
      await server.stop();
    }
    const push = summarize(samples);
    const pushTable = table(
      ['push', 'rows per POST', 'POSTs', 'p50 ms', 'p99 ms', 'max ms'],
      [
        [
          'one minute of every channel',
          String(ids.length),
          String(samples.length),
          fmtMs(push.p50),
          fmtMs(push.p99),
          fmtMs(push.max),
        ],
      ],
    );
    log(pushTable);
    return { table: t, pushTable, worstRate: Math.min(...rates), pushP99: push.p99 };
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
