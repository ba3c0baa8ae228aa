/** The examples run as printed: the SDK script against a real server holding the sample data. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CcvImporter } from '../src/service/import-ccv.js';
import { fixture } from './helpers.js';

test('examples/sdk-summary.mjs prints the sample month peaks per pull type', async () => {
  const f = await fixture({ users: { demouser01: ['1000001'] } });
  try {
    const lines = fs.readFileSync('examples/ccv-sample.csv', 'utf8').split('\n');
    const imported = await new CcvImporter(f.store, f.config).importLines(lines);
    assert.equal(imported.rejected.length, 0);
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = f.app.server.address() as AddressInfo;
    const env = {
      ...process.env,
      LIVE_CCV_BASE_URL: `http://127.0.0.1:${port}`,
      LIVE_CCV_APP_ID: f.caller.appId,
      LIVE_CCV_APP_SECRET: f.caller.appSecret,
      // as a user runs it: plain node on the built package (npm install builds it), not the test run's sources
      NODE_OPTIONS: '',
    };
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['examples/sdk-summary.mjs'], { env }, (err, stdout, stderr) =>
        err ? reject(new Error(stderr)) : resolve(stdout),
      ),
    );
    assert.equal(out, 'cdn: 2888 viewers at 2021-08-17T02:14:00.000Z\nrtc: 436 viewers at 2021-08-18T12:31:00.000Z\n');
  } finally {
    await f.close();
  }
});
