/** The admin commands, run in-process exactly as the bin runs them (runCli), on a temp data dir. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { sqlitePath } from '../src/config/config.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { cli, tempDir } from './helpers.js';

async function json<T>(args: string[], env: Record<string, string>): Promise<T> {
  const r = await cli([...args, '--json'], env);
  assert.equal(r.code, 0, `live-ccv ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The failure shape every error must have: exit 1 and exactly one `live-ccv: ...` line. */
function oneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^live-ccv: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

test('apps, users and channels: create, list, show, disable, rotate, remove (--json)', async () => {
  const env = { LIVE_CCV_DATA_DIR: tempDir() };
  type AppJson = { appId: string; appSecret?: string; name: string; enabled: boolean };

  const known = await json<AppJson>(
    ['apps', 'create', '--name', 'Known', '--app-id', 'known01', '--app-secret', 'k'.repeat(20)],
    env,
  );
  assert.deepEqual(known, { appId: 'known01', appSecret: 'k'.repeat(20), name: 'Known', enabled: true });
  const random = await json<AppJson>(['apps', 'create', '--name', 'Random'], env);
  assert.match(random.appId, /^[a-z0-9]{10}$/);
  assert.match(random.appSecret ?? '', /^[a-z0-9]{32}$/);

  const list = await json<AppJson[]>(['apps', 'list'], env);
  assert.deepEqual(list.map((a) => a.appId).sort(), ['known01', random.appId].sort());
  assert.ok(
    list.every((a) => !('appSecret' in a)),
    'listings never show secrets',
  );

  assert.equal((await json<AppJson>(['apps', 'disable', 'known01'], env)).enabled, false);
  const shown = await json<AppJson>(['apps', 'show', 'known01'], env);
  assert.equal(shown.enabled, false);
  assert.ok(!('appSecret' in shown));
  const rotated = await json<AppJson>(['apps', 'rotate-secret', 'known01'], env);
  assert.notEqual(rotated.appSecret, 'k'.repeat(20));

  assert.deepEqual(
    await json<{ userId: string; appId: string }>(['users', 'add', '--app', 'known01', 'u1'], env).then(({ userId, appId }) => ({
      userId,
      appId,
    })),
    { userId: 'u1', appId: 'known01' },
  );
  await json(['channels', 'add', '--user', 'u1', '100'], env);
  const channels = await json<{ channelId: string; userId: string; appId: string }[]>(['channels', 'list', '--user', 'u1'], env);
  assert.deepEqual(
    channels.map((c) => [c.channelId, c.userId, c.appId]),
    [['100', 'u1', 'known01']],
  );

  // What the commands did is in the store the server would open.
  const store = new SqliteStore(sqlitePath({ dataDir: env.LIVE_CCV_DATA_DIR }));
  try {
    assert.equal((await store.getApp('known01'))?.appSecret, rotated.appSecret);
    assert.equal((await store.getApp('known01'))?.enabled, false);
    assert.equal((await store.getChannel('100'))?.userId, 'u1');
  } finally {
    await store.close();
  }

  const [dupe, badChannel] = await Promise.all([
    cli(['channels', 'add', '--user', 'u1', '100'], env),
    cli(['channels', 'add', '--user', 'u1', '10x'], env),
  ]);
  oneLine(dupe, /^live-ccv: channel 100 already exists/);
  oneLine(badChannel, /channelId must be digits, got "10x"/);

  assert.deepEqual(await json(['channels', 'remove', '100'], env), { channelId: '100', removed: true });
  assert.deepEqual(await json(['users', 'remove', 'u1'], env), { userId: 'u1', removed: true });
  oneLine(await cli(['channels', 'list', '--user', 'u1'], env), /^live-ccv: user u1 not found/);
});

test('tables by default; the data dir flag wins over the environment', async () => {
  const dir = tempDir();
  const env = { LIVE_CCV_DATA_DIR: path.join(dir, 'not-this-one') };
  const created = await cli(['apps', 'create', '--name', 'Shop', '--app-id', 'shop01', '--data-dir', dir], env);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^appId: +shop01$/m);
  assert.match(created.stdout, /^appSecret: +[a-z0-9]{32}$/m);
  assert.match(created.stdout, /shown only now/);
  const listed = await cli(['apps', 'list', '--data-dir', dir], env);
  const [head, rule, row, extra] = listed.stdout.trimEnd().split('\n');
  assert.match(head ?? '', /^appId +name +enabled +rateLimit +ingestToken +createdAt$/);
  assert.match(rule ?? '', /^-+ +-+/);
  assert.match(row ?? '', /^shop01 +Shop +true +default +- +\d{4}-\d\d-\d\dT/);
  assert.equal(extra, undefined);
});

test('configuration and usage errors: one line naming the problem, exit 1', async () => {
  const dir = tempDir();
  const [badEnv, badFlag, missingOption, unknownOption] = await Promise.all([
    cli(['apps', 'list'], { LIVE_CCV_DATA_DIR: dir, LIVE_CCV_PORT: 'eighty' }),
    cli(['apps', 'list', '--store', 'mysql'], { LIVE_CCV_DATA_DIR: dir }),
    cli(['users', 'add', 'u1'], { LIVE_CCV_DATA_DIR: dir }),
    cli(['apps', 'list', '--colour'], { LIVE_CCV_DATA_DIR: dir }),
  ]);
  oneLine(badEnv, /^live-ccv: invalid setting LIVE_CCV_PORT: .*"eighty"/);
  oneLine(badFlag, /^live-ccv: invalid setting --store: .*"mysql"/);
  oneLine(missingOption, /^live-ccv: required option '--app <appId>' not specified/);
  oneLine(unknownOption, /^live-ccv: unknown option '--colour'/);
});
