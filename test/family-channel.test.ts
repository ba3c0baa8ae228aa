import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, type Fixture } from './helpers.js';
import { call, local, PATHS } from './family-helpers.js';

const TZ = 'Asia/Shanghai';
type Point = { day: string; minute: string; viewers: number };

describe('channel concurrence and get-max-history-concurrent', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] } });
    const other = await f.tenancy.createApp({ name: 'other', appId: 'otherapp' });
    await f.tenancy.addUser(other.appId, 'o1');
    await f.tenancy.addChannel('o1', '900');
    await f.store.setChannelMinutes([
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-09 23:59', TZ), ccv: 5 },
      { channelId: '100', pullType: 'rtc', minute: local('2024-03-09 23:59', TZ), ccv: 2 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 00:00', TZ), ccv: 7 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 00:01', TZ), ccv: 9 },
      { channelId: '101', pullType: 'cdn', minute: local('2024-03-10 00:00', TZ), ccv: 3 },
      { channelId: '900', pullType: 'cdn', minute: local('2024-03-10 00:00', TZ), ccv: 50 },
    ]);
  });
  after(() => f.close());

  const concurrence = (params: Record<string, string>) =>
    call(f, PATHS.concurrence, { channelId: '100', startDate: '2024-03-10', endDate: '2024-03-10', ...params });

  it('answers every minute of the local day, zeros included, all pull types together', async () => {
    const { status, body } = await concurrence({});
    assert.equal(status, 200);
    const data = body.data as Point[];
    assert.equal(data.length, 1440);
    assert.deepEqual(data[0], { day: '2024-03-10', minute: '00:00', viewers: 7 });
    assert.deepEqual(data[1], { day: '2024-03-10', minute: '00:01', viewers: 9 });
    assert.deepEqual(data[2], { day: '2024-03-10', minute: '00:02', viewers: 0 });
    assert.deepEqual(data[1439], { day: '2024-03-10', minute: '23:59', viewers: 0 });
  });

  it('keeps local 23:59 and 00:00 on their own days across a day boundary', async () => {
    const data = (await concurrence({ startDate: '2024-03-09' })).body.data as Point[];
    assert.equal(data.length, 2880);
    assert.deepEqual(data[1439], { day: '2024-03-09', minute: '23:59', viewers: 7 });
    assert.deepEqual(data[1440], { day: '2024-03-10', minute: '00:00', viewers: 7 });
    assert.equal(
      data.reduce((s, p) => s + p.viewers, 0),
      7 + 7 + 9,
    );
  });

  it('narrows to one pull type', async () => {
    const data = (await concurrence({ startDate: '2024-03-09', pullType: 'rtc' })).body.data as Point[];
    assert.equal(data[1439]!.viewers, 2);
    assert.equal(data[1440]!.viewers, 0);
  });

  it('accepts 62 days and refuses 63', async () => {
    const ok = await concurrence({ startDate: '2024-07-01', endDate: '2024-08-31' });
    assert.equal(ok.status, 200);
    assert.equal((ok.body.data as Point[]).length, 62 * 1440);
    const over = await concurrence({ startDate: '2024-07-01', endDate: '2024-09-01' });
    assert.equal(over.status, 400);
    assert.match(over.body.message, /^param validate error: .*63 days.*62/);
  });

  it('refuses bad parameters with the catalogue messages', async () => {
    const cases: [Record<string, string>, number, string | RegExp][] = [
      [{ channelId: '' }, 400, 'param validate error: channelId is required'],
      [{ channelId: 'abc' }, 400, 'param is not digit: abc'],
      [{ channelId: '900' }, 403, 'illegal channel id: 900'],
      [{ channelId: '12345' }, 403, 'illegal channel id: 12345'],
      [{ startDate: '2024-02-30' }, 400, 'param validate error: startDate must be a date yyyy-MM-dd, got 2024-02-30'],
      [{ endDate: '' }, 400, 'param validate error: endDate is required'],
      [{ startDate: '2024-03-11' }, 400, 'param validate error: startDate is after endDate'],
      [{ pullType: 'hls' }, 400, 'param validate error: pullType must be one of cdn, rtc, p2p, got hls'],
    ];
    for (const [params, code, message] of cases) {
      const { status, body } = await concurrence(params);
      assert.equal(status, code, JSON.stringify(params));
      assert.deepEqual({ code: body.code, status: body.status, data: body.data }, { code, status: 'error', data: '' });
      if (typeof message === 'string') assert.equal(body.message, message);
    }
  });

  const maxHistory = (params: Record<string, string>) => call(f, PATHS.maxHistory, { channelId: '100', ...params });
  const ms = (text: string) => String(local(text, TZ) * 60_000);

  it('answers the peak minute over [startTime, endTime), a partly covered minute counting', async () => {
    const peak = async (startTime: string, endTime: string, extra: Record<string, string> = {}) => {
      const { status, body } = await maxHistory({ startTime, endTime, ...extra });
      assert.equal(status, 200, body.message);
      return body.data;
    };
    assert.equal(await peak(ms('2024-03-09 00:00'), ms('2024-03-11 00:00')), 9);
    assert.equal(await peak(ms('2024-03-09 23:58'), ms('2024-03-10 00:01')), 7);
    assert.equal(await peak(ms('2024-03-09 23:58'), String(Number(ms('2024-03-10 00:01')) + 1)), 9);
    assert.equal(await peak(String(Number(ms('2024-03-10 00:01')) + 59_999), ms('2024-03-10 00:03')), 9);
    assert.equal(await peak(ms('2024-03-09 00:00'), ms('2024-03-11 00:00'), { pullType: 'rtc' }), 2);
    assert.equal(await peak(ms('2024-03-10 00:01'), ms('2024-03-10 00:01')), 0);
    // an empty window inside a minute with viewers covers no time, so no minute
    const inside = String(Number(ms('2024-03-10 00:01')) + 30_000);
    assert.equal(await peak(inside, inside), 0);
    assert.equal(await peak(ms('2024-05-01 00:00'), ms('2024-05-02 00:00')), 0);
  });

  it('refuses bad get-max-history-concurrent parameters', async () => {
    const start = ms('2024-03-01 00:00');
    const days = (n: number) => String(Number(start) + n * 86_400_000);
    const cases: [Record<string, string>, number, string][] = [
      [{ startTime: start, endTime: days(1), channelId: 'x1' }, 400, 'param is not digit: x1'],
      [{ startTime: start, endTime: days(1), channelId: '900' }, 403, 'illegal channel id: 900'],
      [{ endTime: days(1) }, 400, 'param validate error: startTime is required'],
      [
        { startTime: '2024-03-01', endTime: days(1) },
        400,
        'param validate error: startTime must be epoch milliseconds, got 2024-03-01',
      ],
      [{ startTime: days(1), endTime: start }, 400, 'param validate error: startTime is after endTime'],
      [
        { startTime: start, endTime: String(Number(days(92)) + 1) },
        400,
        'param validate error: the span from startTime to endTime is over 3 months (7948800000 ms)',
      ],
      [
        { startTime: start, endTime: days(1), pullType: 'x' },
        400,
        'param validate error: pullType must be one of cdn, rtc, p2p, got x',
      ],
    ];
    for (const [params, code, message] of cases) {
      const { status, body } = await maxHistory(params);
      assert.equal(status, code, JSON.stringify(params));
      assert.equal(body.message, message);
    }
    assert.equal((await maxHistory({ startTime: start, endTime: days(92) })).status, 200);
  });
});

describe('channel concurrence in a zone with DST (America/New_York)', () => {
  const NY = 'America/New_York';
  let f: Fixture;
  before(async () => {
    f = await fixture({ users: { u1: ['100'] }, config: { timeZone: NY } });
    await f.store.setChannelMinutes([
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 01:59', NY), ccv: 4 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 03:00', NY), ccv: 6 },
      // 2024-11-03 01:30 happens twice; 05:30Z is the first (EDT), 06:30Z the second (EST)
      { channelId: '100', pullType: 'cdn', minute: Date.UTC(2024, 10, 3, 6, 30) / 60_000, ccv: 8 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-11-03 23:59', NY), ccv: 1 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-11-04 00:00', NY), ccv: 2 },
    ]);
  });
  after(() => f.close());

  const day = async (d: string, end = d) =>
    (await call(f, PATHS.concurrence, { channelId: '100', startDate: d, endDate: end })).body.data as Point[];

  it('answers 1380 minutes on the spring-forward day, 02:xx skipped', async () => {
    const data = await day('2024-03-10');
    assert.equal(data.length, 1380);
    assert.ok(!data.some((p) => p.minute.startsWith('02:')));
    assert.deepEqual(data[119], { day: '2024-03-10', minute: '01:59', viewers: 4 });
    assert.deepEqual(data[120], { day: '2024-03-10', minute: '03:00', viewers: 6 });
    assert.deepEqual(data[1379], { day: '2024-03-10', minute: '23:59', viewers: 0 });
  });

  it('answers 1500 minutes on the fall-back day, 01:xx twice in time order', async () => {
    const data = await day('2024-11-03', '2024-11-04');
    assert.equal(data.length, 1500 + 1440);
    const twice = data.filter((p) => p.day === '2024-11-03' && p.minute === '01:30');
    assert.deepEqual(
      twice.map((p) => p.viewers),
      [0, 8],
    );
    assert.deepEqual(data[1499], { day: '2024-11-03', minute: '23:59', viewers: 1 });
    assert.deepEqual(data[1500], { day: '2024-11-04', minute: '00:00', viewers: 2 });
  });
});
