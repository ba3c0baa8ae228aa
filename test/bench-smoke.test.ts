/**
 * The benchmarks' CI smoke run (small dataset, every phase) so they cannot rot. Timings are printed by
 * the bench, never asserted here; what is asserted is that it runs and that every engine agrees.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { nodeArgs } from '../bench/node-command.js';

test('npm run bench:smoke runs every phase and the engines agree', () => {
  const r = spawnSync(process.execPath, [...nodeArgs('bench/run.ts'), '--size', 'small', '--runs', '3', '--cold-runs', '1'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  // a disagreement between engines exits non-zero (ANSWERS DISAGREE), so status 0 means they agreed
  for (const phase of [
    'summary small: 5 users x 2 days',
    'worst: GET signed summary',
    'request logging',
    'ingest while summaries loop',
    'one minute of every channel',
    'DuckDB read_csv',
    'end to end over HTTP',
  ]) {
    assert.ok(r.stdout.includes(phase), `missing "${phase}" in:\n${r.stdout}`);
  }
});
