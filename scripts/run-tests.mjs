// Runs every test file under test/ and packages/*/test/ with node's test runner (TypeScript through tsx), printing its summary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function find(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

// The server's tests, and each workspace package's own (packages/<name>/test).
const packageTests = fs
  .readdirSync('packages')
  .map((name) => path.join('packages', name, 'test'))
  .filter((dir) => fs.existsSync(dir));
const only = process.argv.slice(2);
const files = only.length > 0 ? only : [find('test'), ...packageTests.map(find)].flat().sort();
// Workspace packages resolve to their TypeScript sources (the `live-ccv-source` export condition), in this
// process's children too: tests spawn real servers and CLIs from source.
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=live-ccv-source`.trim() };
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=4', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
