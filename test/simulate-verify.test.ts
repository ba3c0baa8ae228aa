/** verify against a real listening app on a real SQLite file: equal numbers pass, any difference is listed. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateTraffic } from '../src/sim/traffic.js';
import { TruthCounter, type TruthRow } from '../src/sim/truth.js';
import { serverRows, verifyOnce } from '../src/sim/verify.js';
import { fixture, type Fixture } from './helpers.js';

const T0 = Date.UTC(2024, 4, 1, 15, 58, 0); // crosses local midnight in Asia/Shanghai
let f: Fixture;
let baseUrl: string;
let truth: TruthRow[];

before(async () => {
  f = await fixture({ users: { u1: ['2000001', '2000002'] }, config: { adminToken: 'admin-token-0001' } });
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  const address = f.app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const { beats } = generateTraffic({
    seed: 3,
    channels: ['2000001', '2000002'],
    viewers: 20,
    start: T0,
    end: T0 + 4 * 60_000,
    intervalMs: 10_000,
    watchMeanMs: 90_000,
    pullTypes: ['cdn', 'rtc'],
    switchProbability: 0.05,
    duplicateProbability: 0.05,
    lateFraction: 0,
    lateMinute: T0 - 600_000,
    spikeFactor: 3,
    timeZone: 'Asia/Shanghai',
  });
  const counter = new TruthCounter();
  for (const b of beats) counter.add(b);
  truth = counter.rows();
  // what a correct server stores for that traffic
  await f.store.setChannelMinutes(
    truth.map((r) => ({ channelId: r.channelId, pullType: r.pullType, minute: r.minuteMs / 60_000, ccv: r.ccv })),
  );
});
after(() => f.close());

test('a server holding exactly the truth verifies, across a local day boundary', async () => {
  const result = await verifyOnce(truth, { baseUrl, adminToken: 'admin-token-0001' });
  assert.deepEqual(result.mismatches, []);
  assert.equal(result.matched, truth.filter((r) => r.ccv > 0).length);
});

test('a changed, missing or extra minute is reported as a mismatch', async () => {
  const [first, second] = truth;
  assert.ok(first && second);
  const altered = [{ ...first, ccv: first.ccv + 1 }, ...truth.slice(2), { ...second, pullType: 'p2p' }];
  const result = await verifyOnce(altered, { baseUrl, adminToken: 'admin-token-0001' });
  const cells = result.mismatches.map((m) => [m.pullType, m.minuteMs, m.expected, m.actual]);
  assert.deepEqual(
    cells.sort(),
    [
      [first.pullType, first.minuteMs, first.ccv + 1, first.ccv],
      [second.pullType, second.minuteMs, 0, second.ccv],
      ['p2p', second.minuteMs, second.ccv, 0],
    ].sort(),
  );
});

test('server rows outside the minutes the truth covers are not compared', async () => {
  const onlyLast = truth.filter((r) => r.channelId === '2000001' && r.minuteMs === Math.max(...truth.map((t) => t.minuteMs)));
  const rows = await serverRows(onlyLast, { baseUrl, adminToken: 'admin-token-0001' });
  assert.ok(rows.every((r) => r.minuteMs === onlyLast[0]!.minuteMs && r.channelId === '2000001'));
});

test('a wrong admin token or an unknown channel is one clear error', async () => {
  await assert.rejects(verifyOnce(truth, { baseUrl, adminToken: 'nope' }), /HTTP 401: invalid admin token/);
  await assert.rejects(
    verifyOnce([{ channelId: '9999', pullType: 'cdn', minuteMs: T0, ccv: 1 }], { baseUrl, adminToken: 'admin-token-0001' }),
    /HTTP 404: channel 9999 not found/,
  );
  await assert.rejects(
    verifyOnce(truth, { baseUrl: 'http://127.0.0.1:1', adminToken: 'x' }),
    /cannot reach http:\/\/127.0.0.1:1/,
  );
});
