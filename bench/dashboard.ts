/**
 * `npm run bench:dashboard`: how fast the dashboard shows a quarter of minute data (92 days, 132,480 minutes per pull
 * type, two pull types) in headless Chromium (Debian's package, software rendering), against a real server.
 *   --runs N   timed runs after one warm-up (default 5)
 *   --days D   days of data and of the query (default 92, the summary's limit)
 * Figures are medians, printed next to same-run references: the 1 s target, and the same points stroked on a bare
 * canvas (moveTo/lineTo, no library) in the same page. Timings are printed, never asserted.
 */
import { performance } from 'node:perf_hooks';
import { createClient } from '@live-ccv/client';
import { addDays, parseYmd } from '@live-ccv/client/contract';
import { localToEpochMs, MINUTE_MS } from '../src/domain/calendar.js';
import { openChromium } from '../test/browser/chromium.js';
import { ACME, ACME_USERS, seedMinutes, seedTenants } from '../test/browser/seed.js';
import { ADMIN_TOKEN, browserServer } from '../test/browser/server.js';
import { summarize } from './stats.js';
import { table } from './table.js';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

const runs = flag('runs', 5);
const days = flag('days', 92);
const START = '2024-01-01';
const end = (() => {
  const e = addDays(parseYmd(START)!, days - 1);
  return `${e.y}-${String(e.m).padStart(2, '0')}-${String(e.d).padStart(2, '0')}`;
})();

interface Run {
  fetchMs: number;
  bytes: number;
  drawMs: number;
  frameMs: number;
  totalMs: number;
}

/** Zooms to the cdn peak's hour and answers how long until uPlot has redrawn. */
const ZOOM = `new Promise((done) => {
  const plot = document.querySelector('.chart-plot');
  const t0 = performance.now();
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Zoom to cdn peak');
  const wait = () => (Number(plot.dataset.drawnAt) > t0 ? done(Number(plot.dataset.drawnAt) - t0) : setTimeout(wait, 1));
  button.click();
  wait();
})`;

/** In-page: the last curve request's timing and size, the chart's draw time, and the click-to-drawn time. */
const READ_RUN = `(() => {
  const req = performance.getEntriesByType('resource').filter((e) => e.name.includes('/curves/users')).at(-1);
  const draw = performance.getEntriesByName('ccv:chart-draw').at(-1);
  return {
    fetchMs: req.responseEnd - req.startTime,
    bytes: req.decodedBodySize,
    drawMs: Number(document.querySelector('.chart-plot').dataset.drawMs),
    frameMs: Number(document.querySelector('.chart-plot').dataset.frameMs),
    totalMs: draw.startTime + draw.duration - window.benchClickAt,
  };
})()`;

const CLICK = `(() => {
  document.querySelector('.chart-plot')?.removeAttribute('data-draw-ms');
  document.querySelector('.chart-plot')?.removeAttribute('data-frame-ms');
  performance.clearResourceTimings();
  window.benchClickAt = performance.now();
  document.querySelector('form[aria-label="peak query"] button[type=submit]').click();
})()`;

/** In-page reference: the same points stroked as plain lines on a canvas the plot's size. */
const RAW_CANVAS = `((series) => {
  const plot = document.querySelector('.chart-plot canvas');
  const canvas = document.createElement('canvas');
  canvas.width = plot.width;
  canvas.height = plot.height;
  document.body.append(canvas);
  const ctx = canvas.getContext('2d');
  const t0 = performance.now();
  const n = series[0].length;
  let max = 1;
  for (const s of series) for (let i = 0; i < n; i++) if (s[i] > max) max = s[i];
  for (const s of series) {
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = (i / (n - 1)) * canvas.width;
      const y = canvas.height - (s[i] / max) * canvas.height;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.getImageData(0, 0, 1, 1);
  const ms = performance.now() - t0;
  canvas.remove();
  return ms;
})(window.benchValues)`;

async function main(): Promise<void> {
  const server = await browserServer();
  const browser = await openChromium();
  try {
    await seedTenants(server.store);
    const from = localToEpochMs({ y: 2024, m: 1, d: 1 }, server.config.timeZone) / MINUTE_MS;
    const channels = Object.values(ACME_USERS).map((c) => c[0]!);
    const t0 = performance.now();
    const rows = await seedMinutes(server.store, from, days * 1440, { channels });
    process.stderr.write(
      `seeded ${rows.toLocaleString('en-US')} channel minutes in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );

    const users = Object.keys(ACME_USERS);
    const acme = createClient({ baseUrl: server.url, ...ACME, timeoutMs: 60_000 });
    const truth = await acme.summaryCurve({ users, start: START, end, pullType: undefined });
    const minutes = truth.minutes;

    const page = await browser.page();
    await page.goto(`${server.url}/dashboard`);
    await page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Application').selectOption(ACME.appId);
    await page.getByRole('checkbox', { name: 'alpha' }).waitFor();
    await page.getByLabel('From', { exact: true }).fill(START);
    await page.getByLabel('To', { exact: true }).fill(end);
    await page.getByRole('checkbox', { name: 'p2p' }).uncheck();

    const samples: Run[] = [];
    for (let i = 0; i <= runs; i++) {
      await page.evaluate(CLICK);
      await page.locator('.chart-plot[data-frame-ms]').waitFor({ timeout: 60_000 });
      const r = await page.evaluate<Run>(READ_RUN);
      if (i > 0) samples.push(r); // the first run warms the page, the server's caches and the JIT
    }
    const zooms: number[] = [];
    for (let i = 0; i <= runs; i++) {
      await page.getByRole('button', { name: 'Whole range' }).click();
      const ms = await page.evaluate<number>(ZOOM);
      if (i > 0) zooms.push(ms);
    }
    const shown = await page.locator('.peak-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-peak')));
    const expected = truth.series.filter((s) => s.pullType !== 'p2p').map((s) => s.peakCCV);
    if (JSON.stringify(shown) !== JSON.stringify(expected)) throw new Error(`the dashboard shows ${shown}, the API ${expected}`);

    const values = truth.series.filter((s) => s.pullType !== 'p2p').map((s) => s.values);
    await page.evaluate((v) => {
      (globalThis as unknown as { benchValues: unknown }).benchValues = v;
    }, values);
    const raw: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const ms = await page.evaluate<number>(RAW_CANVAS);
      if (i > 0) raw.push(ms);
    }

    const fetch = summarize(samples.map((s) => s.fetchMs));
    const draw = summarize(samples.map((s) => s.drawMs));
    const frame = summarize(samples.map((s) => s.frameMs));
    const zoom = summarize(zooms);
    const total = summarize(samples.map((s) => s.totalMs));
    const bare = summarize(raw);
    const f = (ms: number) => `${ms.toFixed(0)} ms`;
    const row = (name: string, t: ReturnType<typeof summarize>, ratio: string) => [name, f(t.p50), f(t.min), f(t.max), ratio];
    console.log(
      `\nDashboard, ${days} days: ${minutes.toLocaleString('en-US')} minutes x ${values.length} pull types of ${users.length} users summed; ` +
        `answer ${(samples[0]!.bytes / 1e6).toFixed(2)} MB of JSON; Chromium ${browser.context.browser()?.version() ?? ''} headless, 1280x900, ${runs} runs\n`,
    );
    console.log(
      table(
        ['figure', 'median', 'min', 'max', 'same-run ratio'],
        [
          row(
            'chart drawn: new uPlot to its first draw done',
            draw,
            `${(draw.p50 / 1000).toFixed(2)} of the 1 s target; ${(draw.p50 / bare.p50).toFixed(2)}x the bare canvas`,
          ),
          row(
            'chart on screen: to the second animation frame after',
            frame,
            `${(frame.p50 / 1000).toFixed(2)} of the 1 s target`,
          ),
          row('zoom from the quarter to the peak hour: redrawn', zoom, ''),
          row('curve answer fetched (request to last byte)', fetch, ''),
          row('click "Show peak" to chart drawn', total, `${(total.p50 / 1000).toFixed(2)} of the 1 s target`),
          row('reference: the same points on a bare canvas', bare, '1.00'),
        ],
      ),
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e: unknown) => {
  console.error(`live-ccv bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
