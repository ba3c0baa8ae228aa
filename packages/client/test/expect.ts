/** What both runs of checks.ts must answer, asserted in Node against the server's own answers and signer. */
import assert from 'node:assert/strict';
import { sign as serverSign } from '../../../src/auth/sign.js';
import type { CheckEnv, CheckResults } from './checks.js';

export function expectChecks(r: CheckResults, env: CheckEnv, truth: { summary: unknown; accounts: unknown; apps: string[] }) {
  assert.deepEqual(
    r.signatures,
    env.vectors.map((v) => serverSign(v.params, v.secret, v.method)),
    'the package signs as the server does',
  );
  assert.deepEqual(r.summaryGet, truth.summary);
  assert.deepEqual(r.summaryPostSha256, truth.summary);
  assert.ok((truth.summary as unknown[]).length > 0, 'the known data has viewers');
  assert.deepEqual(
    r.curvePeaks,
    (truth.summary as { statAt: number; peakCCV: string; pullType: string }[]).map((s) => ({
      ...s,
      sharesSum: Number(s.peakCCV),
    })),
  );
  assert.deepEqual(r.sameCallTwice, [r.summaryGet.length, r.summaryGet.length]);
  assert.deepEqual(r.accounts, truth.accounts);
  const refusal = (code: number, httpStatus: number, errorCode: string, message: string) => ({
    isPolyvApiError: true,
    code,
    httpStatus,
    errorCode,
    message,
    hasRequestId: true,
  });
  assert.deepEqual(r.foreignUser, refusal(403, 403, 'CCV_ERR_ILLEGAL_USER', `illegal user id: ${env.foreignUser}`));
  assert.deepEqual(
    r.badDay,
    refusal(400, 400, 'CCV_ERR_PARAM', 'param validate error: start must be a date yyyy-MM-dd, got 2024-02-30'),
  );
  assert.deepEqual(r.wrongSecret, refusal(403, 403, 'CCV_ERR_INVALID_SIGNATURE', 'invalid signature.'));
  assert.ok(r.noAnswer !== 'succeeded');
  assert.deepEqual(
    { ...r.noAnswer, message: r.noAnswer.message.split(':')[0] },
    { isPolyvApiError: true, code: 0, httpStatus: 0, errorCode: undefined, message: 'request failed', hasRequestId: false },
  );
  assert.deepEqual(r.admin.listed, [...truth.apps, env.newAppId].sort());
  assert.deepEqual(r.admin.created, { appId: env.newAppId, enabled: true, secretLength: 32 });
  assert.deepEqual(
    { ...r.admin.got, createdAt: 0 },
    { appId: env.newAppId, name: 'from the checks', enabled: true, rateLimit: 50, createdAt: 0, hasIngestToken: false },
  );
  assert.equal(r.admin.rotatedWorks, env.newAppId);
  assert.deepEqual(r.admin.oldRefused, refusal(403, 403, 'CCV_ERR_INVALID_SIGNATURE', 'invalid signature.'));
  assert.deepEqual(r.admin.missing, refusal(404, 404, 'CCV_ERR_MISSING', 'application no-such-app not found'));
  assert.deepEqual(r.admin.wrongToken, refusal(401, 401, 'CCV_ERR_ADMIN_UNAUTHORIZED', 'invalid admin token.'));
  assert.equal(r.badOptions, 'baseUrl must be an absolute http(s) URL, got "not a url"');
}
