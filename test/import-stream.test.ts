/**
 * POST /admin/v1/ccv reads its body as it arrives (src/http/streamed-text.ts): over real HTTP, rows and UTF-8
 * characters split across chunks at every byte position, CRLF, a BOM, a last line with or without its newline,
 * a bad row in the last chunk, bodies over the limit (declared and grown), a client that goes away mid-body.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fixture, type Fixture } from './helpers.js';

const TOKEN = 'admin-token-for-stream-tests';
const LIMIT = 4096;
const T0 = Date.parse('2021-08-17T10:14:00+08:00');
const MINUTE = 60_000;

interface Raw {
  status: number;
  headers: string;
  body: string;
}

/**
 * One POST over a raw socket: the body's parts are written one by one with a pause between them (and, with
 * `chunked`, as HTTP chunks of their own), so the server reads them as separate chunks. `abort` destroys the
 * socket after the parts instead of finishing the request.
 */
async function post(
  port: number,
  parts: Buffer[],
  options: { type?: string; chunked?: boolean; contentLength?: number; abort?: boolean; pauseMs?: number } = {},
): Promise<Raw | undefined> {
  const { type = 'text/csv', chunked = true, abort = false, pauseMs = 5 } = options;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  const closed = new Promise<void>((resolve) => {
    socket.on('data', (d) => received.push(d));
    socket.on('close', () => resolve());
    socket.on('error', () => undefined); // a refused body may reset the connection after the answer
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const length = chunked ? 'transfer-encoding: chunked' : `content-length: ${options.contentLength ?? total}`;
  socket.write(
    `POST /admin/v1/ccv HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TOKEN}\r\n` +
      `content-type: ${type}\r\n${length}\r\nconnection: close\r\n\r\n`,
  );
  for (const part of parts) {
    await sleep(pauseMs);
    if (socket.destroyed) break;
    if (part.length === 0) continue;
    socket.write(chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
  }
  if (abort) {
    await sleep(pauseMs);
    socket.destroy();
    await closed;
    return undefined;
  }
  if (chunked && !socket.destroyed) socket.write('0\r\n\r\n');
  await closed;
  const text = Buffer.concat(received).toString('utf8');
  const at = text.indexOf('\r\n\r\n');
  return { status: Number(text.slice(9, 12)), headers: text.slice(0, at), body: text.slice(at + 4) };
}

function splitAt(body: Buffer, at: number): Buffer[] {
  return [body.subarray(0, at), body.subarray(at)];
}

describe('POST /admin/v1/ccv streamed over real HTTP', () => {
  let f: Fixture;
  let port: number;
  before(async () => {
    f = await fixture({ config: { adminToken: TOKEN, bodyLimit: LIMIT }, users: { u1: ['500', '501', '502'] } });
    const url = await f.app.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(url).port);
  });
  after(() => f.close());

  const minutes = async (channelId: string) => {
    const res = await f.app.inject({
      method: 'GET',
      url: `/admin/v1/channels/${channelId}/minutes?start=2021-08-17&end=2021-08-17`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data as { minute: number; pullType: string; ccv: number }[];
  };
  const envelope = (r: Raw | undefined) => {
    assert.ok(r, 'an answer');
    return JSON.parse(r.body) as { code: number; message: string; data: { accepted: number; rejected: unknown[] } };
  };

  test('CSV with a BOM, CRLF and no final newline, split at every byte (a bad row holding a 2-byte character)', async () => {
    const unknown = `unknown pullType "cdné" (accepted: ${f.config.pullTypes.join(', ')})`;
    for (let ccv = 1; ; ccv++) {
      const text = [
        '\uFEFFchannelId,pullType,minute,ccv',
        `500,cdn,${T0},${ccv}`,
        `500,cdné,${T0},7`,
        `500,cdn,${T0 + MINUTE},${ccv + 1000}`,
      ].join('\r\n');
      const body = Buffer.from(text, 'utf8');
      const at = ccv - 1;
      if (at > body.length) break;
      const r = envelope(await post(port, splitAt(body, at)));
      assert.equal(r.code, 200, `split at ${at}: ${r.message}`);
      assert.deepEqual(r.data, { accepted: 2, rejected: [{ line: 3, reason: unknown }] }, `split at ${at}`);
      assert.deepEqual(
        await minutes('500'),
        [
          { minute: T0, pullType: 'cdn', ccv },
          { minute: T0 + MINUTE, pullType: 'cdn', ccv: ccv + 1000 },
        ],
        `split at ${at}`,
      );
    }
  });

  test('NDJSON with LF and a final newline, split at every byte; one byte per chunk', async () => {
    for (let ccv = 1; ; ccv++) {
      const text = `{"channelId":"501","pullType":"cdn","minute":${T0},"ccv":${ccv}}\n{"channelId":"501","pullType":"cdn","minute":${T0 + MINUTE},"ccv":5}\n`;
      const body = Buffer.from(text);
      const at = ccv - 1;
      if (at > body.length) break;
      const r = envelope(await post(port, splitAt(body, at), { type: 'application/x-ndjson', chunked: at % 2 === 0 }));
      assert.deepEqual(r.data, { accepted: 2, rejected: [] }, `split at ${at}`);
      assert.equal((await minutes('501'))[0]?.ccv, ccv, `split at ${at}`);
    }
    const text = `502,cdn,${T0},42\n502,cdn,${T0 + MINUTE},43`;
    const bytes = [...Buffer.from(text)].map((b) => Buffer.from([b]));
    const r = envelope(await post(port, bytes, { pauseMs: 1 }));
    assert.deepEqual(r.data, { accepted: 2, rejected: [] });
    assert.deepEqual(
      (await minutes('502')).map((m) => m.ccv),
      [42, 43],
    );
  });

  test('a bad row in the last chunk is reported by its line; the rows before it load, as in one piece', async () => {
    const good = Array.from({ length: 20 }, (_, i) => `502,cdn,${T0 + i * MINUTE},${100 + i}\n`).join('');
    const r = envelope(await post(port, [Buffer.from(good), Buffer.from('502,cdn,')]));
    assert.deepEqual(r.data, {
      accepted: 20,
      rejected: [{ line: 21, reason: 'expected 4 columns (channelId,pullType,minute,ccv), got 3' }],
    });
    assert.equal((await minutes('502')).length, 20);
  });

  test('a body over the limit gets the 413 envelope naming the limit and writes nothing; the server goes on', async () => {
    const before = await minutes('500');
    const rows = (from: number, n: number) =>
      Buffer.from(Array.from({ length: n }, (_, i) => `500,cdn,${T0 + (from + i) * MINUTE},9\n`).join(''));
    const message = `request body too large: at most ${LIMIT} bytes`;
    // declared: refused on the header alone, before a byte of the body is read (none is sent: a body arriving
    // after the answer could reset the connection before the client reads it)
    const declared = await post(port, [], { chunked: false, contentLength: LIMIT + 1 });
    assert.equal(declared?.status, 413);
    assert.equal(envelope(declared).message, message);
    // grown: good rows first, then enough to pass the limit in the last chunk
    const grown = await post(port, [rows(10, 40), rows(50, 150)]);
    assert.equal(grown?.status, 413);
    assert.match(grown.headers, /x-error-code: CCV_ERR_PAYLOAD_TOO_LARGE/i);
    assert.match(grown.headers, /connection: close/i);
    assert.equal(envelope(grown).message, message);
    assert.deepEqual(await minutes('500'), before);
    // a body just under the limit still imports
    const fits = envelope(await post(port, [rows(10, 30), rows(40, 30)]));
    assert.equal(fits.data.accepted, 60);
    assert.equal((await minutes('500')).length, before.length + 60);
  });

  test('a client that goes away mid-body writes nothing; the server answers the next request', async () => {
    const before = await minutes('501');
    const rows = Buffer.from(Array.from({ length: 30 }, (_, i) => `501,cdn,${T0 + (100 + i) * MINUTE},77\n`).join(''));
    for (const chunked of [true, false]) {
      await post(port, [rows], { chunked, contentLength: rows.length + 100, abort: true });
      await sleep(50); // the server notices the closed socket
      assert.deepEqual(await minutes('501'), before);
    }
    const r = envelope(await post(port, [rows]));
    assert.equal(r.data.accepted, 30);
  });

  test('a JSON array of rows is still read whole, as the lines it stands for', async () => {
    const rows = [
      { channelId: '502', pullType: 'cdn', minute: T0 + 200 * MINUTE, ccv: 11 },
      { channelId: 502, pullType: 'cdn', minute: T0 + 201 * MINUTE },
    ];
    const r = envelope(await post(port, [Buffer.from(JSON.stringify(rows))], { type: 'application/json', chunked: false }));
    assert.deepEqual(r.data, { accepted: 1, rejected: [{ line: 2, reason: 'ccv is missing' }] });
    assert.ok((await minutes('502')).some((m) => m.minute === T0 + 200 * MINUTE && m.ccv === 11));
  });

  test('a body of white space only is refused by name', async () => {
    const r = await post(port, [Buffer.from('\r\n  \n'), Buffer.from('\n')]);
    assert.equal(r?.status, 400);
    assert.equal(envelope(r).message, 'param validate error: body must hold CSV or NDJSON rows channelId,pullType,minute,ccv');
  });
});
