import assert from 'node:assert/strict';
import { summary as summaryEndpoint } from '@live-ccv/client/contract';
import { after, before, describe, it } from 'node:test';
import { toCsv, wantsCsv } from '../src/http/csv.js';
import { fixture, type Fixture } from './helpers.js';
import { call, local, PATHS } from './family-helpers.js';

const TZ = 'Asia/Shanghai';
const SUMMARY = summaryEndpoint.path;

describe('CSV writer', () => {
  it('quotes only fields that need it and always writes the header', () => {
    assert.equal(toCsv([], { columns: ['a', 'b'] }), 'a,b\r\n');
    assert.equal(
      toCsv([{ a: 'x,y', b: 'say "hi"' }, { a: 1, b: null }, { a: 'line\nbreak' }], { columns: ['a', 'b'] }),
      'a,b\r\n"x,y","say ""hi"""\r\n1,\r\n"line\nbreak",\r\n',
    );
    assert.equal(toCsv(42, { scalar: 'viewers' }), 'viewers\r\n42\r\n');
  });

  it('chooses CSV by the format parameter first, then by Accept ranking', () => {
    assert.equal(wantsCsv('csv', 'application/json'), true);
    assert.equal(wantsCsv('JSON', 'text/csv'), false);
    assert.equal(wantsCsv(undefined, 'text/csv'), true);
    assert.equal(wantsCsv(undefined, 'application/json, text/csv'), false);
    assert.equal(wantsCsv(undefined, 'application/json;q=0.5, text/csv'), true);
    assert.equal(wantsCsv(undefined, 'text/csv;q=0, */*'), false);
    assert.equal(wantsCsv(undefined, '*/*'), false);
    assert.equal(wantsCsv(undefined, undefined), false);
    assert.throws(() => wantsCsv('xml', undefined), /param validate error: format must be json or csv, got xml/);
  });
});

describe('CSV answers of every signed endpoint', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture({ users: { u1: ['100'] } });
    await f.store.setChannelMinutes([
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 00:01', TZ), ccv: 9 },
      { channelId: '100', pullType: 'rtc', minute: local('2024-03-10 00:01', TZ), ccv: 1 },
    ]);
  });
  after(() => f.close());

  const csvHeaders = { accept: 'text/csv' };
  const day = { startDate: '2024-03-10', endDate: '2024-03-10' };

  it('summary', async () => {
    const res = await call(f, SUMMARY, { users: 'u1', start: '2024-03-10', end: '2024-03-10', format: 'csv' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    const statAt = local('2024-03-10 00:01', TZ) * 60_000;
    assert.equal(res.text, `statAt,peakCCV,pullType\r\n${statAt},9,cdn\r\n${statAt},1,rtc\r\n`);
    const empty = await call(f, SUMMARY, { users: 'u1', start: '2024-01-01', end: '2024-01-01' }, { headers: csvHeaders });
    assert.equal(empty.text, 'statAt,peakCCV,pullType\r\n');
  });

  it('channel and user concurrence: a row per minute', async () => {
    for (const [path, params] of [
      [PATHS.concurrence, { channelId: '100', ...day }],
      [PATHS.user, day],
      [PATHS.mc, { channelIds: '100', ...day }],
    ] as const) {
      const res = await call(f, path, params, { headers: csvHeaders });
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8', path);
      const lines = res.text.split('\r\n');
      assert.equal(lines.length, 1 + 1440 + 1, path);
      assert.deepEqual(lines.slice(0, 3), ['day,minute,viewers', '2024-03-10,00:00,0', '2024-03-10,00:01,10'], path);
      assert.equal(lines[1440], '2024-03-10,23:59,0');
    }
    const days = await call(f, PATHS.mc, { channelIds: '100', startDate: '2024-03-09', endDate: '2024-03-10', format: 'csv' });
    assert.equal(days.text, 'day,minute,viewers\r\n2024-03-09,00:00,0\r\n2024-03-10,00:00,10\r\n');
  });

  it('get-max-history-concurrent: one value', async () => {
    const startTime = String(local('2024-03-10 00:00', TZ) * 60_000);
    const endTime = String(local('2024-03-11 00:00', TZ) * 60_000);
    const res = await call(f, PATHS.maxHistory, { channelId: '100', startTime, endTime, format: 'csv' });
    assert.equal(res.text, 'viewers\r\n10\r\n');
  });

  it('realtime-concurrence: errors stay JSON envelopes', async () => {
    const res = await call(f, PATHS.realtime, { format: 'csv' });
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { code: 503, status: 'error', message: 'realtime unavailable', data: '' });
  });

  it('keeps errors as JSON and refuses an unknown format', async () => {
    const bad = await call(f, PATHS.concurrence, { channelId: 'x', ...day }, { headers: csvHeaders });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'param is not digit: x');
    const unknown = await call(f, PATHS.concurrence, { channelId: '100', ...day, format: 'xml' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.message, 'param validate error: format must be json or csv, got xml');
    const json = await call(f, PATHS.concurrence, { channelId: '100', ...day, format: 'json' }, { headers: csvHeaders });
    assert.equal((json.body.data as unknown[]).length, 1440);
  });
});
