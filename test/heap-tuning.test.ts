/**
 * The service's V8 settings (src/heap-tuning.ts) take effect in a running process. V8 prints its pretenuring
 * decisions with --trace-pretenuring-statistics. A child process keeps every object it makes at one place in
 * the code for many young collections. Left alone, V8 decides to pretenure that place; once the service's
 * settings are applied, it decides nothing. This also fails if a Node.js release stops taking V8 flags at run
 * time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/** true in the test runner's JavaScript copy of the sources, false under tsx */
const BUILT = import.meta.url.endsWith('.js');
const MODULE = new URL(`../src/heap-tuning.${BUILT ? 'js' : 'ts'}`, import.meta.url).href;

/** The pretenuring decisions of a child that keeps ~2M small objects made at one place, tuned or not. */
function decisions(tuned: boolean): string[] {
  const code = `
    const { tuneHeapForServing } = await import(${JSON.stringify(MODULE)});
    if (${tuned}) tuneHeapForServing();
    const kept = [];
    for (let i = 0; i < 2_000_000; i++) kept.push({ i, twice: 2 * i });
    console.log('kept', kept.length);
  `;
  const r = spawnSync(
    process.execPath,
    ['--trace-pretenuring-statistics', ...(BUILT ? [] : ['--import', 'tsx']), '--input-type=module', '-e', code],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /kept 2000000/);
  return r.stdout.split('\n').filter((line) => /pretenuring: AllocationSite.*=> tenure/.test(line));
}

test('left alone, V8 pretenures a place whose objects all survive (the probe sees what it looks for)', () => {
  assert.notEqual(decisions(false).length, 0);
});

test("the service's settings turn allocation-site pretenuring off", () => {
  assert.deepEqual(decisions(true), []);
});
