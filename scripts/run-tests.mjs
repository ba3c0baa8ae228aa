// `npm test`: runs every test file under test/ and packages/*/test/ (or the files given) with node's test runner, from
// a JavaScript copy of the sources made at the start of the run, printing its summary. The type checks and the
// linters are `npm run lint`.
import fs from 'node:fs';
import path from 'node:path';
import { build as esbuild } from 'esbuild';

function find(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/**
 * The files that take longest (CONTRIBUTING.md, "Test timing"), started first so the run does not end on one of them
 * alone; every other file follows in name order. A file missing here only starts later.
 */
const LONG_FIRST = [
  'test/bench-smoke.test.ts',
  'test/cluster.test.ts',
  'test/dashboard.test.ts',
  'test/ingest-crash.test.ts',
  'test/import-polyv.test.ts',
  'test/graceful-stop.test.ts',
  'test/server.test.ts',
  // mostly waiting (timeouts, windows, slow sockets, npm pack): little CPU, but the run must not end on them
  'test/resource-limits.test.ts',
  'test/cluster-boundary.test.ts',
  'test/package.test.ts',
  'test/import-stream.test.ts',
  'test/limits-contract.test.ts',
  'test/data-dir-lock.test.ts',
  'test/disk-full.test.ts',
  'test/cluster-roles.test.ts',
  'test/metrics.test.ts',
  'test/compare.test.ts',
  'packages/client/test/browser.test.ts',
  // its simulated minute closes seconds into the file, or a minute later when a busy machine makes it miss that
  'test/simulate-e2e.test.ts',
];
/**
 * Short files that share one process per list, imported in order: a file's own process costs 0.3-0.5 s of CPU to
 * start and to load the app, more than most of these files' tests. Only files that change no process-wide state
 * (process.env, listeners left behind) and barely wait on clocks or sockets go here (a list runs its files one after
 * another); their tests still run, and fail, as their own, and each still runs alone with
 * `node scripts/run-tests.mjs <file>`. A listed file that is gone fails the run; a new file runs in its own process.
 */
const SHARED = [
  [
    'test/byte-budget.test.ts',
    'test/config.test.ts',
    'test/contract.test.ts',
    'test/csv.test.ts',
    'test/day-curve.test.ts',
    'test/ingest-units.test.ts',
    'test/peak-search.test.ts',
    'test/readme.test.ts',
    'test/segment-log-full.test.ts',
    'test/sign.test.ts',
    'test/simulate-generator.test.ts',
    'test/simulate-verify.test.ts',
    'test/wait-progress.test.ts',
  ],
  [
    'test/admin-api.test.ts',
    'test/api-summary.test.ts',
    'test/cli-admin.test.ts',
    'test/curve-writes.test.ts',
    'test/family-auth.test.ts',
    'test/openapi.test.ts',
    'test/store-fence.test.ts',
    'test/views-api.test.ts',
  ],
  [
    'test/cli-import-call.test.ts',
    'test/family-channel.test.ts',
    'test/family-realtime.test.ts',
    'test/family-users.test.ts',
    'test/hostile-input.test.ts',
    'test/import-property.test.ts',
    'test/ingest-http.test.ts',
    'test/minute-closer-log.test.ts',
  ],
  [
    'test/curve-cache.test.ts',
    'test/curves.test.ts',
    'test/examples.test.ts',
    'test/rate-limit.test.ts',
    'test/request-log.test.ts',
  ],
  ['test/log-contract.test.ts', 'test/postgres-outage.test.ts', 'test/readiness.test.ts', 'test/store-contract.test.ts'],
];
const rank = (f) => {
  const i = LONG_FIRST.indexOf(f.split(path.sep).join('/'));
  return i < 0 ? LONG_FIRST.length : i;
};

/** The trees the suite runs, transformed to JavaScript at the start of every run. */
const TREES = ['src', 'test', 'bench', 'packages/client/src', 'packages/client/test'];
const BUILDS = '.test-build';

/**
 * Transforms every TypeScript file of TREES with esbuild (types stripped, file by file, no bundling) into
 * `.test-build/<pid>/`, a copy of the repository's layout that plain node runs: test files, and the servers, CLIs and
 * benches they start (bench/node-command.ts), load it without tsx's loader hooks, which cost about as much again as
 * the code they load. It is written afresh by every run (well under a second) and removed at its end, so no run reads
 * another's or an older copy. The client package resolves from this copy (`node_modules/@live-ccv/client` inside it,
 * with its `live-ccv-source` condition pointing at the .js), as the source condition resolves it to its sources; its
 * .ts files are copied beside, for its tests that read or bundle them.
 */
async function build() {
  fs.mkdirSync(BUILDS, { recursive: true });
  for (const old of fs.readdirSync(BUILDS)) {
    // a run that ended without removing its copy (killed); a live run's stays
    if (!/^\d+$/.test(old)) continue;
    try {
      process.kill(Number(old), 0);
    } catch {
      fs.rmSync(path.join(BUILDS, old), { recursive: true, force: true });
    }
  }
  const out = path.join(BUILDS, String(process.pid));
  fs.rmSync(out, { recursive: true, force: true });
  const sources = TREES.flatMap((dir) =>
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => path.join(dir, f)),
  );
  await esbuild({
    entryPoints: sources,
    outdir: out,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const f of sources.filter((f) => f.startsWith(`packages${path.sep}client`))) fs.copyFileSync(f, path.join(out, f));
  const root = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  // src/version.ts and the dashboard's directory look two levels up for live-ccv's package.json
  fs.writeFileSync(
    path.join(BUILDS, 'package.json'),
    `${JSON.stringify({ name: root.name, version: root.version, private: true, type: 'module' })}\n`,
  );
  try {
    fs.symlinkSync(path.join('..', 'dist'), path.join(BUILDS, 'dist'));
  } catch (e) {
    if (e.code !== 'EEXIST') throw e; // made by an earlier or a concurrent run
  }
  const client = JSON.parse(fs.readFileSync('packages/client/package.json', 'utf8'));
  for (const entry of Object.values(client.exports)) entry['live-ccv-source'] = entry['live-ccv-source'].replace(/\.ts$/, '.js');
  fs.writeFileSync(path.join(out, 'packages/client/package.json'), `${JSON.stringify(client, null, 2)}\n`);
  fs.mkdirSync(path.join(out, 'node_modules/@live-ccv'), { recursive: true });
  fs.symlinkSync(path.join('..', '..', 'packages', 'client'), path.join(out, 'node_modules/@live-ccv/client'));
  return out;
}

async function main() {
  const only = process.argv.slice(2).map((f) => path.relative('.', f));
  // The server's tests, and each workspace package's own (packages/<name>/test).
  const packageTests = fs
    .readdirSync('packages')
    .map((name) => path.join('packages', name, 'test'))
    .filter((dir) => fs.existsSync(dir));
  const shared = only.length > 0 ? [] : SHARED;
  const alone = new Set(shared.flat());
  const files =
    only.length > 0
      ? only
      : [find('test'), ...packageTests.map(find)]
          .flat()
          .filter((f) => !alone.has(f.split(path.sep).join('/')))
          .sort()
          .sort((a, b) => rank(a) - rank(b));
  const out = await build();
  const js = (f) => path.join(out, f.replace(/\.ts$/, '.js'));
  // each list of SHARED as one file importing its files, started after the long ones
  const lists = shared.map((list, i) => {
    const file = path.join(out, `shared-${i + 1}.test.js`);
    fs.writeFileSync(file, list.map((f) => `import './${f.replace(/\.ts$/, '.js')}';\n`).join(''));
    return file;
  });
  const long = files.filter((f) => rank(f) < LONG_FIRST.length).length;
  const remove = () => fs.rmSync(out, { recursive: true, force: true });
  process.once('exit', remove);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  // Workspace packages resolve to their sources (the `live-ccv-source` export condition), in the files' processes and
  // in every process they start.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=live-ccv-source`.trim();
  await runner([...files.slice(0, long).map(js), ...lists, ...files.slice(long).map(js)]);
}

/**
 * node's runner: run() takes the files in the order given (`node --test` sorts them by name), six at a time, with the
 * spec reporter and its summary. Six, not the two cores: the three longest files (LONG_FIRST) mostly wait on their
 * processes, Chromium and a minute's close, and many others on sockets and timers, which leaves three slots for the
 * rest while they run.
 */
async function runner(files) {
  const { run: runFiles } = await import('node:test');
  const { spec } = await import('node:test/reporters');
  const stream = runFiles({ files, concurrency: 6 });
  stream.on('test:fail', () => {
    process.exitCode = 1;
  });
  stream.compose(new spec()).pipe(process.stdout);
}

await main();
