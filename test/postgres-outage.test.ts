/**
 * PostgreSQL going away for real: the store reaches the real server through a TCP relay the test can cut
 * (every connection dropped, new ones refused) and restore. While cut, every call that needs the database
 * answers the 503 `storage unavailable: <reason>` envelope with Retry-After, heartbeats for known channels
 * are still taken (the log is local; their minutes wait), /readyz names the store; once restored, the pool
 * reconnects and readiness and calls recover by themselves, without a restart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, test } from 'node:test';
import pg from 'pg';
import { buildApp } from '../src/http/app.js';
import { IngestService } from '../src/ingest/ingest-service.js';
import { Tenancy } from '../src/service/tenancy.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { watchStorage } from '../src/store/storage-watch.js';
import { query, signed, testConfig } from './helpers.js';
import { PG_URL } from './store-adapters.js';

const target = new URL(PG_URL);

/** A TCP relay to the real PostgreSQL that can be cut and restored. */
class Relay {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  readonly server = net.createServer((client) => {
    if (!this.up) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const url = new URL(PG_URL);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as net.AddressInfo).port);
    return url.toString();
  }
  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }
  restore(): void {
    this.up = true;
  }
}

const schema = `ccv_outage_${process.pid}_${randomBytes(3).toString('hex')}`;
after(async () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

test('an unreachable PostgreSQL answers 503 storage unavailable, readiness names the store, and both recover when it is back', {
  timeout: 120_000,
}, async () => {
  const relay = new Relay();
  const url = await relay.listen();
  const store = watchStorage(await PostgresStore.connect(url, { schema, max: 4 }));
  const config = testConfig({ adminToken: 'outage-admin-token', ingestToken: 'outage-ingest-token', allowedLatenessMs: 600_000 });
  const tenancy = new Tenancy(store);
  const caller = await tenancy.createApp({ name: 'outage', appId: 'outageapp', appSecret: 'outage-secret-000001' });
  await tenancy.addUser(caller.appId, 'ou1');
  await tenancy.addChannel('ou1', '700');
  const ingest = await IngestService.open(config, store, { onError: () => {} });
  const app = await buildApp({ config, store, ingest, logger: false });
  const summary = () =>
    app.inject({
      method: 'GET',
      url: `/live/internal/v3/user/concurrent/yunduo/summary?${query(signed(caller, { users: 'ou1', start: '2024-03-01', end: '2024-03-01' }))}`,
    });
  const beat = (channelId: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/heartbeats',
      headers: { authorization: 'Bearer outage-ingest-token', 'content-type': 'application/x-ndjson' },
      payload: JSON.stringify({ channelId, viewerId: 'v1', ts: Date.now() }),
    });
  try {
    assert.equal((await summary()).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);

    relay.cut();
    const refused = await summary();
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '5');
    assert.equal(refused.json().status, 'error');
    assert.equal(refused.json().data, '');
    assert.match(
      refused.json().message,
      /^storage unavailable: (connection to the database server lost|database server refused)/,
    );
    const create = await app.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { authorization: 'Bearer outage-admin-token' },
      payload: { name: 'during outage' },
    });
    assert.equal(create.statusCode, 503);
    assert.match(create.json().message, /^storage unavailable: /);
    // a known channel's heartbeat needs only the local log; an unknown one needs the database
    assert.equal((await beat('700')).statusCode, 200);
    assert.equal((await beat('701')).statusCode, 503);

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.match(ready.json().message, /^not ready: store: /);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);

    relay.restore();
    while ((await app.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await summary()).statusCode, 200);
    assert.equal((await beat('700')).statusCode, 200);
  } finally {
    await app.close();
    await ingest.stop().catch(() => undefined);
    await store.close();
    relay.server.close();
  }
});
