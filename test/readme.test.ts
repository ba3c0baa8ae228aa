/** The README's promises that code can check: the quick start, CI running it, the configuration table. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { configTable } from '../src/config/table.js';

const readme = fs.readFileSync('README.md', 'utf8');

test('the quick start has the two commands, and CI runs the test one, then the type checks and linters', () => {
  assert.ok(readme.includes('```sh\nnpm install && npm start\n```'));
  assert.ok(readme.includes('```sh\nnpm install && npm test\n```'));
  assert.match(fs.readFileSync('.ci/run', 'utf8'), /^npm install && npm test\nnpm run lint$/m);
  const scripts = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts.lint, 'npm run typecheck && biome check . && knip');
  assert.match(scripts.typecheck!, /^tsc -p tsconfig\.json --noEmit && tsc -p packages\/dashboard --noEmit$/);
});

test('the configuration table lists every setting as the code defines it', () => {
  assert.ok(readme.includes(configTable()), `README.md must contain:\n${configTable()}`);
});
