/**
 * Request logging (LIVE_CCV_REQUEST_LOG): the default logs only what is worth reading (server errors,
 * refusals, slow requests), one line each; `all` logs every request as fastify does; `off` none.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { buildApp } from '../src/http/app.js';
import { tempStore, testConfig } from './helpers.js';

async function logged(requestLog: 'all' | 'notable' | 'off') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const store = tempStore();
  // far apart, so a quick request on a busy machine (a first /healthz can take tens of ms) is never 'slow'
  const config = testConfig({ requestLog, slowRequestMs: 300 });
  const app = await buildApp({ config, store, logger: { level: 'info', stream } });
  app.get('/test/slow', async () => {
    await sleep(350);
    return { ok: true };
  });
  app.get('/test/boom', async () => {
    throw new Error('boom');
  });
  for (const url of ['/healthz', '/healthz', '/test/nope?sign=SIGNVALUE&a=1', '/test/slow', '/test/boom'])
    await app.inject({ url });
  await app.close();
  await store.close();
  return lines;
}

test('by default only refusals, server errors and slow requests are logged, with status and time', async () => {
  const lines = await logged('notable');
  const requests = lines.filter((l) => typeof l.statusCode === 'number');
  assert.deepEqual(
    requests.map((l) => [l.msg, l.url, l.statusCode]),
    [
      // URLs as the request serializer shows them: the signature's value never reaches the log
      ['request refused', '/test/nope?sign=[redacted]&a=1', 404],
      ['slow request', '/test/slow', 200],
      ['request failed', '/test/boom', 500],
    ],
  );
  for (const l of requests) assert.equal(typeof l.responseTime, 'number');
  assert.ok(!lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'));
});

test('all logs every request, off logs none of them', async () => {
  const all = await logged('all');
  assert.equal(all.filter((l) => l.msg === 'incoming request').length, 5);
  assert.ok(all.filter((l) => l.msg === 'request completed').length >= 4);
  const off = await logged('off');
  assert.deepEqual(
    off.filter((l) => typeof l.statusCode === 'number' || l.msg === 'incoming request' || l.msg === 'request completed'),
    [],
  );
});
