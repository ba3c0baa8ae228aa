import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sign as sdkSign } from '@live-ccv/client';
import { canonicalString } from '@live-ccv/client/contract';
import fc from 'fast-check';
import { sign, signatureMatches } from '../src/auth/sign.js';

const vector = {
  secret: 'fsq2k5weced1h8vui657xtdva66whf0g',
  params: {
    appId: 'g4rqgmmjuo',
    channelIds: '2477096,2272655',
    startDay: '2022-05-20',
    endDay: '2022-06-18',
    timestamp: '1660270926732',
    page: null,
    size: null,
  },
};

test("POLYV's official test vector: canonical string and MD5 sign", () => {
  assert.equal(
    canonicalString(vector.params, vector.secret),
    'fsq2k5weced1h8vui657xtdva66whf0gappIdg4rqgmmjuochannelIds2477096,2272655endDay2022-06-18startDay2022-05-20timestamp1660270926732fsq2k5weced1h8vui657xtdva66whf0g',
  );
  assert.equal(sign(vector.params, vector.secret), '0D2BDA2FD04D93A2B8832B91FD973C4D');
});

test('empty values and sign itself are left out of the signature', () => {
  const base = { appId: 'a', timestamp: '1' };
  const s = sign(base, 'k');
  assert.equal(sign({ ...base, empty: '', undef: undefined, sign: 'XYZ' }, 'k'), s);
});

test("whitespace-only values are left out, as POLYV's Java signer (isBlank) does; no-break spaces are not blank", () => {
  const base = { appId: 'a', timestamp: '1' };
  assert.equal(sign({ ...base, blank: ' \t\n', ideographic: '\u3000' }, 'k'), sign(base, 'k'));
  assert.notEqual(sign({ ...base, nbsp: '\u00a0' }, 'k'), sign(base, 'k'));
  // a value with text around spaces is signed raw, spaces included
  assert.equal(canonicalString({ q: ' x ' }, 'S'), 'Sq x S');
});

test('the SDK (pure-JS hashes, also in browsers) and the server (node:crypto) sign alike', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.constant(' '), fc.integer())),
      fc.string({ minLength: 1 }),
      fc.constantFrom<'MD5' | 'SHA256'>('MD5', 'SHA256'),
      (params, secret, method) => sdkSign(params, secret, method) === sign(params, secret, method),
    ),
    { numRuns: 300 },
  );
});

test('SHA256 is chosen by signatureMethod, which is itself signed', () => {
  const p = { appId: 'a', timestamp: '1', signatureMethod: 'SHA256' };
  const s = sign(p, 'k');
  assert.equal(s.length, 64);
  assert.equal(s, s.toUpperCase());
  assert.notEqual(s, sign({ ...p, signatureMethod: undefined }, 'k', 'SHA256'));
});

test('parameters are sorted by ASCII, upper case before lower case', () => {
  assert.equal(canonicalString({ b: '2', B: '1', a: '3' }, 'S'), 'SB1a3b2S');
});

test('signature comparison ignores hex case and refuses other lengths', () => {
  assert.ok(signatureMatches('0d2bda2fd04d93a2b8832b91fd973c4d', '0D2BDA2FD04D93A2B8832B91FD973C4D'));
  assert.ok(!signatureMatches('0D2B', '0D2BDA2FD04D93A2B8832B91FD973C4D'));
  assert.ok(!signatureMatches('1D2BDA2FD04D93A2B8832B91FD973C4D', '0D2BDA2FD04D93A2B8832B91FD973C4D'));
});
