/** A real live-ccv server with known data for the package's checks, and the environment they run with. */
import fc from 'fast-check';
import { ACME, ACME_USERS, OTHER, OTHER_USERS, seedMinutes, seedTenants } from '../../../test/browser/seed.js';
import { ADMIN_TOKEN, browserServer } from '../../../test/browser/server.js';
import { localToEpochMs, MINUTE_MS } from '../../../src/domain/calendar.js';
import { createClient } from '../src/index.js';
import type { CheckEnv } from './checks.js';

const value = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ' ', '\u00a0', '-', '_', '中', '😀', '=', '&', '%'),
  maxLength: 12,
});

export async function checkServer(newAppId: string) {
  const server = await browserServer({ dashboard: false });
  await seedTenants(server.store);
  const from = localToEpochMs({ y: 2024, m: 3, d: 10 }, server.config.timeZone) / MINUTE_MS;
  await seedMinutes(server.store, from, 1440);
  const vectors = fc.sample(
    fc.record({
      params: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), value, { maxKeys: 6 }),
      secret: fc.stringMatching(/^[\x21-\x7e]{16,40}$/),
      method: fc.constantFrom('MD5' as const, 'SHA256' as const),
    }),
    { numRuns: 40, seed: 12 },
  );
  // POLYV's published vector, first
  vectors.unshift({
    params: {
      appId: 'g4rqgmmjuo',
      channelIds: '2477096,2272655',
      startDay: '2022-05-20',
      endDay: '2022-06-18',
      timestamp: '1660270926732',
      page: '',
      size: '',
    },
    secret: 'fsq2k5weced1h8vui657xtdva66whf0g',
    method: 'MD5',
  });
  const env: CheckEnv = {
    baseUrl: server.url,
    app: { appId: ACME.appId, appSecret: ACME.appSecret },
    adminToken: ADMIN_TOKEN,
    vectors,
    users: Object.keys(ACME_USERS),
    start: '2024-03-10',
    end: '2024-03-10',
    foreignUser: Object.keys(OTHER_USERS)[0]!,
    newAppId,
  };
  const acme = createClient({ baseUrl: server.url, ...env.app });
  const truth = {
    summary: await acme.summary({ users: env.users, start: env.start, end: env.end }),
    accounts: {
      appId: ACME.appId,
      name: ACME.name,
      users: Object.entries(ACME_USERS).map(([userId, channels]) => ({ userId, channels })),
    },
    apps: [ACME.appId, OTHER.appId],
  };
  return { server, env, truth };
}
