// Runs every test file under test/ and packages/*/test/ with node's test runner (TypeScript through tsx), printing its summary.
// `--checks` (what `npm test` passes) also runs the type checks and the linters meanwhile, and fails when any of them does.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  'test/data-dir-lock.test.ts',
  'test/disk-full.test.ts',
  'test/cluster-roles.test.ts',
  'test/metrics.test.ts',
  'test/compare.test.ts',
  'packages/client/test/browser.test.ts',
  // its simulated minute closes seconds into the file, or a minute later when a busy machine makes it miss that
  'test/simulate-e2e.test.ts',
];
const rank = (f) => {
  const i = LONG_FIRST.indexOf(f.split(path.sep).join('/'));
  return i < 0 ? LONG_FIRST.length : i;
};

/** Runs a command to its end; resolves with its exit status and, when `capture`, what it printed. */
function run(command, argv, options, capture, priority = 0) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, argv, { ...options, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (priority !== 0 && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, priority); // before it starts its own children, which inherit it
      } catch {} // a platform without priorities runs it as is
    }
    let output = '';
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.once('error', (e) => resolve({ status: 1, output: `${output}${e.message}\n`, ms: Date.now() - started }));
    child.once('close', (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), output, ms: Date.now() - started }));
  });
}

// The type checks and the linters (`npm run typecheck`, `npm run lint`), side by side with the tests at a lower
// priority: they fill the time the suite spends waiting on processes and sockets and barely slow a test.
const bin = (name) => path.join('node_modules', '.bin', name);
const CHECKS = [
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['typecheck packages/dashboard', bin('tsc'), ['-p', 'packages/dashboard', '--noEmit']],
  ['lint: biome', bin('biome'), ['check', '.']],
  ['lint: knip', bin('knip'), []],
];

async function main() {
  const args = process.argv.slice(2);
  const withChecks = args.includes('--checks');
  const only = args.filter((a) => a !== '--checks');
  // The server's tests, and each workspace package's own (packages/<name>/test).
  const packageTests = fs
    .readdirSync('packages')
    .map((name) => path.join('packages', name, 'test'))
    .filter((dir) => fs.existsSync(dir));
  const files =
    only.length > 0
      ? only
      : [find('test'), ...packageTests.map(find)]
          .flat()
          .sort()
          .sort((a, b) => rank(a) - rank(b));

  const checks = withChecks
    ? CHECKS.map(async ([name, command, argv]) => ({ name, ...(await run(command, argv, {}, true, 10)) }))
    : [];
  // Workspace packages resolve to their TypeScript sources (the `live-ccv-source` export condition), in this
  // process's children too: tests spawn real servers and CLIs from source.
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=live-ccv-source`.trim() };
  const tests = await run(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--runner', ...files],
    { env },
    false,
  );

  let failed = tests.status !== 0;
  for (const c of await Promise.all(checks)) {
    process.stdout.write(`${c.status === 0 ? '✔' : '✖'} ${c.name} (${(c.ms / 1000).toFixed(1)} s)\n`);
    if (c.status !== 0) {
      process.stdout.write(c.output.replace(/^/gm, '  '));
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

/**
 * The runner itself, in a process started with tsx, which node's runner passes on to each file's process: run() takes
 * the files in the order given (`node --test` sorts them by name), four at a time (most of the suite waits on
 * processes and sockets), with the spec reporter and its summary.
 */
async function runner(files) {
  const { run: runFiles } = await import('node:test');
  const { spec } = await import('node:test/reporters');
  const stream = runFiles({ files, concurrency: 4 });
  stream.on('test:fail', () => {
    process.exitCode = 1;
  });
  stream.compose(new spec()).pipe(process.stdout);
}

if (process.argv[2] === '--runner') await runner(process.argv.slice(3));
else await main();
