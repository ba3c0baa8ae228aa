/**
 * Resource bounds over real sockets: a client trickling its body (slow loris) or its headers is cut off
 * with the 408 envelope when the request timeout passes, and holds nothing afterwards (oversized headers
 * are in test/hostile-input.test.ts); the beacon has its own small body limit; batch bodies in flight
 * share a byte budget (503 + Retry-After when over, one batch alone always admitted).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../src/server.js';
import { Tenancy } from '../src/service/tenancy.js';
import { testConfig } from './helpers.js';
import { assertRefused } from './refusals.js';

const TOKEN = 'limits-ingest-token-01';

/** Sends `head`, then `trickle` one byte every `everyMs` until the server closes; returns all it answered. */
function slowClient(port: number, head: string, trickle: string, everyMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(trickle[i++ % trickle.length]!);
      }, everyMs);
    });
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') reject(e);
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve(answer);
    });
  });
}

const envelopeOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

describe('request timeouts', () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    const config = testConfig({ host: '127.0.0.1', port: 0, requestTimeoutMs: 1000, headersTimeoutMs: 1000, ingestToken: TOKEN });
    server = await startServer(config, () => {});
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  it('cuts off a body trickled to /v1/beacon with the 408 envelope, and keeps serving', { timeout: 60_000 }, async () => {
    const head = 'POST /v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const raw = await slowClient(port, head, '{"channelId":"1"', 100);
    assert.match(raw, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(raw, /\r\nConnection: close\r\n/i);
    assert.deepEqual(envelopeOf(raw), {
      code: 408,
      status: 'error',
      message: 'request timeout: the request was not received within 1000 ms',
      data: '',
    });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it('cuts off trickled headers the same way', { timeout: 60_000 }, async () => {
    const raw = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaaaaaaaaaaaaaa\r\n', 100);
    assert.match(raw, /^HTTP\/1\.1 408 /);
    assert.equal(envelopeOf(raw).code, 408);
  });

  it('many slow clients at once are all cut off and hold no connection afterwards', { timeout: 60_000 }, async () => {
    const head = 'POST /v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n';
    const connections = () => new Promise<number>((r, j) => server.app.server.getConnections((e, n) => (e ? j(e) : r(n))));
    const before = await connections(); // keep-alive connections of earlier fetches
    const answers = await Promise.all(Array.from({ length: 100 }, () => slowClient(port, head, 'channelId=1&', 200)));
    assert.deepEqual(
      answers.filter((a) => !a.startsWith('HTTP/1.1 408 ')),
      [],
    );
    assert.ok((await connections()) <= before, 'no connection of theirs is left open');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

describe('body limits and the batch byte budget', () => {
  let server: RunningServer;
  const batch = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ channelId: '500', viewerId: `${tag}-${i}`, pullType: 'cdn' })).join(
      '\n',
    );
  const postBatch = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/heartbeats`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', ...headers },
      body,
    });
  before(async () => {
    const config = testConfig({
      host: '127.0.0.1',
      port: 0,
      ingestToken: TOKEN,
      beaconBodyLimit: 1024,
      ingestInflightBytes: 65_536,
    });
    server = await startServer(config, () => {});
    const t = new Tenancy(server.store);
    const a = await t.createApp({ name: 'limits', appId: 'limitsapp' });
    await t.addUser(a.appId, 'lu');
    await t.addChannel('lu', '500');
  });
  after(() => server.close());

  it('refuses a beacon body over the beacon limit with 413 naming that limit, while batches keep theirs', async () => {
    const beacon = await fetch(`${server.url}/v1/beacon`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channelId: '500', viewerId: 'v', pullType: 'cdn', pad: 'x'.repeat(2000) }),
    });
    await assertRefused(beacon, 413, 'request body too large: at most 1024 bytes');
    const small = await fetch(`${server.url}/v1/beacon`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channelId: '500', viewerId: 'v', pullType: 'cdn' }),
    });
    assert.equal(small.status, 204);
  });

  it('admits one batch alone whatever its size, and refuses others with 503 + Retry-After while the budget is held', {
    timeout: 60_000,
  }, async () => {
    const big = batch(4000, 'alone'); // ~250 KB, far over the 64 KiB budget
    const alone = await postBatch(big);
    assert.equal(alone.status, 200);
    assert.equal(((await alone.json()) as { data: { accepted: number } }).data.accepted, 4000);

    // Hold the budget with a batch whose body is still arriving.
    const body = batch(1000, 'held');
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let heldAnswer = '';
    socket.on('data', (d: Buffer) => (heldAnswer += d.toString()));
    const heldClosed = new Promise((r) => socket.on('close', r));
    await new Promise((r) => socket.on('connect', r));
    // "100 Continue" comes once the server has the headers; its admission runs before any later request.
    socket.write(
      `POST /v1/heartbeats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-ndjson\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    while (!heldAnswer.includes('100 Continue')) await new Promise((r) => setTimeout(r, 10));
    socket.write(body.slice(0, 100));

    await assertRefused(
      await postBatch(batch(1000, 'declared')),
      503,
      'server busy: heartbeat batches in flight hold the memory allowed (65536 bytes); retry shortly',
      '1',
    );
    // gzip: the size is known only as it inflates; refused as soon as it passes the budget
    const zipped = await postBatch(gzipSync(batch(1000, 'zipped')), { 'content-encoding': 'gzip' });
    assert.equal(zipped.status, 503);
    assert.match(((await zipped.json()) as { message: string }).message, /^server busy: /);
    // a small batch still fits next to the held one
    const small = await postBatch(batch(10, 'small'));
    assert.equal(small.status, 200);

    socket.write(body.slice(100)); // not end(): a half-closed request is aborted by Node
    await heldClosed;
    assert.match(heldAnswer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    const after = await postBatch(batch(1000, 'after'));
    assert.equal(after.status, 200, 'the budget is given back once the held batch is answered');
  });
});
