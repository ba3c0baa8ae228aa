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
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig, type Config } from '../src/config/config.js';
import { CcvImporter } from '../src/service/import-ccv.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { channels, minuteRange, SIZES, type DatasetSpec } from './dataset.js';
import { writeImportFiles, type ImportFiles } from './import-data.js';
import { StoreSink } from './load.js';
import { json } from './http.js';
import { pushBody, type PushJob, type PushResult } from './push-client.js';
import { describeSpend, serverSpend, type ServerSpend } from './server-spend.js';
import { nodeArgs, REPO } from './node-command.js';
import { ADMIN_TOKEN, cpuMs, SMOKE_NO_QUERY_THREADS, serve } from './serve.js';
import { fmtInt, fmtMs, summarize } from './stats.js';
import { table } from './table.js';

/** HTTP chunks stay under the bench server's raised body limit (64 MiB). */
const HTTP_CHUNK_BYTES = 32 * 1024 * 1024;
/** pushes timed in process (each store) and folded afterwards */
const PUSHES = 60;
/**
 * POSTs to the real server: the first ones warm a fresh process (its code, its heap, its caches; reported apart),
 * then the steady state a CDN pushing once a minute for hours sees, long enough that the store folds during it
 * (about every 80 POSTs) and that the p99 is not simply one of the slowest POSTs. V8 is still compiling the push's
 * code for about the first hundred: its compiler threads took ~40% of the main thread's CPU over POSTs 20-220 and
 * ~25% over POSTs 100-300 (docs/benchmarks.md), and on two cores they take the main thread's turn.
 */
const HTTP_WARM = 100;
const HTTP_PUSHES = 300;

export interface ImportFigures {
  table: string;
  pushTable: string;
  /** the slowest of the in-process, CLI (start-up included) and HTTP paths over both orders, rows/s */
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
      execFile(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { cwd: REPO }, (err, stdout) =>
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
      [...(smoke ? nodeArgs('src/cli/main.ts') : ['dist/src/cli/main.js']), ...args],
      {
        cwd: REPO,
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

/** Runs the timed POSTs in a lean child process (./push-client.ts says why): their milliseconds in order, the server's /metrics around them. */
function timedPushes(job: PushJob): Promise<PushResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      nodeArgs('bench/push-client.ts'),
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`push client failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as PushResult),
    );
    child.stdin!.end(JSON.stringify(job));
  });
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
      const cpu0 = process.cpuUsage();
      let t0 = performance.now();
      const r = await new CcvImporter(store, config).importText(
        fs.createReadStream(file, { highWaterMark: 1 << 20, encoding: 'utf8' }),
      );
      const inProcess = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const inProcessCpuMs = (cpu.user + cpu.system) / 1000;
      await store.close();
      if (r.accepted !== files.rows || r.rejected.length > 0)
        throw new Error(`import ${order}: ${JSON.stringify(r).slice(0, 300)}`);
      // 2. the CLI process, start-up included
      t0 = performance.now();
      const out = JSON.parse(await cli(['import', 'ccv', file, '--json'], fresh(), smoke)) as { accepted: number };
      const cliMs = performance.now() - t0;
      if (out.accepted !== files.rows) throw new Error(`CLI import ${order} accepted ${out.accepted} of ${files.rows}`);
      // 3. POST /admin/v1/ccv, in chunks, to a real server
      const server = await serve(fresh(), smoke ? SMOKE_NO_QUERY_THREADS : {}, 'import');
      let httpMs: number;
      let httpCpuMs: number;
      try {
        const bodies = chunks(file);
        const serverCpu0 = cpuMs(server.pid);
        t0 = performance.now();
        let accepted = 0;
        for (const body of bodies) accepted += (await post(server.url, body)).accepted;
        httpMs = performance.now() - t0;
        httpCpuMs = cpuMs(server.pid) - serverCpu0;
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
      rates.push(rate(inProcess), rate(cliMs), rate(httpMs));
      // CPU of the process importing (this one; the server, every thread): what a busy shared machine moves least
      for (const [what, ms, cpuMsOfPath] of [
        ['live-ccv import path (in process)', inProcess, inProcessCpuMs],
        [`live-ccv import ccv (${smoke ? 'the CLI from its sources' : 'the built CLI'}, start-up included)`, cliMs, undefined],
        ['POST /admin/v1/ccv (real server, 32 MiB bodies)', httpMs, httpCpuMs],
        ['DuckDB read_csv', duckMs, undefined],
      ] as const) {
        const perCpu = cpuMsOfPath === undefined ? '-' : fmtInt((files.rows / cpuMsOfPath) * 1000);
        rows.push([order, what, (ms / 1000).toFixed(2), fmtInt(rate(ms)), perCpu, (duckMs / ms).toFixed(2)]);
      }
    }
    const t = table(['row order', 'path', 'seconds', 'rows/s', 'rows per CPU-second', 'rows/s / DuckDB'], rows);
    log(t);

    const push = await pushBench(spec, files, fresh, config, smoke, log);
    return { table: t, pushTable: push.table, worstRate: Math.min(...rates), pushP99: push.p99 };
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

/**
 * The push bench alone (`npm run bench -- --only push`): the same data and pushes as the import phase's push
 * section, without the bulk import figures (no CLI build, no DuckDB).
 */
export async function pushOnlyBench(smoke: boolean, log: (s: string) => void): Promise<PushFigures> {
  const spec = importSpec(smoke);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-bench-push-'));
  try {
    log(`push: writing ${spec.users} users x ${spec.days} days of ${spec.description} as CSV ...`);
    const files = writeImportFiles(spec, base);
    const template = path.join(base, 'template.sqlite');
    const seed = new SqliteStore(template);
    await new StoreSink('template', seed, spec).init();
    await seed.close();
    const config = loadConfig({}, { dataDir: base, logLevel: 'silent', demo: false });
    return await pushBench(spec, files, seededDirs(template, base), config, smoke, log);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

export interface PushFigures {
  table: string;
  /** p99 of the POSTs to the real server, ms */
  p99: number;
}

/**
 * A CDN's push: one POST per minute with that minute of every channel, into a server holding the data (sent
 * first through the same endpoint); then the same pushes in process, against the direct path, and the fold.
 */
async function pushBench(
  spec: DatasetSpec,
  files: ImportFiles,
  fresh: () => string,
  config: Config,
  smoke: boolean,
  log: (s: string) => void,
): Promise<PushFigures> {
  const ids = [...channels(spec)].map((c) => c.channelId);
  const dir = fresh();
  const server = await serve(dir, smoke ? SMOKE_NO_QUERY_THREADS : {}, 'push');
  const samples: number[] = [];
  const warm: number[] = [];
  let spend: ServerSpend | undefined;
  const warmCount = smoke ? 5 : HTTP_WARM;
  const httpPushes = smoke ? 20 : HTTP_PUSHES;
  const { to } = minuteRange(spec);
  try {
    for (const body of chunks(files.timeOrdered)) await post(server.url, body);
    const result = await timedPushes({
      url: server.url,
      token: ADMIN_TOKEN,
      ids,
      firstMinute: to,
      first: 0,
      count: warmCount + httpPushes,
      warm: warmCount,
    });
    warm.push(...result.ms.slice(0, warmCount));
    samples.push(...result.ms.slice(warmCount));
    spend = serverSpend(...result.metrics);
  } finally {
    await server.stop();
  }
  // The same pushes in process on the same data (the server's store, reopened), against the direct path (every
  // push rewriting its channel-days, as before open minutes) on a copy of it, alternating so both see the same
  // load: CPU per push; and what the store does about once an hour, folding PUSHES pushes' open minutes.
  const file = path.join(dir, 'live-ccv.sqlite');
  const directDir = fresh();
  for (const suffix of ['', '-wal']) {
    if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, path.join(directDir, `live-ccv.sqlite${suffix}`));
  }
  const store = new SqliteStore(file, { queryThreads: 0, foldRows: Number.POSITIVE_INFINITY });
  const direct = new SqliteStore(path.join(directDir, 'live-ccv.sqlite'), { queryThreads: 0, openMaxRows: 0 });
  const cpu: number[] = [];
  const directCpu: number[] = [];
  let foldAllMs = Number.NaN;
  const steps: number[] = [];
  try {
    await direct.foldOpenMinutes();
    // the server's pushes not folded yet, folded at once (what a large write or an ownership change does first)
    let t1 = performance.now();
    await store.foldOpenMinutes();
    foldAllMs = performance.now() - t1;
    const first = warmCount + httpPushes;
    for (let k = first; k < first + PUSHES + 5; k++) {
      const body = pushBody(ids, to + k, k);
      for (const [s, out] of [
        [store, cpu],
        [direct, directCpu],
      ] as const) {
        const c0 = process.cpuUsage();
        // one importer per request, as the server
        const r = await new CcvImporter(s, config).importText([body]);
        const c = process.cpuUsage(c0);
        if (k >= first + 5) out.push((c.user + c.system) / 1000);
        if (r.accepted !== ids.length) throw new Error(`push in process accepted ${r.accepted} of ${ids.length}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // these pushes, folded as the store does in the background: one transaction per slice of channels
    for (let more = true; more; ) {
      t1 = performance.now();
      more = await store.foldSlice();
      steps.push(performance.now() - t1);
    }
  } finally {
    await store.close();
    await direct.close();
  }
  const push = summarize(samples);
  const cold = summarize(warm);
  const inProcess = summarize(cpu);
  const directPath = summarize(directCpu);
  const slices = summarize(steps);
  const pushTable = table(
    ['push', 'rows per POST', 'POSTs', 'p50 ms', 'p99 ms', 'max ms'],
    [
      [
        'one minute of every channel (POST, real server)',
        String(ids.length),
        String(samples.length),
        fmtMs(push.p50),
        fmtMs(push.p99),
        fmtMs(push.max),
      ],
      [
        'the first POSTs to a fresh server (not in the row above)',
        String(ids.length),
        String(warm.length),
        fmtMs(cold.p50),
        fmtMs(cold.p99),
        fmtMs(cold.max),
      ],
      [
        'the same, in process: CPU per push',
        String(ids.length),
        String(cpu.length),
        fmtMs(inProcess.p50),
        fmtMs(inProcess.p99),
        fmtMs(inProcess.max),
      ],
      [
        'reference: the direct path (each push rewrites its channel-days), CPU per push',
        String(ids.length),
        String(directCpu.length),
        fmtMs(directPath.p50),
        fmtMs(directPath.p99),
        fmtMs(directPath.max),
      ],
      [
        `fold of ${PUSHES + 5} pushes' open minutes in slices (the background, ~once an hour): ${steps.length} transactions, ms each`,
        '-',
        String(steps.length),
        fmtMs(slices.p50),
        fmtMs(slices.p99),
        fmtMs(slices.max),
      ],
      [
        "fold of the server's open minutes at once (a large write or an ownership change first), ms",
        '-',
        '1',
        fmtMs(foldAllMs),
        '-',
        '-',
      ],
    ],
  );
  const serverLine = `the server during the ${samples.length} timed POSTs (its /metrics): ${describeSpend(spend!, samples.length, 'POST')}`;
  log(pushTable);
  log(serverLine);
  log(`push CPU in process, open minutes / direct path (same run): p50 ${(inProcess.p50 / directPath.p50).toFixed(2)}`);
  return { table: `${pushTable}\n\n${serverLine}`, p99: push.p99 };
}
