/**
 * The client package's checks, written once and run in both environments it promises: in Node (node.test.ts) and
 * in headless Chromium (browser.test.ts, where this module is bundled with the package and called from a page).
 * They only use what the package does (fetch, crypto.getRandomValues, pure-JS hashes); the caller asserts on the
 * results with expect.ts, so both runs are held to the same answers.
 */
import type * as Client from '../src/index.js';

export interface CheckEnv {
  baseUrl: string;
  app: { appId: string; appSecret: string };
  adminToken: string;
  /** parameters to sign; their expected signatures come from the server's node:crypto signer */
  vectors: { params: Record<string, string>; secret: string; method: 'MD5' | 'SHA256' }[];
  users: string[];
  start: string;
  end: string;
  /** a user of another application */
  foreignUser: string;
  /** an id for the application the admin checks create (each environment its own) */
  newAppId: string;
}

export interface ErrorInfo {
  isPolyvApiError: boolean;
  code: number;
  httpStatus: number;
  errorCode: string | undefined;
  message: string;
  hasRequestId: boolean;
}

async function failure(work: () => Promise<unknown>, lib: typeof Client): Promise<ErrorInfo | 'succeeded'> {
  try {
    await work();
    return 'succeeded';
  } catch (e) {
    const p = e as InstanceType<typeof Client.PolyvApiError>;
    return {
      isPolyvApiError: e instanceof lib.PolyvApiError,
      code: p.code,
      httpStatus: p.httpStatus,
      errorCode: p.errorCode,
      message: p.message,
      hasRequestId: typeof p.requestId === 'string' && p.requestId.length > 0,
    };
  }
}

export async function runChecks(lib: typeof Client, env: CheckEnv) {
  const client = lib.createClient({ baseUrl: env.baseUrl, ...env.app, retries: 0 });
  const postSha = lib.createClient({ baseUrl: env.baseUrl, ...env.app, method: 'POST', signatureMethod: 'SHA256', retries: 0 });
  const wrong = lib.createClient({ baseUrl: env.baseUrl, appId: env.app.appId, appSecret: 'not-the-secret-000000', retries: 0 });
  const admin = lib.createAdminClient({ baseUrl: env.baseUrl, adminToken: env.adminToken });
  const range = { users: env.users, start: env.start, end: env.end };

  const created = await admin.createApp({ name: 'from the checks', appId: env.newAppId, rateLimit: 50 });
  const rotated = await admin.rotateSecret({ appId: env.newAppId });
  const newClient = lib.createClient({ baseUrl: env.baseUrl, appId: env.newAppId, appSecret: rotated.appSecret, retries: 0 });
  const oldClient = lib.createClient({ baseUrl: env.baseUrl, appId: env.newAppId, appSecret: created.appSecret, retries: 0 });

  return {
    signatures: env.vectors.map((v) => lib.sign(v.params, v.secret, v.method)),
    // the same call at once, twice: a fresh random nonce each (crypto.getRandomValues), so neither is a replay
    sameCallTwice: (await Promise.all([client.summary(range), client.summary(range)])).map((a) => a.length),
    summaryGet: await client.summary(range),
    summaryPostSha256: await postSha.summary({ ...range, users: env.users.join(',') }, { requestId: 'checks-1' }),
    curvePeaks: (await client.summaryCurve(range)).series.map(({ statAt, peakCCV, pullType, shares }) => ({
      statAt,
      peakCCV,
      pullType,
      sharesSum: shares.reduce((a, s) => a + s.viewers, 0),
    })),
    accounts: await client.accounts(),
    foreignUser: await failure(() => client.summary({ ...range, users: [env.foreignUser] }), lib),
    badDay: await failure(() => client.summary({ ...range, start: '2024-02-30' }), lib),
    wrongSecret: await failure(() => wrong.summary(range), lib),
    noAnswer: await failure(
      () => lib.createClient({ baseUrl: 'http://127.0.0.1:9', ...env.app, retries: 0, timeoutMs: 2000 }).summary(range),
      lib,
    ),
    admin: {
      listed: (await admin.listApps()).map((a) => a.appId).sort(),
      created: { appId: created.appId, enabled: created.enabled, secretLength: created.appSecret.length },
      got: await admin.getApp({ appId: env.newAppId }),
      rotatedWorks: (await newClient.accounts()).appId,
      oldRefused: await failure(() => oldClient.accounts(), lib),
      missing: await failure(() => admin.getApp({ appId: 'no-such-app' }), lib),
      wrongToken: await failure(() => lib.createAdminClient({ baseUrl: env.baseUrl, adminToken: 'wrong-token' }).listApps(), lib),
    },
    badOptions: (() => {
      try {
        lib.createClient({ baseUrl: 'not a url', ...env.app });
        return 'accepted';
      } catch (e) {
        return e instanceof TypeError ? e.message : 'not a TypeError';
      }
    })(),
  };
}

export type CheckResults = Awaited<ReturnType<typeof runChecks>>;
