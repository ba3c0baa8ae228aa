import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, type Fixture } from './helpers.js';
import { call, local, PATHS } from './family-helpers.js';

const TZ = 'Asia/Shanghai';
type Point = { day: string; minute: string; viewers: number };

describe('concurrence-mc, user concurrence and realtime-concurrence', () => {
  let f: Fixture;
  const solo = { appId: 'soloapp', appSecret: 'solo-secret-solo-secret-01' };
  before(async () => {
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] } });
    await f.tenancy.createApp({ name: 'solo', ...solo });
    await f.tenancy.addUser(solo.appId, 's1');
    await f.tenancy.addChannel('s1', '300');
    await f.tenancy.createApp({ name: 'empty', appId: 'emptyapp', appSecret: 'empty-secret-empty-secret' });
    await f.store.setChannelMinutes([
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-09 23:59', TZ), ccv: 5 },
      { channelId: '100', pullType: 'rtc', minute: local('2024-03-09 23:59', TZ), ccv: 2 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 00:00', TZ), ccv: 7 },
      { channelId: '101', pullType: 'cdn', minute: local('2024-03-10 00:00', TZ), ccv: 3 },
      { channelId: '100', pullType: 'cdn', minute: local('2024-03-10 00:01', TZ), ccv: 9 },
      { channelId: '200', pullType: 'p2p', minute: local('2024-03-10 00:01', TZ), ccv: 4 },
      { channelId: '300', pullType: 'cdn', minute: local('2024-03-10 12:00', TZ), ccv: 11 },
    ]);
  });
  after(() => f.close());

  const mc = (params: Record<string, string>) =>
    call(f, PATHS.mc, { channelIds: '100,101,200', startDate: '2024-03-10', endDate: '2024-03-10', ...params });

  it('sums the channels minute by minute within a single day', async () => {
    const data = (await mc({})).body.data as Point[];
    assert.equal(data.length, 1440);
    assert.deepEqual(data.slice(0, 3), [
      { day: '2024-03-10', minute: '00:00', viewers: 10 },
      { day: '2024-03-10', minute: '00:01', viewers: 13 },
      { day: '2024-03-10', minute: '00:02', viewers: 0 },
    ]);
    const cdn = (await mc({ pullType: 'cdn', channelIds: '100 , 200' })).body.data as Point[];
    assert.equal(cdn[1]!.viewers, 9);
  });

  it("answers one point per day, that day's peak at 00:00, over several days", async () => {
    const { body } = await mc({ startDate: '2024-03-09', endDate: '2024-03-11' });
    assert.deepEqual(body.data, [
      { day: '2024-03-09', minute: '00:00', viewers: 7 },
      { day: '2024-03-10', minute: '00:00', viewers: 13 },
      { day: '2024-03-11', minute: '00:00', viewers: 0 },
    ]);
    assert.equal(((await mc({ startDate: '2024-03-01', endDate: '2024-03-31' })).body.data as Point[]).length, 31);
  });

  it('refuses bad concurrence-mc parameters with POLYV messages', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ startDate: '2024-03-11' }, 400, 'startDate can not great endDater'],
      [
        { startDate: '2024-03-01', endDate: '2024-04-01' },
        400,
        'param validate error: the range spans 32 days, at most 31 are allowed',
      ],
      [{ channelIds: '100,abc' }, 400, 'param is not digit: abc'],
      [{ channelIds: ' , ' }, 400, 'param validate error: channelIds is required'],
      [{ channelIds: '' }, 400, 'param validate error: channelIds is required'],
      [{ channelIds: '100,300' }, 403, 'illegal channel id: 300'],
      [{ startDate: '20240310' }, 400, 'param validate error: startDate must be a date yyyy-MM-dd, got 20240310'],
      [{ pullType: 'CDN' }, 400, 'param validate error: pullType must be one of cdn, rtc, p2p, got CDN'],
    ];
    for (const [params, code, message] of cases) {
      const { status, body } = await mc(params);
      assert.equal(status, code, JSON.stringify(params));
      assert.equal(body.message, message);
    }
  });

  const user = (params: Record<string, string>, caller?: typeof solo) =>
    call(f, PATHS.user, { startDate: '2024-03-09', endDate: '2024-03-10', ...params }, { caller });

  it("sums the user's channels every minute", async () => {
    const data = (await user({ userId: 'u1' })).body.data as Point[];
    assert.equal(data.length, 2880);
    assert.deepEqual(data.slice(1439, 1442), [
      { day: '2024-03-09', minute: '23:59', viewers: 7 },
      { day: '2024-03-10', minute: '00:00', viewers: 10 },
      { day: '2024-03-10', minute: '00:01', viewers: 9 },
    ]);
    const rtc = (await user({ userId: 'u1', pullType: 'rtc' })).body.data as Point[];
    assert.equal(rtc[1439]!.viewers, 2);
    assert.equal(
      rtc.reduce((s, p) => s + p.viewers, 0),
      2,
    );
  });

  it('implies the user of an application that owns one', async () => {
    const data = (await user({ startDate: '2024-03-10' }, solo)).body.data as Point[];
    assert.deepEqual(data[720], { day: '2024-03-10', minute: '12:00', viewers: 11 });
  });

  it('refuses bad user concurrence parameters', async () => {
    const empty = { appId: 'emptyapp', appSecret: 'empty-secret-empty-secret' };
    const cases: [Record<string, string>, number, string, typeof solo?][] = [
      [{}, 400, 'param validate error: userId is required when the application owns several users (it owns 2)'],
      [{}, 400, 'param validate error: userId is required (the application owns no users)', empty],
      [{ userId: 's1' }, 403, 'illegal user id: s1'],
      [{ userId: 'nobody' }, 403, 'illegal user id: nobody'],
      [{ userId: 'u1' }, 403, 'illegal user id: u1', solo],
      [{ userId: 'a b' }, 400, 'param validate error: userId must be 1-64 letters, digits, _ or -, got a b'],
      [{ userId: 'u1', endDate: '2024-05-11' }, 400, 'param validate error: the range spans 64 days, at most 62 are allowed'],
      [{ userId: 'u1', startDate: '2024-03-11' }, 400, 'param validate error: startDate is after endDate'],
      [{ userId: 'u1', pullType: 'flv' }, 400, 'param validate error: pullType must be one of cdn, rtc, p2p, got flv'],
    ];
    for (const [params, code, message, caller] of cases) {
      const { status, body } = await user(params, caller);
      assert.equal(status, code, JSON.stringify(params));
      assert.equal(body.message, message);
    }
  });

  it('realtime-concurrence checks its parameters, then answers 503 without a realtime source', async () => {
    const realtime = (params: Record<string, string>, caller?: typeof solo) => call(f, PATHS.realtime, params, { caller });
    assert.equal(
      (await realtime({})).body.message,
      'param validate error: userId is required when the application owns several users (it owns 2)',
    );
    assert.equal((await realtime({ userId: 's1' })).body.message, 'illegal user id: s1');
    assert.equal(
      (await realtime({ userId: 'u1', pullType: 'x' })).body.message,
      'param validate error: pullType must be one of cdn, rtc, p2p, got x',
    );
    const { status, body } = await realtime({}, solo);
    assert.equal(status, 503);
    assert.deepEqual(body, { code: 503, status: 'error', message: 'realtime unavailable', data: '' });
  });
});
