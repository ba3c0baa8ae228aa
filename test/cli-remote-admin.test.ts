/**
 * The admin and import commands against a running server's admin API (`--base-url` and the admin token),
 * run in-process as the bin runs them (runCli): the same results and the same one-line refusals as on the store, and a
 * chunked import whose rejected line numbers are the file's own. Also `live-ccv --version`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sign } from '../src/auth/sign.js';
import { version } from '../src/version.js';
import { cli, tempDir } from './helpers.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const ADMIN = 'remote-admin-token-0001';
let server: ServerProcess;

const remote = (args: string[]) => cli([...args, '--base-url', server.url], { LIVE_CCV_ADMIN_TOKEN: ADMIN });

async function json<T>(args: string[]): Promise<T> {
  const r = await remote([...args, '--json']);
  assert.equal(r.code, 0, `live-ccv ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function oneLine(r: { code: number; stderr: string }, expected: string): void {
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `live-ccv: ${expected}\n`);
}

before(async () => {
  server = await spawnServer({ LIVE_CCV_DATA_DIR: tempDir(), LIVE_CCV_ADMIN_TOKEN: ADMIN, LIVE_CCV_DEMO: 'false' });
});
after(async () => {
  await server.stop();
});

test('live-ccv --version prints the package version', async () => {
  const r = await cli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${version}\n`);
  assert.equal(version, JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
});

test('apps, users and channels through the admin API: the running server sees them at once', async () => {
  type Creds = { appId: string; appSecret: string; name: string; enabled: boolean };
  const created = await json<Creds>(['apps', 'create', '--name', 'Remote', '--app-id', 'remote01']);
  assert.equal(created.appId, 'remote01');
  assert.match(created.appSecret, /^[a-z0-9]{32}$/);
  assert.deepEqual(
    (await json<{ appId: string }[]>(['apps', 'list'])).map((a) => a.appId),
    ['remote01'],
  );
  assert.equal((await json<{ enabled: boolean }>(['apps', 'disable', 'remote01'])).enabled, false);
  assert.equal((await json<{ enabled: boolean }>(['apps', 'show', 'remote01'])).enabled, false);
  assert.equal((await json<{ enabled: boolean }>(['apps', 'enable', 'remote01'])).enabled, true);
  const rotated = await json<Creds>(['apps', 'rotate-secret', 'remote01']);
  assert.notEqual(rotated.appSecret, created.appSecret);
  assert.equal((await json<{ userId: string }>(['users', 'add', '--app', 'remote01', 'ruser'])).userId, 'ruser');
  assert.deepEqual(
    (await json<{ userId: string }[]>(['users', 'list', '--app', 'remote01'])).map((u) => u.userId),
    ['ruser'],
  );
  assert.equal((await json<{ channelId: string }>(['channels', 'add', '--user', 'ruser', '5550001'])).channelId, '5550001');
  assert.deepEqual(
    (await json<{ channelId: string; appId: string }[]>(['channels', 'list', '--user', 'ruser'])).map((c) => [
      c.channelId,
      c.appId,
    ]),
    [['5550001', 'remote01']],
  );

  // the rotated secret signs a call the server accepts: the command acted on the server's own store
  const p: Record<string, string> = {
    appId: 'remote01',
    timestamp: String(Date.now()),
    users: 'ruser',
    start: '2024-01-01',
    end: '2024-01-01',
  };
  p.sign = sign(p, rotated.appSecret);
  const res = await fetch(`${server.url}/live/internal/v3/user/concurrent/yunduo/summary?${new URLSearchParams(p)}`);
  assert.equal(res.status, 200);

  const table = await remote(['apps', 'list']);
  assert.match(table.stdout, /^appId +name +enabled +rateLimit +ingestToken +createdAt$/m);
  oneLine(await remote(['apps', 'show', 'nope']), 'application nope not found');
  oneLine(await remote(['channels', 'add', '--user', 'ruser', '5550001']), 'channel 5550001 already exists');
  oneLine(
    await remote(['channels', 'add', '--user', 'ruser', '55x']),
    'param validate error: channelId must be digits, got "55x"',
  );
  assert.deepEqual(await json(['channels', 'remove', '5550001']), { channelId: '5550001', removed: true });
  assert.deepEqual(await json(['users', 'remove', 'ruser']), { userId: 'ruser', removed: true });
});

test('the wrong token, no token, or store flags next to --base-url: one clear line', async () => {
  oneLine(await cli(['apps', 'list', '--base-url', server.url], { LIVE_CCV_ADMIN_TOKEN: 'wrong' }), 'invalid admin token.');
  oneLine(
    await cli(['apps', 'list', '--base-url', server.url]),
    'an admin token is required with --base-url (--admin-token or LIVE_CCV_ADMIN_TOKEN)',
  );
  const flag = await cli(['apps', 'list', '--base-url', server.url, '--admin-token', ADMIN, '--json']);
  assert.equal(flag.code, 0, flag.stderr);
  oneLine(
    await remote(['apps', 'list', '--data-dir', tempDir()]),
    "--data-dir applies to a store opened here; with --base-url the server's own settings apply",
  );
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as net.AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  oneLine(
    await cli(['apps', 'list', '--base-url', `http://127.0.0.1:${port}`, '--admin-token', ADMIN]),
    `request failed: GET http://127.0.0.1:${port}/admin/v1/apps: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`,
  );
});

test('import ccv --base-url: chunked, rejected lines numbered as in the file, the same as a local import, idempotent', async () => {
  const app = await json<{ appId: string }>(['apps', 'create', '--name', 'Importer']);
  await json(['users', 'add', '--app', app.appId, 'iuser']);
  await json(['channels', 'add', '--user', 'iuser', '7770001']);

  // 12,000 rows (three chunks) with a header, blank lines and bad rows in every chunk
  const start = Date.parse('2024-05-01T00:00:00Z');
  const lines = ['ccv,minute,pullType,channelId'];
  for (let i = 0; i < 12_000; i++) lines.push(`${(i * 7) % 500},${start + i * 60_000},${i % 3 ? 'cdn' : 'rtc'},7770001`);
  lines[3] = '';
  lines[5000] = '5,not-a-time,cdn,7770001';
  lines[5001] = '5,1714521600000,hls,7770001';
  lines[11_999] = '5,1714521600000,cdn,9990001';
  const file = path.join(tempDir(), 'big.csv');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const expectedRejected = [
    { line: 5001, reason: 'minute must be epoch milliseconds or an ISO time, got "not-a-time"' },
    { line: 5002, reason: 'unknown pullType "hls" (accepted: cdn, rtc, p2p)' },
    { line: 12_000, reason: 'unknown channel 9990001' },
  ];

  const first = await remote(['import', 'ccv', file, '--json']);
  assert.equal(first.code, 1, 'rejected rows make the exit status 1');
  const result = JSON.parse(first.stdout) as { accepted: number; rejected: { line: number; reason: string }[] };
  assert.deepEqual(result, { accepted: 12_000 - 4, rejected: expectedRejected });
  assert.equal(first.stderr, `live-ccv: 3 row(s) of ${file} rejected (the other 11996 were imported)\n`);

  // the same file on a store opened directly gives the same answer
  const dataDir = tempDir();
  const local = (args: string[]) => cli([...args, '--data-dir', dataDir]);
  assert.equal((await local(['apps', 'create', '--name', 'L', '--app-id', 'l01'])).code, 0);
  assert.equal((await local(['users', 'add', '--app', 'l01', 'iuser'])).code, 0);
  assert.equal((await local(['channels', 'add', '--user', 'iuser', '7770001'])).code, 0);
  assert.deepEqual(JSON.parse((await local(['import', 'ccv', file, '--json'])).stdout), result);

  const minutes = async () => {
    const res = await fetch(`${server.url}/admin/v1/channels/7770001/minutes?start=2024-05-01&end=2024-05-10`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    return ((await res.json()) as { data: unknown[] }).data;
  };
  const stored = await minutes();
  const nonZero = lines
    .slice(1)
    .filter((l, i) => !expectedRejected.some((r) => r.line === i + 2) && l !== '' && !l.startsWith('0,'));
  assert.equal(stored.length, nonZero.length, 'every accepted row with ccv > 0 is stored');
  const again = await remote(['import', 'ccv', file, '--json']);
  assert.deepEqual(JSON.parse(again.stdout), result);
  assert.deepEqual(await minutes(), stored, 'importing the same file twice changes nothing');

  oneLine(
    await remote(['import', 'ccv', file, '--time-zone', 'UTC']),
    "--time-zone applies to a store opened here; with --base-url the server's own settings apply",
  );
});

test("the first-start banner's import command reaches the server's store", async () => {
  const { importCommand } = await import('../src/server.js');
  const { testConfig } = await import('./helpers.js');
  const url = 'http://127.0.0.1:8080';
  assert.equal(
    importCommand(testConfig({ adminToken: ADMIN }), url),
    `npx live-ccv import ccv examples/ccv-sample.csv --base-url ${url}   # with LIVE_CCV_ADMIN_TOKEN set`,
  );
  assert.equal(
    importCommand(testConfig({ store: 'postgres', databaseUrl: 'postgres://u:p@h/db' }), url),
    'npx live-ccv import ccv examples/ccv-sample.csv --store postgres --database-url "$LIVE_CCV_DATABASE_URL"',
    'the database URL (and its password) is not printed',
  );
  assert.equal(importCommand(testConfig({ dataDir: './data' }), url), 'npx live-ccv import ccv examples/ccv-sample.csv');
  assert.equal(
    importCommand(testConfig({ dataDir: '/srv/ccv data' }), url),
    "npx live-ccv import ccv examples/ccv-sample.csv --data-dir '/srv/ccv data'",
  );
});
