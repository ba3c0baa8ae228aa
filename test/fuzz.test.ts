/**
 * Fuzzing every route the app registers, on both stores: random methods, path parameters, query
 * parameters (NUL bytes, any Unicode, over-long values, repeated and bracketed names, numbers out of
 * range), correctly signed or not, content types, encodings and bodies (JSON of any shape, deep nesting,
 * forms, NDJSON, CSV, bytes, gzip). Every answer must be the envelope with code = HTTP status, never a
 * 5xx, never a stack trace, SQL or a credential; afterwards the server still answers health, readiness
 * and a signed call. Each store's run is bounded in time (fast-check stops early, passing, at the limit).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { opsEndpoints } from '@live-ccv/client/contract';
import fc from 'fast-check';
import { sign } from '../src/auth/sign.js';
import { buildApp } from '../src/http/app.js';
import { IngestService } from '../src/ingest/ingest-service.js';
import { Tenancy } from '../src/service/tenancy.js';
import { watchStorage } from '../src/store/storage-watch.js';
import { query, signed, tempDir, testConfig } from './helpers.js';
import { appRoutes } from './openapi-validate.js';
import { adapters } from './store-adapters.js';

const ADMIN = 'fuzz-admin-token-000001';
const INGEST = 'fuzz-ingest-token-00001';
const CALLER = { appId: 'fuzzapp01', appSecret: 'fuzz-secret-000000000001' };
const TIME_LIMIT_MS = Number(process.env.LIVE_CCV_TEST_FUZZ_MS ?? 20_000);
const RUNS = Number(process.env.LIVE_CCV_TEST_FUZZ_RUNS ?? 400);

/** Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those). */
const encode = (s: string) =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');

const PARAM_NAMES = [
  'users',
  'start',
  'end',
  'channelId',
  'channelIds',
  'startDate',
  'endDate',
  'startTime',
  'endTime',
  'pullType',
  'userId',
  'format',
  'page',
  'size',
  'viewerId',
  'ts',
  'signatureNonce',
  'signatureMethod',
  'requestId',
  'name',
  'appId',
  'timestamp',
];

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'x\u0000y',
    '%00',
    '..',
    '../../etc/passwd',
    '-1',
    '0',
    '3000000000',
    '99999999999999999999999',
    '1e309',
    'NaN',
    '__proto__',
    'constructor',
    ',,,',
    'u1,u1,u1',
    'cdn',
    'CDN',
    'csv',
    'SHA256',
    '2024-02-30',
    '2024-03-01',
    '1709251200000',
    "' OR 1=1 --",
    '😀',
    '\ud800',
  ),
  fc.integer({ min: 1, max: 600 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1, max: 1200 }).map((n) => Array.from({ length: n }, (_, i) => `u${i}`).join(',')),
);
const plausible = fc.oneof(
  fc.constantFrom('u1', 'u2', '100', '101', '100,101', 'cdn', 'rtc', 'p2p', 'csv', 'json'),
  fc
    .date({ min: new Date('2023-01-01'), max: new Date('2025-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.date({ min: new Date('2023-01-01'), max: new Date('2025-01-01'), noInvalidDate: true }).map((d) => String(d.getTime())),
);
const paramName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PARAM_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...PARAM_NAMES).map((n) => `${n}[]`) },
  { weight: 1, arbitrary: fc.constantFrom(...PARAM_NAMES).map((n) => `${n}[a][b]`) },
  { weight: 1, arbitrary: nasty },
);
const params = fc.array(fc.tuple(paramName, fc.oneof(plausible, nasty)), { maxLength: 8 });

const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const body = fc.oneof(
  fc.constant(undefined),
  jsonValue.map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.constantFrom(...PARAM_NAMES), fc.oneof(plausible, nasty, fc.array(nasty, { maxLength: 3 }), jsonValue))
    .map((o) => JSON.stringify(o)),
  fc.integer({ min: 1, max: 100_000 }).map((n) => deep(n, '[', ']')),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `{"users":${deep(n, '[', ']')}}`),
  fc.integer({ min: 1, max: 50_000 }).map((n) => deep(n, '{"a":', '}').replace(/}$/, '1}')),
  params.map((ps) => ps.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')),
  fc
    .array(
      fc.oneof(
        jsonValue.map((v) => JSON.stringify(v)),
        nasty,
      ),
      { maxLength: 20 },
    )
    .map((lines) => lines.join('\n')),
  fc
    .array(fc.tuple(plausible, plausible, plausible, nasty), { maxLength: 20 })
    .map((rows) => ['channelId,pullType,minute,ccv', ...rows.map((r) => r.join(','))].join('\n')),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'text/csv',
  'text/plain',
  'application/x-ndjson',
  'application/ndjson',
  'multipart/form-data; boundary=x',
  'application/xml',
  'garbage',
  'application/json; charset=latin1',
);
const encoding = fc.constantFrom(undefined, undefined, undefined, 'gzip', 'deflate', 'identity', 'br', 'x-nonsense');
const authorization = fc.constantFrom(
  undefined,
  `Bearer ${ADMIN}`,
  `Bearer ${INGEST}`,
  `bearer ${ADMIN}`,
  'Bearer ',
  'Basic YTpi',
  `Bearer ${'x'.repeat(5000)}`,
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');

interface Request {
  route: string;
  method: string;
  pathParams: string[];
  query: [string, string][];
  signIt: boolean;
  nonce: boolean;
  body: string | Buffer | undefined;
  contentType: string | undefined;
  encoding: string | undefined;
  authorization: string | undefined;
  accept: string | undefined;
}

function request(routes: string[]): fc.Arbitrary<Request> {
  return fc.record({
    route: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...routes) },
      { weight: 1, arbitrary: nasty.map((s) => `GET /${encode(s)}`) },
    ),
    method: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: method }),
    pathParams: fc.array(fc.oneof(plausible, nasty), { minLength: 3, maxLength: 3 }),
    query: params,
    signIt: fc.boolean(),
    nonce: fc.boolean(),
    body,
    contentType,
    encoding,
    authorization,
    accept: fc.constantFrom(undefined, 'text/csv', 'application/json', '*/*', 'text/csv;q=0.1, application/json'),
  });
}

const SECRETS = [CALLER.appSecret, ADMIN, INGEST];
const LEAKS = /\n\s+at |\.ts:\d+|\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bsqlite\b|\bpostgres\b|\bSQLSTATE\b|syntax error/i;

async function fire(app: FastifyInstance, r: Request) {
  const [routeMethod, template] = r.route.split(' ') as [string, string];
  let i = 0;
  const url = template.replace(/\{[^}]+\}/g, () => encode(r.pathParams[i++] ?? 'x'));
  const q: [string, string][] = [...r.query];
  if (r.signIt) {
    const first: Record<string, string> = {};
    q.push(['appId', CALLER.appId], ['timestamp', String(Date.now())]);
    if (r.nonce) q.push(['signatureNonce', randomBytes(8).toString('hex')]);
    for (const [k, v] of q) if (!(k in first)) first[k] = v;
    q.push(['sign', sign(first, CALLER.appSecret)]);
  }
  const search = q.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const headers: Record<string, string> = {};
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.authorization) headers.authorization = r.authorization;
  if (r.accept) headers.accept = r.accept;
  let payload = r.body;
  if (r.encoding) {
    headers['content-encoding'] = r.encoding;
    if (r.encoding === 'gzip' && payload !== undefined && r.signIt) payload = gzipSync(payload);
  }
  const m = r.method || routeMethod;
  const res = await app.inject({ method: m as 'GET', url: search ? `${url}?${search}` : url, headers, payload });
  return { method: m, url, res };
}

/** Endpoints whose successful answer is not the envelope (metrics, the OpenAPI document, the dashboard's files). */
const RAW = opsEndpoints
  .filter((e) => e.raw !== undefined)
  .map((e) => ({ pattern: new RegExp(`^${e.path.replace(/:[^/]+/g, '[^/]+')}/?$`), types: [e.raw!].flat() }));

function check({ method: m, url, res }: Awaited<ReturnType<typeof fire>>): void {
  const where = `${m} ${url.slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.ok(res.statusCode < 500, `5xx: ${where}`);
  const type = String(res.headers['content-type'] ?? '');
  if (m === 'HEAD' || res.statusCode === 204) {
    assert.equal(res.body, '', where);
    return;
  }
  if (type.startsWith('text/csv')) {
    assert.equal(res.statusCode, 200, where);
    return;
  }
  // inject resolves dot segments as a URL parser does (`/dashboard/assets/..` is `/dashboard/`)
  const pathname = new URL(url, 'http://fuzz').pathname;
  const raw = RAW.find((r) => r.pattern.test(pathname));
  if (raw && res.statusCode < 300) {
    assert.ok(
      raw.types.some((t) => type.startsWith(t)),
      `a raw answer of a type the contract does not give it: ${where}`,
    );
    return;
  }
  assert.match(type, /^application\/json/, `not JSON: ${where}`);
  const json = JSON.parse(res.body);
  assert.deepEqual(Object.keys(json).sort(), ['code', 'data', 'message', 'status'], `not the envelope: ${where}`);
  assert.equal(json.code, res.statusCode, `code differs from the HTTP status: ${where}`);
  assert.equal(json.status, res.statusCode === 200 ? 'success' : 'error', where);
  if (res.statusCode !== 200) {
    assert.equal(json.data, '', where);
    assert.equal(typeof json.message, 'string', where);
    assert.doesNotMatch(json.message, LEAKS, `internals in the message: ${where}`);
    for (const s of SECRETS) assert.ok(!json.message.includes(s), `a credential in the message: ${where}`);
  }
}

for (const adapter of adapters()) {
  describe(`fuzzing every endpoint on ${adapter.name}`, () => {
    const closers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of closers.reverse()) await c();
    });

    it('answers every request with the envelope, code = status, never a 5xx, and keeps serving', {
      timeout: TIME_LIMIT_MS + 120_000,
    }, async () => {
      const db = await adapter.open();
      closers.push(async () => {
        await db.drop();
        await adapter.teardown?.();
      });
      const store = watchStorage(db.store);
      // a dashboard build of its own, so /dashboard answers the same whether or not the repository was built
      const dashboardDir = tempDir('live-ccv-fuzz-dashboard-');
      fs.mkdirSync(path.join(dashboardDir, 'assets'));
      fs.writeFileSync(path.join(dashboardDir, 'index.html'), '<!doctype html><title>dashboard</title>');
      fs.writeFileSync(path.join(dashboardDir, 'assets', 'app-0123abcd.js'), 'console.log(1);');
      const config = testConfig({
        dashboardDir,
        adminToken: ADMIN,
        ingestToken: INGEST,
        ipLimit: 1_000_000,
        appLimit: 1_000_000,
        beaconBodyLimit: 4096,
        bodyLimit: 2 * 1024 * 1024,
      });
      const tenancy = new Tenancy(store);
      await tenancy.createApp({ name: 'fuzz', ...CALLER });
      for (const [user, channels] of [
        ['u1', ['100', '101']],
        ['u2', ['102']],
      ] as const) {
        await tenancy.addUser(CALLER.appId, user);
        for (const ch of channels) await tenancy.addChannel(user, ch);
      }
      const ingest = await IngestService.open(config, store, { timers: false });
      closers.push(() => ingest.stop());
      const app = await buildApp({ config, store, ingest, logger: false });
      closers.push(() => app.close());
      const routes = appRoutes(app);
      assert.ok(routes.length > 20, 'the route listing could not be read');

      await fc.assert(
        fc.asyncProperty(request(routes), async (r) => check(await fire(app, r))),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
      );

      // still serving: liveness, readiness, a signed call of a fresh application
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      const fresh = await tenancy.createApp({ name: 'after fuzz' });
      await tenancy.addUser(fresh.appId, `after${randomBytes(3).toString('hex')}`);
      const users = (await tenancy.listUsers(fresh.appId))[0]!.userId;
      const res = await app.inject({
        method: 'GET',
        url: `/live/internal/v3/user/concurrent/yunduo/summary?${query(signed(fresh, { users, start: '2024-03-01', end: '2024-03-02' }))}`,
      });
      assert.equal(res.statusCode, 200, res.body);
    });
  });
}
