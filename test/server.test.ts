/**
 * The real service as a child process: first-start banner, health, structured logs without secrets,
 * graceful SIGTERM (in-flight requests finish), and one clear line for a bad setting.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { test } from 'node:test';
import { sign } from '../src/auth/sign.js';
import { version } from '../src/version.js';
import { tempDir } from './helpers.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startServe(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!/listening at (http:\/\/127\.0\.0\.1:\d+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  return { child, url, output: () => out, exited };
}

test('first start prints the demo app once; it can make a signed call; logs are JSON with request ids and no secrets', async () => {
  const dataDir = tempDir();
  const s = await startServe({ LIVE_CCV_DATA_DIR: dataDir });
  try {
    const banner = s.output();
    const appId = /appId:\s+(\S+)/.exec(banner)?.[1];
    const appSecret = /appSecret:\s+(\S+)/.exec(banner)?.[1];
    assert.ok(appId && appSecret, banner);
    assert.match(banner, /live-ccv call summary/);

    const health = await fetch(`${s.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(((await health.json()) as { data: unknown }).data, { store: 'sqlite', ok: true, version: version });

    const p: Record<string, string> = {
      appId,
      timestamp: String(Date.now()),
      users: 'demouser01',
      start: '2021-08-01',
      end: '2021-08-31',
    };
    p.sign = sign(p, appSecret);
    const res = await fetch(`${s.url}/live/internal/v3/user/concurrent/yunduo/summary?${new URLSearchParams(p)}`, {
      headers: { 'x-request-id': 'trace-123' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'trace-123');
    // the default request log shows refusals (not every request): a refused call carries its request id
    const refused = await fetch(
      `${s.url}/live/internal/v3/user/concurrent/yunduo/summary?${new URLSearchParams({ ...p, sign: 'x' })}`,
      {
        headers: { 'x-request-id': 'trace-124' },
      },
    );
    assert.equal(refused.status, 403);
    await new Promise((r) => setTimeout(r, 200));
    const afterBanner = s.output().slice(s.output().indexOf('"level"'));
    assert.ok(!afterBanner.includes(appSecret), 'the secret must not be logged');
    const lines = afterBanner.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.every((l) => JSON.parse(l).level !== undefined));
    assert.ok(lines.some((l) => JSON.parse(l).reqId === 'trace-124'));
  } finally {
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  }
  const again = await startServe({ LIVE_CCV_DATA_DIR: dataDir });
  try {
    assert.doesNotMatch(again.output(), /appSecret/);
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
});

test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const s = await startServe({ LIVE_CCV_DATA_DIR: tempDir(), LIVE_CCV_ADMIN_TOKEN: 'tok-tok-tok' });
  const { port } = new URL(s.url);
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/admin/v1/apps',
        headers: { authorization: 'Bearer tok-tok-tok', 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write('{"name":');
    setTimeout(() => {
      s.child.kill('SIGTERM');
      setTimeout(() => req.end('"late app"}'), 300);
    }, 200);
  });
  const done = await answer;
  assert.equal(done.status, 200, done.body);
  assert.equal(JSON.parse(done.body).data.name, 'late app');
  assert.equal(await s.exited, 0);
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
