/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real live-ccv server with
 * known data: both ways of signing in, the peak shown equal to the summary API's answer, zoom down to single
 * minutes, shares, channel and user curves equal to concurrence and concurrence-mc, live viewers with the freshness
 * lag, management through the admin API, CSV downloads, a partner confined to its application and its secret kept in
 * the tab, keyboard use, labelled controls, and 1280 px and 390 px layouts. Screenshots are saved as test output
 * (LIVE_CCV_SCREENSHOT_DIR=docs/img refreshes the docs' pictures).
 */
import { createAdminClient, createClient, PolyvApiError, type PolyvClient } from '@live-ccv/client';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Config } from '../src/config/config.js';
import { labelMinute, localToEpochMs, MINUTE_MS } from '../src/domain/calendar.js';
import type { RunningServer } from '../src/server.js';
import { type Chromium, openChromium, PHONE, screenshotPath } from './browser/chromium.js';
import { ACME, ACME_USERS, OTHER, seedMinutes, seedTenants } from './browser/seed.js';
import { ADMIN_TOKEN, browserServer } from './browser/server.js';

const START = '2024-03-10';
const END = '2024-03-12';

let server: RunningServer & { config: Config };
let browser: Chromium;
let acme: PolyvClient;

const localLabel = (ms: number, zone: string) => {
  const l = labelMinute(ms / MINUTE_MS, zone);
  return `${l.day} ${l.minute}`;
};

async function signInOperator(page: Page): Promise<void> {
  await page.goto(`${server.url}/dashboard`);
  await page.getByRole('radio', { name: /Operator/ }).check();
  await page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'views' }).waitFor();
}

async function signInPartner(page: Page, app: { appId: string; appSecret: string }): Promise<void> {
  await page.goto(`${server.url}/dashboard`);
  await page.getByRole('radio', { name: /Partner/ }).check();
  await page.getByLabel('App ID').fill(app.appId);
  await page.getByLabel('App secret').fill(app.appSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function setRange(page: Page, start: string, end: string): Promise<void> {
  await page.getByLabel('From', { exact: true }).fill(start);
  await page.getByLabel('To', { exact: true }).fill(end);
}

async function downloaded(page: Page, button: string): Promise<string[][]> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const text = fs.readFileSync((await file.path())!, 'utf8');
  assert.ok(text.endsWith('\r\n'), 'CSV lines end with CRLF');
  return text
    .trimEnd()
    .split('\r\n')
    .map((l) => l.split(','));
}

/**
 * Controls without an accessible name, and how far the page scrolls sideways. Evaluated as page source: this file is
 * type-checked without the DOM library, and the test runner's transform would wrap named helpers in a function the
 * page lacks.
 */
const LAYOUT_PROBLEMS = `(() => {
  const unlabelled = [...document.querySelectorAll('input, select, textarea, button, a[href], [tabindex]')]
    .filter((el) => el.getClientRects().length > 0)
    .filter((el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
      if (el.labels && el.labels.length > 0) return false;
      return !(el.tagName === 'BUTTON' || el.tagName === 'A') || !el.textContent.trim();
    })
    .map((el) => el.outerHTML.slice(0, 120));
  return { unlabelled, overflow: document.documentElement.scrollWidth - window.innerWidth };
})()`;
const layoutProblems = (page: Page) => page.evaluate<{ unlabelled: string[]; overflow: number }>(LAYOUT_PROBLEMS);

/** The data-* attributes of every element the locator finds. */
const datasets = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els): Record<string, string>[] =>
    els.map((e) =>
      Object.fromEntries(
        e
          .getAttributeNames()
          .filter((n: string) => n.startsWith('data-'))
          .map((n: string) => [n.slice(5), String(e.getAttribute(n))]),
      ),
    ),
  );

describe('dashboard in Chromium', () => {
  before(async () => {
    server = await browserServer();
    await seedTenants(server.store);
    const from = localToEpochMs({ y: 2024, m: 3, d: 10 }, server.config.timeZone) / MINUTE_MS;
    await seedMinutes(server.store, from, 3 * 1440);
    browser = await openChromium();
    acme = createClient({ baseUrl: server.url, ...ACME });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the page with a strict policy, compressed hashed assets and the settings', async () => {
    const page = await fetch(`${server.url}/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'.*connect-src 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    const script = /src="\/dashboard\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page loads its script from /dashboard/assets/');
    const br = await fetch(`${server.url}/dashboard/assets/${script}`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(br.status, 200);
    assert.equal(br.headers.get('content-encoding'), 'br');
    assert.match(br.headers.get('cache-control') ?? '', /immutable/);
    assert.match(br.headers.get('content-type') ?? '', /javascript/);
    const missing = await fetch(`${server.url}/dashboard/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { message: string }).message, 'not found: GET /dashboard/assets/nope.js');
    const settings = (await (await fetch(`${server.url}/dashboard/settings`)).json()) as { data: Record<string, unknown> };
    assert.deepEqual(settings.data.pullTypes, ['cdn', 'rtc', 'p2p']);
    assert.equal(settings.data.timeZone, 'Asia/Shanghai');
    assert.equal(settings.data.adminApi, true);
  });

  it('signs an operator in with the keyboard alone', async () => {
    const page = await browser.page();
    await page.goto(`${server.url}/dashboard`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.screenshot({ path: screenshotPath('sign-in') });
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate<boolean>("document.activeElement?.id === 'token'")) break;
    }
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'views' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Manage' }).count(), 1);
    // the token stays in the tab's session only
    assert.equal(await page.evaluate<number>('localStorage.length'), 0);
    await page.close();
  });

  it('shows the peak across accounts equal to the summary API, zoomable to single minutes, with each share', async () => {
    const page = await browser.page();
    await signInOperator(page);
    await page.getByLabel('Application').selectOption(ACME.appId);
    await page.getByRole('checkbox', { name: 'alpha' }).waitFor();
    await setRange(page, START, END);
    await page.getByRole('checkbox', { name: 'p2p' }).uncheck();
    // the form is submitted from the keyboard: Enter in a field submits it
    await page.getByLabel('To', { exact: true }).press('Enter');
    await page.locator('.peak-card').first().waitFor();

    const users = Object.keys(ACME_USERS);
    const expected = await acme.summary({ users, start: START, end: END });
    assert.ok(expected.length === 2, 'the known data has cdn and rtc viewers');
    const cards = await datasets(page, '.peak-card');
    const texts = await page.locator('.peak-card').allTextContents();
    assert.deepEqual(
      cards.map((c) => ({ statAt: Number(c['stat-at']), peakCCV: c.peak, pullType: c['pull-type'] })),
      expected,
    );
    for (const [i, e] of expected.entries()) {
      const shown = `${e.pullType} peak ${Number(e.peakCCV).toLocaleString('en-US')} at ${localLabel(e.statAt, 'Asia/Shanghai')}`;
      assert.ok(texts[i]!.startsWith(shown), `${texts[i]} shows ${shown}`);
    }
    // each user's share is its own CCV at the peak minute, and the shares add up to the peak
    for (const e of expected) {
      const rows = await page
        .locator(`table.shares[data-pull-type="${e.pullType}"] tbody tr`)
        .evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent!, tr.querySelector('td')!.textContent!]));
      assert.deepEqual(rows.map((r) => r[0]).sort(), users);
      const sum = rows.reduce((a, r) => a + Number(r[1]!.replace(/,/g, '')), 0);
      assert.equal(sum, Number(e.peakCCV));
      const day = localLabel(e.statAt, 'Asia/Shanghai').slice(0, 10);
      for (const [user, viewers] of rows) {
        const points = await acme.userConcurrence({ userId: user!, startDate: day, endDate: day, pullType: e.pullType });
        const at = points.find((p) => `${p.day} ${p.minute}` === localLabel(e.statAt, 'Asia/Shanghai'));
        assert.equal(Number(viewers!.replace(/,/g, '')), at?.viewers, `${user}'s share of the ${e.pullType} peak`);
      }
    }
    await page.screenshot({ path: screenshotPath('peak'), fullPage: true });

    // zoom: to the peak's hour, then down to single minutes, by buttons and by keys on the focused plot
    const cdn = expected.find((e) => e.pullType === 'cdn')!;
    await page.getByRole('button', { name: 'Zoom to cdn peak' }).click();
    // the window label re-renders after the zoom: wait for it (Preact renders on the next tick)
    const windowShows = (text: RegExp) => page.locator('.chart-window', { hasText: text }).waitFor({ timeout: 5_000 });
    const literal = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await windowShows(
      new RegExp(
        `^${literal(`${localLabel(cdn.statAt - 30 * MINUTE_MS, 'Asia/Shanghai')} – ${localLabel(cdn.statAt + 30 * MINUTE_MS, 'Asia/Shanghai')} (1 h 1 min)`)}$`,
      ),
    );
    for (let i = 0; i < 6; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
    await windowShows(/\(3 min 0 s\)$/);
    const minutes = await downloaded(page, 'Download curve (CSV)');
    assert.deepEqual(minutes[0], ['day', 'minute', 'cdn', 'rtc']);
    assert.equal(minutes.length - 1, 3, 'the CSV holds the minutes shown');
    assert.ok(
      minutes.slice(1).some((r) => `${r[0]} ${r[1]}` === localLabel(cdn.statAt, 'Asia/Shanghai') && r[2] === cdn.peakCCV),
    );
    const plot = page.getByRole('application', { name: /Summed CCV per minute/ });
    await plot.focus();
    await page.keyboard.press('Home');
    await windowShows(/\(3 d 0 h\)$/);
    await page.keyboard.press('+');
    await windowShows(/\(1 d 12 h\)$/);
    await page.keyboard.press('Home');
    await windowShows(/\(3 d 0 h\)$/);
    const everything = await downloaded(page, 'Download curve (CSV)');
    assert.equal(everything.length - 1, 3 * 1440);
    assert.equal(Math.max(...everything.slice(1).map((r) => Number(r[2]))), Number(cdn.peakCCV));

    const shares = await downloaded(page, 'Download shares (CSV)');
    assert.deepEqual(shares[0], ['pullType', 'peakAt', 'statAt', 'userId', 'viewers', 'peakCCV']);
    assert.equal(shares.length - 1, 2 * users.length);

    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Whole range' }).click();
    const phone = await layoutProblems(page);
    assert.deepEqual(phone.unlabelled, []);
    assert.ok(phone.overflow <= 0, `the page scrolls sideways by ${phone.overflow} px at 390 px`);
    await page.screenshot({ path: screenshotPath('peak-390'), fullPage: true });
    await page.close();
  });

  it('shows channel and user curves whose day peaks equal concurrence-mc and concurrence', async () => {
    const page = await browser.page();
    await signInOperator(page);
    await page.getByLabel('Application').selectOption(ACME.appId);
    await page.getByRole('link', { name: 'Channels and users' }).click();
    await setRange(page, START, END);
    await page.getByLabel('User', { exact: true }).selectOption('gamma');
    await page.getByRole('button', { name: 'Show curve' }).click();
    await page.locator('table.day-peaks tbody tr').first().waitFor();
    const dayPeaks = () => datasets(page, 'table.day-peaks tbody tr').then((rows) => rows.map((r) => [r.day, Number(r.peak)]));
    const points = await acme.userConcurrence({ userId: 'gamma', startDate: START, endDate: END });
    const byDay = new Map<string, number>();
    for (const p of points) byDay.set(p.day, Math.max(byDay.get(p.day) ?? 0, p.viewers));
    assert.deepEqual(await dayPeaks(), [...byDay]);

    await page.getByRole('radio', { name: /chosen channels summed/ }).check();
    await page.getByRole('checkbox', { name: '1001 (alpha)' }).check();
    await page.getByRole('checkbox', { name: '2001 (beta)' }).check();
    await page.getByLabel('Pull type').selectOption('cdn');
    await page.getByRole('button', { name: 'Show curve' }).click();
    await page.getByRole('heading', { name: 'CCV per minute: 2 channels summed' }).waitFor();
    const mc = await acme.channelsConcurrence({ channelIds: ['1001', '2001'], startDate: START, endDate: END, pullType: 'cdn' });
    assert.deepEqual(
      await dayPeaks(),
      mc.map((p) => [p.day, p.viewers]),
    );
    const csv = await downloaded(page, 'Download day peaks (CSV)');
    assert.deepEqual(
      csv.slice(1).map((r) => [r[0], Number(r[1])]),
      mc.map((p) => [p.day, p.viewers]),
    );
    await page.screenshot({ path: screenshotPath('channels-and-users'), fullPage: true });
    await page.setViewportSize(PHONE);
    const phone = await layoutProblems(page);
    assert.deepEqual(phone.unlabelled, []);
    assert.ok(phone.overflow <= 0, `the page scrolls sideways by ${phone.overflow} px at 390 px`);
    await page.close();
  });

  it('shows live viewers per channel and user, refreshing, with the freshness lag', async () => {
    const beat = (channelId: string, viewerId: string, pullType = 'cdn') =>
      fetch(`${server.url}/v1/beacon?channelId=${channelId}&viewerId=${viewerId}&pullType=${pullType}`);
    for (const r of await Promise.all([beat('1001', 'v1'), beat('1001', 'v2'), beat('1002', 'v3', 'rtc'), beat('2001', 'v4')])) {
      assert.equal(r.status, 204);
    }
    const page = await browser.page();
    await signInOperator(page);
    await page.getByLabel('Application').selectOption(ACME.appId);
    await page.getByRole('link', { name: 'Live' }).click();
    await page.getByLabel('Refresh every').selectOption('2');
    const alpha = page.locator('table.live[data-kind="user"] tr[data-id="alpha"]');
    await alpha.waitFor();
    const expected = await acme.realtimeViewers();
    assert.deepEqual(
      expected.users.map((u) => [u.userId, u.viewers]),
      [
        ['alpha', 3],
        ['beta', 1],
        ['gamma', 0],
      ],
    );
    const shownUsers = () =>
      page
        .locator('table.live[data-kind="user"] tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-id'), Number(tr.getAttribute('data-viewers'))]));
    assert.deepEqual(
      await shownUsers(),
      expected.users.map((u) => [u.userId, u.viewers]),
    );
    assert.equal(await alpha.locator('td').nth(1).textContent(), '2', 'alpha: cdn');
    assert.equal(await alpha.locator('td').nth(2).textContent(), '1', 'alpha: rtc');

    // a new viewer shows up at the next refresh
    assert.equal((await beat('3001', 'v5')).status, 204);
    await page.locator('table.live[data-kind="user"] tr[data-id="gamma"][data-viewers="1"]').waitFor({ timeout: 10_000 });

    const freshness = page.locator('.freshness');
    await freshness.filter({ hasText: /closed and stored/ }).waitFor({ timeout: 10_000 });
    const api = (await (await fetch(`${server.url}/freshness`)).json()) as { data: { closedBefore: number; lagMs: number } };
    const text = (await freshness.textContent()) ?? '';
    const lastClosed = [api.data.closedBefore - MINUTE_MS, api.data.closedBefore - 2 * MINUTE_MS].map((m) =>
      localLabel(m, 'Asia/Shanghai'),
    );
    assert.ok(
      lastClosed.some((l) => text.includes(`Minutes up to ${l} are closed`)),
      text,
    );
    const lag = Number(await freshness.getAttribute('data-lag-ms'));
    assert.ok(lag >= server.config.allowedLatenessMs && lag < server.config.allowedLatenessMs + 3 * MINUTE_MS, `lag ${lag}`);

    const csv = await downloaded(page, 'Download viewers (CSV)');
    assert.deepEqual(csv[0], ['at', 'userId', 'channelId', 'viewers', 'cdn', 'rtc', 'p2p']);
    assert.equal(csv.length - 1, Object.values(ACME_USERS).flat().length);
    await page.screenshot({ path: screenshotPath('live'), fullPage: true });
    await page.setViewportSize(PHONE);
    const phone = await layoutProblems(page);
    assert.deepEqual(phone.unlabelled, []);
    assert.ok(phone.overflow <= 0, `the page scrolls sideways by ${phone.overflow} px at 390 px`);
    await page.close();
  });

  it('manages applications, users and channels; a rotated secret is shown once and works', async () => {
    const admin = createAdminClient({ baseUrl: server.url, adminToken: ADMIN_TOKEN });
    const page = await browser.page();
    page.on('dialog', (d) => void d.accept());
    await signInOperator(page);
    await page.getByRole('link', { name: 'Manage' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Initech');
    await page.getByLabel('App ID (optional)').fill('initech');
    await page.getByLabel('Rate limit (optional)').fill('120');
    await page.getByRole('button', { name: 'Create application' }).click();
    const secret = page.locator('code.secret[data-app-id="initech"]');
    await secret.waitFor();
    const created = (await secret.textContent())!;
    assert.deepEqual((await admin.getApp({ appId: 'initech' })).rateLimit, 120);
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.locator('code.secret').count(), 0, 'the secret is gone from the page');

    await page.getByLabel('New user ID').fill('init-user');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByLabel('New channel of init-user').fill('7001');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByRole('button', { name: 'Remove channel 7001' }).waitFor();
    assert.deepEqual(
      (await admin.listChannels({ userId: 'init-user' })).map((c) => c.channelId),
      ['7001'],
    );

    const row = page.locator('tr[data-app-id="initech"]');
    await row.getByLabel('Rate limit of initech').fill('250');
    await row.getByRole('button', { name: 'Set' }).click();
    await assertEventually(async () => (await admin.getApp({ appId: 'initech' })).rateLimit === 250);

    const before = createClient({ baseUrl: server.url, appId: 'initech', appSecret: created, retries: 0 });
    assert.deepEqual((await before.accounts()).users, [{ userId: 'init-user', channels: ['7001'] }]);
    await row.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.locator('code.secret[data-app-id="initech"]').textContent())!;
    assert.notEqual(rotated, created);
    await assert.rejects(before.accounts(), (e: unknown) => e instanceof PolyvApiError && e.message === 'invalid signature.');
    const after = createClient({ baseUrl: server.url, appId: 'initech', appSecret: rotated, retries: 0 });
    assert.equal((await after.accounts()).appId, 'initech');
    await page.screenshot({ path: screenshotPath('manage'), fullPage: true });
    await page.getByRole('button', { name: 'Done' }).click();

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    assert.equal((await admin.getApp({ appId: 'initech' })).enabled, false);
    await assert.rejects(after.accounts(), (e: unknown) => e instanceof PolyvApiError && e.message === 'application not found.');

    await page.getByRole('button', { name: 'Remove channel 7001' }).click();
    await page.getByRole('button', { name: 'Remove user init-user' }).click();
    await page.getByText('No users yet.').waitFor();
    assert.deepEqual(await admin.listUsers({ appId: 'initech' }), []);

    const apps = await downloaded(page, 'Download applications (CSV)');
    assert.deepEqual(apps[0], ['appId', 'name', 'enabled', 'rateLimit', 'createdAt', 'hasIngestToken']);
    assert.deepEqual(
      apps
        .slice(1)
        .map((r) => r[0])
        .sort(),
      ['acme', 'globex', 'initech'],
    );
    await page.setViewportSize(PHONE);
    const phone = await layoutProblems(page);
    assert.deepEqual(phone.unlabelled, []);
    await page.close();
  });

  it("signs a partner in: only its own application's accounts, the secret kept in the tab and never sent", async () => {
    const page = await browser.page();
    const sent: string[] = [];
    page.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''} ${JSON.stringify(r.headers())}`));
    await signInPartner(page, ACME);
    await page.getByRole('navigation', { name: 'views' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Manage' }).count(), 0, 'no management for a partner');
    assert.equal(await page.getByLabel('Application').count(), 0, 'no other application to pick');
    await page.getByRole('checkbox', { name: 'alpha' }).waitFor();
    const listed = await page
      .locator('fieldset.checklist')
      .first()
      .locator('input[name="users"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('value')));
    assert.deepEqual(listed, Object.keys(ACME_USERS));

    await setRange(page, START, END);
    await page.getByRole('button', { name: 'Show peak' }).click();
    await page.locator('.peak-card').first().waitFor();
    const expected = await acme.summary({ users: Object.keys(ACME_USERS), start: START, end: END });
    const cards = await datasets(page, '.peak-card');
    assert.deepEqual(
      cards.map((c) => ({ statAt: Number(c['stat-at']), peakCCV: c.peak, pullType: c['pull-type'] })),
      expected,
    );
    await page.screenshot({ path: screenshotPath('partner-peak'), fullPage: true });

    // the partner's credentials reach nothing of another application, and nothing of the admin API
    await assert.rejects(
      acme.summaryCurve({ users: 'globex-main', start: START, end: END }),
      (e: unknown) => e instanceof PolyvApiError && e.code === 403 && e.message === 'illegal user id: globex-main',
    );
    await assert.rejects(
      acme.channelsCurve({ channelIds: '9001', start: START, end: END }),
      (e: unknown) => e instanceof PolyvApiError && e.code === 403 && e.message === 'illegal channel id: 9001',
    );
    assert.equal(await page.evaluate<number>("fetch('/admin/v1/apps').then((r) => r.status)"), 401);

    assert.equal(await page.evaluate<number>('localStorage.length'), 0);
    assert.ok((await page.evaluate<string | null>("sessionStorage.getItem('live-ccv.session')"))?.includes(ACME.appSecret));
    assert.deepEqual(
      sent.filter((s) => s.includes(ACME.appSecret)),
      [],
      'the secret is never sent',
    );
    assert.ok(sent.some((s) => s.includes('/live/ccv/v1/summary/curve')));

    // a reload keeps the tab's session; signing out forgets the secret
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
    await page.close();
  });

  it('says why a sign-in fails', async () => {
    const page = await browser.page();
    await signInPartner(page, { appId: ACME.appId, appSecret: OTHER.appSecret });
    assert.equal(await page.getByRole('alert').textContent(), 'Wrong appSecret for this appId.');
    await signInPartner(page, { appId: 'no-such-app', appSecret: OTHER.appSecret });
    assert.equal(await page.getByRole('alert').textContent(), 'No enabled application has this appId.');
    await page.getByRole('radio', { name: /Operator/ }).check();
    await page.getByLabel('Admin token', { exact: true }).fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong admin token.' }).waitFor();
    assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('sign-in-390') });
    await page.close();
  });

  it('had no page errors, console errors or refused resources', () => {
    assert.deepEqual(browser.problems, []);
  });
});

async function assertEventually(check: () => Promise<boolean>, what = 'the change'): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen`);
}
