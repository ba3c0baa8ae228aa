// The simultaneous peak of some users over a month, with the client SDK (`live-ccv/client`, also published alone
// as @live-ccv/client). Against the demo app after `npx live-ccv import ccv examples/ccv-sample.csv`:
//
//   LIVE_CCV_APP_ID=<appId> LIVE_CCV_APP_SECRET=<appSecret> node examples/sdk-summary.mjs
//
// Settings: LIVE_CCV_BASE_URL (default http://127.0.0.1:8080), LIVE_CCV_APP_ID, LIVE_CCV_APP_SECRET,
// USERS (default demouser01), START and END (default 2021-08-01 and 2021-08-31, the sample's month).
import { createClient, PolyvApiError } from 'live-ccv/client';

const env = process.env;
const polyv = createClient({
  baseUrl: env.LIVE_CCV_BASE_URL ?? 'http://127.0.0.1:8080',
  appId: env.LIVE_CCV_APP_ID ?? '',
  appSecret: env.LIVE_CCV_APP_SECRET ?? '',
});

try {
  const peaks = await polyv.summary({
    users: (env.USERS ?? 'demouser01').split(','),
    start: env.START ?? '2021-08-01',
    end: env.END ?? '2021-08-31',
  });
  if (peaks.length === 0) console.log('nobody watched in that range');
  for (const p of peaks) console.log(`${p.pullType}: ${p.peakCCV} viewers at ${new Date(p.statAt).toISOString()}`);
} catch (e) {
  if (!(e instanceof PolyvApiError)) throw e;
  console.error(`the server refused: ${e.message} (code ${e.code}${e.errorCode ? `, ${e.errorCode}` : ''})`);
  process.exitCode = 1;
}
