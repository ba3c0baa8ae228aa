/**
 * Headless Chromium for the browser tests and the dashboard bench: Debian's `chromium` package (never a downloaded
 * browser) driven by playwright-core, with a fresh profile per launch, removed on close. A missing browser fails
 * loudly with the command that installs it (.ci/run installs it when missing).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.LIVE_CCV_CHROMIUM ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface Chromium {
  context: BrowserContext;
  /** a new tab of the given size; uncaught page errors and CSP violations are collected in `problems` */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  /** page errors, console errors and refused resources seen so far, for the tests to assert none */
  problems: string[];
  close(): Promise<void>;
}

export async function openChromium(): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package with apt-get install -y chromium`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    viewport: DESKTOP,
    acceptDownloads: true,
    timeout: 60_000,
  });
  const problems: string[] = [];
  // A persistent context opens with one blank tab; tests make their own.
  for (const p of context.pages()) await p.close();
  return {
    context,
    problems,
    async page(viewport = DESKTOP) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        // a refused API call (a wrong secret in a sign-in test) is logged by the browser; the tests check those answers
        if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
          problems.push(`console: ${m.text()}`);
        }
      });
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go: LIVE_CCV_SCREENSHOT_DIR (docs/img refreshes the docs' pictures), else test-output/. */
export function screenshotPath(name: string): string {
  const dir = path.resolve(process.env.LIVE_CCV_SCREENSHOT_DIR ?? path.join('test-output', 'screenshots'));
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
