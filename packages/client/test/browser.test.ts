/**
 * @live-ccv/client in headless Chromium (Debian's package through playwright-core) against a real live-ccv server:
 * the package is bundled for the browser from its sources with the checks of checks.ts, loaded into a page of the
 * server's origin, and held to the same answers as in Node (expect.ts): signatures equal the server's, signed and
 * admin calls work from the page, refusals are PolyvApiErrors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build, defaultClientConditions } from 'vite';
import { type Chromium, openChromium } from '../../../test/browser/chromium.js';
import type { CheckResults } from './checks.js';
import { expectChecks } from './expect.js';
import { checkServer } from './setup.js';

/** The checks and the package as one browser script (an IIFE defining globalThis.liveCcvChecks). */
async function bundle(): Promise<string> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-client-bundle-'));
  try {
    await build({
      configFile: false,
      logLevel: 'error',
      resolve: { conditions: ['live-ccv-source', ...defaultClientConditions] },
      build: {
        outDir,
        target: 'es2022',
        minify: false,
        lib: {
          entry: path.resolve(import.meta.dirname, 'browser-entry.ts'),
          formats: ['iife'],
          name: 'liveCcvChecks',
          fileName: () => 'checks.js',
        },
      },
    });
    return fs.readFileSync(path.join(outDir, 'checks.js'), 'utf8');
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

describe('@live-ccv/client in Chromium', () => {
  let setup: Awaited<ReturnType<typeof checkServer>>;
  let browser: Chromium;
  let script: string;
  before(async () => {
    // settled one by one, so a missing browser still leaves the server to close (the file would never end otherwise)
    const [s, b, c] = await Promise.allSettled([checkServer('from-chromium'), openChromium(), bundle()]);
    if (s.status === 'fulfilled') setup = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    for (const r of [s, b, c]) if (r.status === 'rejected') throw r.reason;
    if (c.status === 'fulfilled') script = c.value;
  });
  after(async () => {
    await browser?.close();
    await setup?.server.close();
  });

  it('bundles for the browser without any Node module', () => {
    assert.ok(script.length > 10_000);
    assert.doesNotMatch(script, /__vite-browser-external|from ['"]node:|require\(['"]node:/);
  });

  it('signs as the server does, calls signed and admin endpoints from a page, and reports refusals as PolyvApiError', async () => {
    const page = await browser.page();
    // a page of the server's own origin (the API answers same-origin calls), holding only the bundle
    const origin = setup.server.url;
    await page.route(`${origin}/client-checks.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>client checks</title>' }),
    );
    await page.goto(`${origin}/client-checks.html`);
    await page.addScriptTag({ content: script });
    const results = (await page.evaluate(
      (env) => (globalThis as unknown as { liveCcvChecks: { run(e: unknown): Promise<unknown> } }).liveCcvChecks.run(env),
      setup.env,
    )) as CheckResults;
    assert.equal(await page.evaluate<boolean>("navigator.userAgent.includes('HeadlessChrome')"), true);
    expectChecks(results, setup.env, setup.truth);
    assert.deepEqual(
      browser.problems.filter((p) => !p.includes('ERR_')),
      [],
    );
    await page.close();
  });
});
