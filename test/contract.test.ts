/**
 * The contract's facts that everything else derives from, pinned to POLYV's documentation and to docs/api.md: the
 * paths and methods of the signed family, the error table the docs print from the catalogue, and how a comma list splits.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { catalogue, signedEndpoints, splitList } from '@live-ccv/client/contract';
import fc from 'fast-check';
import { errorTable } from '../src/errors-table.js';

test("the signed family's paths and methods are POLYV's; live-ccv's own signed endpoints are under /live/ccv/", () => {
  const own = (e: { path: string }) => e.path.startsWith('/live/ccv/');
  assert.deepEqual(
    signedEndpoints.filter(own).map((e) => [e.name, e.path, e.methods.join(',')]),
    [
      ['summaryCurve', '/live/ccv/v1/summary/curve', 'GET,POST'],
      ['channelsCurve', '/live/ccv/v1/channels/curve', 'GET,POST'],
      ['accounts', '/live/ccv/v1/accounts', 'GET'],
      ['realtimeViewers', '/live/ccv/v1/realtime', 'GET'],
    ],
  );
  assert.deepEqual(
    signedEndpoints.filter((e) => !own(e)).map((e) => [e.name, e.path, e.methods.join(',')]),
    [
      ['summary', '/live/internal/v3/user/concurrent/yunduo/summary', 'GET,POST'],
      ['channelConcurrence', '/live/v3/channel/statistics/concurrence', 'GET'],
      ['channelMaxHistoryConcurrent', '/live/v3/channel/statistics/get-max-history-concurrent', 'GET'],
      ['channelsConcurrence', '/live/v3/channel/statistics/concurrence-mc', 'GET'],
      ['userConcurrence', '/live/v3/user/statistics/concurrence', 'GET'],
      ['userRealtimeConcurrence', '/live/v3/user/statistics/realtime-concurrence', 'GET'],
    ],
  );
});

test("POLYV's own messages are verbatim in the catalogue", () => {
  assert.equal(catalogue.appIdRequired.message(), 'appId is required.');
  assert.equal(catalogue.appNotFound.message(), 'application not found.');
  assert.equal(catalogue.invalidTimestamp.message(), 'invalid timestamp.');
  assert.equal(catalogue.invalidSignature.message(), 'invalid signature.');
  assert.equal(catalogue.rateLimited.message(), 'qps exceeds number of calls');
  assert.equal(catalogue.illegalUser.message('u1'), 'illegal user id: u1');
  assert.equal(catalogue.illegalChannel.message('7'), 'illegal channel id: 7');
  assert.equal(catalogue.notDigit.message('x'), 'param is not digit: x');
  assert.equal(catalogue.startDateAfterEndDate.message(), 'startDate can not great endDater');
  assert.match(catalogue.param.message('users is required'), /^param validate error: users is required$/);
});

test('every catalogue code is unique and stable-looking', () => {
  const codes = Object.values(catalogue).map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^CCV_ERR_[A-Z_]+$/);
});

test("docs/api.md's error table is the catalogue's", () => {
  const doc = fs.readFileSync('docs/api.md', 'utf8');
  assert.ok(doc.includes(errorTable()), `docs/api.md must contain:\n${errorTable()}`);
});

test('splitList keeps the items of a comma list in order, trimmed, without empties or duplicates', () => {
  const oracle = (text: string) => [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  // short and long lists (past the length where duplicates are looked for in a set), with blanks and repeats
  const items = fc.constantFrom('a', 'b', ' c', 'd ', '', ' ', 'e', '\tf', ...Array.from({ length: 24 }, (_, i) => `u${i}`));
  fc.assert(
    fc.property(fc.array(items, { maxLength: 60, size: 'max' }), (list) => {
      const text = list.join(',');
      assert.deepEqual(splitList(text), oracle(text));
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string(), (text) => assert.deepEqual(splitList(text), oracle(text))));
});
