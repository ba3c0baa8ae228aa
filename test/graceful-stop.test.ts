/**
 * SIGTERM/SIGINT at any moment of a real server's life ends it gracefully with exit code 0: the handlers
 * are installed before the server starts, so a signal during start-up or right at "Server listening" is
 * never the default kill (exit code null), and a second signal does not cut the shutdown short.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE } from '../src/data-dir-lock.js';
import { tempDir } from './helpers.js';
import { spawnCli, spawnServer } from './server-process.js';

// every request logged (not the default): a test waits for its request's "incoming request" line
const env = (dataDir: string) => ({
  LIVE_CCV_DATA_DIR: dataDir,
  LIVE_CCV_LOG_LEVEL: 'info',
  LIVE_CCV_DEMO: 'false',
  LIVE_CCV_REQUEST_LOG: 'all',
});
/** `serve` started without waiting for it: these tests signal it before it is up. */
const serve = (dataDir: string) => spawnCli(['serve', '--port', '0', '--host', '127.0.0.1'], env(dataDir));

test('SIGTERM the moment the server logs that it listens: exit 0', { timeout: 60_000 }, async () => {
  const s = serve(tempDir());
  s.child.stdout!.on('data', (d: Buffer) => {
    if (d.toString().includes('Server listening')) s.child.kill('SIGTERM');
  });
  assert.equal(await s.exited, 0, s.stderr());
});

test('SIGINT during start-up (the data dir lock is taken, the port not yet bound): the server comes up and stops, exit 0', {
  timeout: 60_000,
}, async () => {
  const dataDir = tempDir();
  const s = serve(dataDir);
  while (!fs.existsSync(path.join(dataDir, LOCK_FILE))) {
    if (s.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  s.child.kill('SIGINT');
  assert.equal(await s.exited, 0, s.stderr());
  assert.match(s.stdout(), /"signal":"SIGINT","msg":"shutting down"/);
});

test('a second SIGTERM while shutting down does not cut it short: the in-flight request still finishes', {
  timeout: 60_000,
}, async () => {
  const s = await spawnServer({ ...env(tempDir()), LIVE_CCV_ADMIN_TOKEN: 'stop-admin-token' });
  const { port } = new URL(s.url);
  // a request whose body is still arriving keeps the shutdown waiting
  const answer = new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/admin/v1/apps',
        headers: { authorization: 'Bearer stop-admin-token', 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    req.write('{"name":');
    void (async () => {
      await s.waitFor(/"method":"POST","url":"\/admin\/v1\/apps"/);
      s.child.kill('SIGTERM');
      await s.waitFor(/"msg":"shutting down"/);
      s.child.kill('SIGTERM');
      await s.waitFor(/"msg":"already shutting down"/);
      req.end('"late"}');
    })().catch(reject);
  });
  const done = await answer;
  assert.equal(done.status, 200, done.body);
  assert.equal(done.connection, 'close', 'a keep-alive client must not hold the shutdown up');
  assert.equal(await s.exited, 0, s.stderr());
});
