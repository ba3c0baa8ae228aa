/**
 * Secrets at rest: appSecrets sealed with AES-256-GCM under LIVE_CCV_SECRET_KEY (a key ring), ingest tokens
 * stored as hashes, on both stores; the start-up rewrite of older stores, rotation with the CLI, and the
 * one-line refusals when a key is missing or malformed (never echoing a key).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { hashIngestToken } from '../src/secrets/ingest-token.js';
import { KeyRing, SecretKeyError } from '../src/secrets/key-ring.js';
import { atRestStatus, rewriteAtRest, sealSecrets } from '../src/secrets/secrets-at-rest.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { cli, query, signed, tempDir, testConfig } from './helpers.js';
import { spawnCli, spawnServer } from './server-process.js';
import { adapters, type Adapter } from './store-adapters.js';

const K1 = KeyRing.generate();
const K2 = randomBytes(32).toString('base64');
const SECRET = 'plain-secret-0000000001';

describe('the key ring', () => {
  it('seals and opens any secret, bound to its app; a new key seals while the old one still opens', () => {
    const one = KeyRing.parse(K1);
    const both = KeyRing.parse(`${K2},${K1}`);
    fc.assert(
      fc.property(fc.string({ minLength: 16, maxLength: 128 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), (secret, appId) => {
        const sealed = one.seal(secret, appId);
        assert.match(sealed, /^enc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
        assert.ok(!sealed.includes(secret));
        assert.equal(one.open(sealed, appId), secret);
        assert.equal(both.open(sealed, appId), secret, 'the old key still opens');
        assert.equal(KeyRing.keyIdOf(both.seal(secret, appId)), both.sealingKeyId, 'the first key seals');
        assert.throws(() => one.open(sealed, `${appId}x`), SecretKeyError, 'moved to another app: does not open');
      }),
      { numRuns: 200 },
    );
    assert.notEqual(one.seal(SECRET, 'a'), one.seal(SECRET, 'a'), 'a fresh IV every time');
    assert.equal(KeyRing.parse('').seal(SECRET, 'a'), SECRET, 'no key: plaintext');
  });

  it('names the key a secret needs, never the key itself', () => {
    const sealed = KeyRing.parse(K1).seal(SECRET, 'app1');
    const id = KeyRing.keyIdOf(sealed)!;
    assert.throws(
      () => KeyRing.parse(K2).open(sealed, 'app1'),
      (e: Error) => e instanceof SecretKeyError && e.message.includes(`sealed with key ${id}`) && !e.message.includes(K1),
    );
    assert.throws(() => KeyRing.parse('').open(sealed, 'app1'), /LIVE_CCV_SECRET_KEY does not hold \(it is empty\)/);
    const tampered = `${sealed.slice(0, -4)}AAAA`;
    assert.throws(() => KeyRing.parse(K1).open(tampered, 'app1'), /does not open with key .*: altered or moved/);
  });

  it('a malformed key is a setting error that does not print the value', () => {
    for (const bad of ['short', `${K1},nothex`, 'z'.repeat(64)]) {
      assert.throws(
        () => loadConfig({ LIVE_CCV_SECRET_KEY: bad }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /^invalid setting LIVE_CCV_SECRET_KEY: key \d of \d is not 32 bytes/.test(e.message) &&
          e.message.includes('(value not shown)') &&
          !e.message.includes(bad),
      );
    }
    assert.equal(loadConfig({ LIVE_CCV_SECRET_KEY: `${K1}, ${K2}` }).secretKey, `${K1}, ${K2}`);
  });
});

/** A fresh database of the adapter: its raw store (credentials exactly as stored) and its cleanup. */
async function openDb(adapter: Adapter) {
  const db = await adapter.open();
  return {
    raw: db.store,
    close: () => db.drop(),
  };
}

for (const adapter of adapters()) {
  describe(`secrets at rest on ${adapter.name}`, () => {
    after(() => adapter.teardown?.());
    it('stores only sealed secrets and token hashes, while the service and the signed API see plaintext', async () => {
      const db = await openDb(adapter);
      try {
        const store = sealSecrets(db.raw, KeyRing.parse(K1));
        const tenancy = new Tenancy(store);
        const created = await tenancy.createApp({ name: 'sealed', appId: 'sealedapp', appSecret: SECRET });
        assert.equal(created.appSecret, SECRET);
        await tenancy.updateApp('sealedapp', { ingestToken: 'an-ingest-token-0001' });
        const stored = (await db.raw.getApp('sealedapp'))!;
        assert.match(stored.appSecret, /^enc:v1:/);
        assert.equal(stored.ingestTokenHash, hashIngestToken('an-ingest-token-0001'));
        assert.equal((await store.getApp('sealedapp'))?.appSecret, SECRET);
        assert.deepEqual(
          (await store.listApps()).map((a) => a.appSecret),
          [SECRET],
        );

        await tenancy.addUser('sealedapp', 'su1');
        const app = await buildApp({ config: testConfig(), store, logger: false });
        const call = (secret: string) =>
          app.inject({
            method: 'GET',
            url: `/live/internal/v3/user/concurrent/yunduo/summary?${query(signed({ appId: 'sealedapp', appSecret: secret }, { users: 'su1', start: '2024-03-01', end: '2024-03-01' }))}`,
          });
        assert.equal((await call(SECRET)).statusCode, 200);
        assert.equal((await call(stored.appSecret)).statusCode, 403, 'the sealed form is no secret');
        const rotated = await tenancy.rotateSecret('sealedapp');
        assert.match((await db.raw.getApp('sealedapp'))!.appSecret, /^enc:v1:/);
        assert.equal((await call(rotated.appSecret)).statusCode, 200);
        await app.close();

        // a process without the key fails closed: listing works, calls are refused, nothing leaks
        const reports: string[] = [];
        const keyless = sealSecrets(db.raw, KeyRing.parse(''), (e) => reports.push(e.message));
        assert.equal((await keyless.listApps()).length, 1);
        assert.notEqual((await keyless.getApp('sealedapp'))?.appSecret, rotated.appSecret);
        assert.match(reports[0] ?? '', /^the appSecret of application sealedapp is sealed with key [0-9a-f]{8}/);
      } finally {
        await db.close();
      }
    });

    it('rewrites an older store: seals plaintext secrets, hashes plaintext tokens, re-seals with a new key, and refuses a missing key before writing', async () => {
      const db = await openDb(adapter);
      try {
        await db.raw.createApp({ appId: 'old1', appSecret: SECRET, name: 'old', ingestTokenHash: 'legacy-plain-token-01' });
        await db.raw.createApp({ appId: 'old2', appSecret: 'plain-secret-0000000002', name: 'old' });
        assert.deepEqual(await atRestStatus(db.raw), { secrets: { plaintext: 2 }, tokens: { plaintext: 1 } });

        const r1 = await rewriteAtRest(db.raw, KeyRing.parse(K1));
        assert.deepEqual(r1, { apps: 2, sealed: 2, opened: 0, hashedTokens: 1, raced: 0 });
        const id1 = KeyRing.parse(K1).sealingKeyId!;
        assert.deepEqual(await atRestStatus(db.raw), { secrets: { [id1]: 2 }, tokens: { hashed: 1 } });
        assert.equal((await db.raw.getApp('old1'))?.ingestTokenHash, hashIngestToken('legacy-plain-token-01'));
        assert.deepEqual(await rewriteAtRest(db.raw, KeyRing.parse(K1)), {
          apps: 2,
          sealed: 0,
          opened: 0,
          hashedTokens: 0,
          raced: 0,
        });

        await assert.rejects(rewriteAtRest(db.raw, KeyRing.parse(K2)), /sealed with key .* \(and 1 more application\(s\)\)/);
        assert.deepEqual(await atRestStatus(db.raw), { secrets: { [id1]: 2 }, tokens: { hashed: 1 } }, 'nothing was written');

        const ring = KeyRing.parse(`${K2},${K1}`);
        assert.equal((await rewriteAtRest(db.raw, ring)).sealed, 2);
        assert.deepEqual((await atRestStatus(db.raw)).secrets, { [ring.sealingKeyId!]: 2 });
        assert.equal((await sealSecrets(db.raw, KeyRing.parse(K2)).getApp('old1'))?.appSecret, SECRET);

        assert.equal((await rewriteAtRest(db.raw, ring, { plaintext: true })).opened, 2);
        assert.equal((await db.raw.getApp('old2'))?.appSecret, 'plain-secret-0000000002');
      } finally {
        await db.close();
      }
    });
  });
}

describe('the CLI and the server', () => {
  const dataDir = tempDir('live-ccv-secrets-');
  const rawStore = () => new SqliteStore(path.join(dataDir, 'live-ccv.sqlite'));
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('generate-key, serve sealing an older store at start, rotate-key and status; a missing key stops serve with one line', {
    timeout: 120_000,
  }, async () => {
    const key = await cli(['secrets', 'generate-key']);
    assert.equal(key.code, 0);
    assert.match(key.stdout, /^[0-9a-f]{64}\n$/);
    const k1 = key.stdout.trim();

    const legacy = rawStore();
    await legacy.createApp({ appId: 'cliapp', appSecret: SECRET, name: 'legacy', ingestTokenHash: 'legacy-plain-token-02' });
    await legacy.close();

    const s = await spawnServer({ LIVE_CCV_DATA_DIR: dataDir, LIVE_CCV_SECRET_KEY: k1, LIVE_CCV_DEMO: 'false' });
    assert.equal(await s.stop(), 0);
    let check = rawStore();
    cleanups.push(() => check.close());
    const sealed = (await check.getApp('cliapp'))!;
    assert.equal(KeyRing.keyIdOf(sealed.appSecret), KeyRing.parse(k1).sealingKeyId);
    assert.equal(sealed.ingestTokenHash, hashIngestToken('legacy-plain-token-02'));
    await check.close();

    const refused = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1'], {
      LIVE_CCV_DATA_DIR: dataDir,
      LIVE_CCV_SECRET_KEY: K2,
    });
    assert.equal(await refused.exited, 1);
    assert.equal(refused.stderr().trim().split('\n').length, 1, refused.stderr());
    assert.match(
      refused.stderr(),
      /^live-ccv: the appSecret of application cliapp is sealed with key [0-9a-f]{8}, which LIVE_CCV_SECRET_KEY does not hold/,
    );
    assert.ok(!refused.stderr().includes(k1) && !refused.stderr().includes(K2));

    const rotate = await cli(['secrets', 'rotate-key', '--data-dir', dataDir], { LIVE_CCV_SECRET_KEY: `${K2},${k1}` });
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(
      rotate.stdout,
      /^1 application\(s\): 1 secret\(s\) sealed with key [0-9a-f]{8}, 0 written in plaintext, 0 ingest token\(s\) hashed/,
    );
    const status = await cli(['secrets', 'status', '--data-dir', dataDir, '--json'], { LIVE_CCV_SECRET_KEY: K2 });
    assert.equal(status.code, 0, status.stderr);
    const id2 = KeyRing.parse(K2).sealingKeyId!;
    assert.deepEqual(JSON.parse(status.stdout), { secrets: { [id2]: 1 }, tokens: { hashed: 1 }, sealingKey: id2 });

    const created = await cli(['apps', 'create', '--name', 'new', '--data-dir', dataDir, '--json'], { LIVE_CCV_SECRET_KEY: K2 });
    assert.equal(created.code, 0, created.stderr);
    const { appId, appSecret } = JSON.parse(created.stdout) as { appId: string; appSecret: string };
    check = rawStore();
    assert.equal(KeyRing.keyIdOf((await check.getApp(appId))!.appSecret), id2);
    assert.equal((await sealSecrets(check, KeyRing.parse(K2)).getApp(appId))?.appSecret, appSecret);

    const noKey = await cli(['secrets', 'rotate-key', '--data-dir', dataDir]);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /^live-ccv: LIVE_CCV_SECRET_KEY is empty: set the key to seal with first/);
  });
});
