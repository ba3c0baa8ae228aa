/**
 * The real service as a child process: first-start banner, health, structured logs without secrets, and
 * one clear line for a bad setting (signals and graceful stop: test/graceful-stop.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { sign } from '../src/auth/sign.js';
import { version } from '../src/version.js';
import { nodeArgs } from '../bench/node-command.js';
import { tempDir } from './helpers.js';
import { spawnServer } from './server-process.js';

const CLI = nodeArgs('src/cli/main.ts');

test('first start prints the demo app once, on stderr, after listening; it can make a signed call; logs are JSON with request ids and no secrets', async () => {
  const dataDir = tempDir();
  const s = await spawnServer({ LIVE_CCV_DATA_DIR: dataDir, LIVE_CCV_LOG_LEVEL: 'info' });
  const { url } = s;
  try {
    await s.waitFor(/appSecret:\s+\S+[\s\S]*endpoint/, 'stderr');
    const banner = s.stderr();
    const appId = /appId:\s+(\S+)/.exec(banner)?.[1];
    const appSecret = /appSecret:\s+(\S+)/.exec(banner)?.[1];
    assert.ok(appId && appSecret, banner);
    assert.match(banner, /live-ccv call summary --base-url http:\/\/127\.0\.0\.1:\d+ /);
    // the import reaches the server's own store, and the recovery of a lost secret is named
    assert.ok(banner.includes(`import ccv examples/ccv-sample.csv --data-dir ${dataDir}`), banner);
    assert.ok(banner.includes(`apps rotate-secret ${appId} --data-dir ${dataDir}`), banner);
    assert.ok(s.stdout().indexOf('Server listening') >= 0, 'the banner follows the listening log line');

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const { data } = (await health.json()) as { data: { ingest: { log: string } } };
    assert.deepEqual(
      { ...data, ingest: data.ingest.log },
      { ok: true, version, roles: ['api', 'collector', 'aggregator'], ingest: 'local' },
    );

    const p: Record<string, string> = {
      appId,
      timestamp: String(Date.now()),
      users: 'demouser01',
      start: '2021-08-01',
      end: '2021-08-31',
    };
    p.sign = sign(p, appSecret);
    const res = await fetch(`${url}/live/internal/v3/user/concurrent/yunduo/summary?${new URLSearchParams(p)}`, {
      headers: { 'x-request-id': 'trace-123' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'trace-123');
    // the default request log shows refusals (not every request): a refused call carries its request id
    const refused = await fetch(
      `${url}/live/internal/v3/user/concurrent/yunduo/summary?${new URLSearchParams({ ...p, sign: 'x' })}`,
      {
        headers: { 'x-request-id': 'trace-124' },
      },
    );
    assert.equal(refused.status, 403);
    await s.waitFor(/"reqId":"trace-124"/);
    assert.ok(!s.stdout().includes(appSecret), 'the secret must not be logged');
    const lines = s.stdout().split('\n').filter(Boolean);
    assert.ok(
      lines.every((l) => JSON.parse(l).level !== undefined),
      'stdout holds only JSON log lines',
    );
  } finally {
    assert.equal(await s.stop(), 0);
  }
  const again = await spawnServer({ LIVE_CCV_DATA_DIR: dataDir, LIVE_CCV_LOG_LEVEL: 'info' });
  try {
    await again.waitFor(/live-ccv started/);
    assert.doesNotMatch(again.stderr() + again.stdout(), /appSecret/);
  } finally {
    await again.stop();
  }
});

test('a bad setting prints one line naming it and exits non-zero', () => {
  for (const [env, name] of [
    [{ LIVE_CCV_PORT: 'eighty' }, 'LIVE_CCV_PORT'],
    [{ LIVE_CCV_TIME_ZONE: 'Mars/Olympus' }, 'LIVE_CCV_TIME_ZONE'],
    [{ LIVE_CCV_STORE: 'postgres' }, 'LIVE_CCV_DATABASE_URL'],
  ] as const) {
    const r = spawnSync(process.execPath, [...CLI, 'serve'], {
      env: { ...process.env, ...env, LIVE_CCV_DATA_DIR: tempDir() },
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^live-ccv: invalid setting ${name}: `));
  }
  const flag = spawnSync(process.execPath, [...CLI, 'serve', '--port', '-5'], {
    encoding: 'utf8',
    env: { ...process.env, LIVE_CCV_DATA_DIR: tempDir() },
  });
  assert.match(flag.stderr, /^live-ccv: invalid setting --port: /);
});

test('an API-only server (LIVE_CCV_INGEST=false) runs no ingest: heartbeats and realtime answer 503', async () => {
  const { startServer } = await import('../src/server.js');
  const { testConfig } = await import('./helpers.js');
  const config = testConfig({
    ingest: false,
    port: 0,
    host: '127.0.0.1',
    ingestToken: 'ingest-token-0001',
    adminToken: 'admin-token-0001',
  });
  const server = await startServer(config, () => {});
  try {
    const beacon = await fetch(`${server.url}/v1/beacon?channelId=1&viewerId=v`);
    assert.equal(beacon.status, 503);
    const batch = await fetch(`${server.url}/v1/heartbeats`, {
      method: 'POST',
      headers: { authorization: 'Bearer ingest-token-0001', 'content-type': 'application/x-ndjson' },
      body: '{"channelId":"1","viewerId":"v"}',
    });
    assert.equal(batch.status, 503);
    assert.equal(((await batch.json()) as { code: number }).code, 503);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const fs = await import('node:fs');
    assert.ok(!fs.existsSync(`${config.dataDir}/log`), 'no heartbeat log is opened');
  } finally {
    await server.close();
  }
});
