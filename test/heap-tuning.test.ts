/**
 * The service's V8 settings (src/heap-tuning.ts) take effect in a running process. V8 prints its pretenuring
 * decisions with --trace-pretenuring-statistics. A child process keeps every object it makes at one place in
 * the code for many young collections. Left alone, V8 decides to pretenure that place; once the service's
 * settings are applied, it decides nothing. This also fails if a Node.js release stops taking V8 flags at run
 * time. And `live-ccv serve` applies them: under the same tracing, a bulk import over HTTP (what teaches V8 to
 * pretenure the write path's places) leaves V8 deciding nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { BUILT } from '../bench/node-command.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';
import { spawnServer } from './server-process.js';

const MODULE = new URL(`../src/heap-tuning.${BUILT ? 'js' : 'ts'}`, import.meta.url).href;

const TENURED = /pretenuring: AllocationSite.*=> tenure/;

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
  return r.stdout.split('\n').filter((line) => TENURED.test(line));
}

test('left alone, V8 pretenures a place whose objects all survive (the probe sees what it looks for)', () => {
  assert.notEqual(decisions(false).length, 0);
});

test("the service's settings turn allocation-site pretenuring off", () => {
  assert.deepEqual(decisions(true), []);
});

test('live-ccv serve runs without pretenuring: after a bulk import over HTTP, V8 has decided nothing', async () => {
  const dir = tempDir();
  const channels = Array.from({ length: 200 }, (_, c) => String(1000 + c));
  const store = new SqliteStore(path.join(dir, 'live-ccv.sqlite'));
  await store.createApp({ appId: 'a1', appSecret: 'secret-secret-0001', name: 'a1' });
  for (let u = 0; u < 50; u++) await store.addUser('a1', `u${u}`);
  for (const [c, id] of channels.entries()) await store.addChannel(`u${c % 50}`, id);
  await store.close();
  const token = 'admin-token-for-heap-tuning';
  const server = await spawnServer({ LIVE_CCV_DATA_DIR: dir, LIVE_CCV_ADMIN_TOKEN: token, LIVE_CCV_DEMO: 'false' }, [], 30_000, [
    '--trace-pretenuring-statistics',
  ]);
  try {
    // 1,000 minutes of 200 channels, time-ordered as a CDN exports them
    const t0 = Date.UTC(2021, 7, 17);
    const lines: string[] = [];
    for (let m = 0; m < 1000; m++)
      for (const [c, id] of channels.entries()) lines.push(`${id},cdn,${t0 + m * 60_000},${1 + ((c * 31 + m) % 997)}`);
    const answer = await fetch(`${server.url}/admin/v1/ccv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: lines.join('\n'),
    });
    const r = (await answer.json()) as { code: number; data?: { accepted: number } };
    assert.equal(r.data?.accepted, lines.length, JSON.stringify(r));
  } finally {
    assert.equal(await server.stop(), 0);
  }
  assert.deepEqual(
    server
      .stdout()
      .split('\n')
      .filter((line) => TENURED.test(line)),
    [],
  );
});
