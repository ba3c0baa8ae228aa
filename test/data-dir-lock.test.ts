/**
 * One writer per data dir, with real processes: a second `serve` on the same LIVE_CCV_DATA_DIR refuses to
 * start with one line naming the holder, while CLI commands keep working next to the server; the lock
 * dies with its process (SIGKILL included), so a restart never finds a stale lock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, tempDir } from './helpers.js';
import { spawnCli, spawnServer } from './server-process.js';

test('a second server on the same data dir refuses to start with one line; the lock goes with its process', {
  timeout: 120_000,
}, async () => {
  const dataDir = tempDir('live-ccv-lock-');
  const env = { LIVE_CCV_DATA_DIR: dataDir, LIVE_CCV_LOG_LEVEL: 'info', LIVE_CCV_DEMO: 'false' };
  const first = await spawnServer(env);

  const second = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1'], env);
  assert.notEqual(await second.exited, 0);
  const lines = second.stderr().trim().split('\n');
  assert.equal(lines.length, 1, second.stderr());
  assert.match(
    lines[0]!,
    new RegExp(`^live-ccv: data dir ${dataDir} is in use by another live-ccv server \\(pid ${first.child.pid} on .*\\); `),
  );
  assert.doesNotMatch(second.stdout(), /Server listening/, 'it never listened');

  // the CLI works on the same store while the server runs (it does not take the server's lock)
  const side = await cli(['apps', 'create', '--name', 'side', '--data-dir', dataDir]);
  assert.equal(side.code, 0, side.stderr);

  first.child.kill('SIGKILL');
  await first.exited;
  const third = await spawnServer(env);
  assert.equal(await third.stop(), 0);
});
