/** LIVE_CCV_LOG_FORMAT: JSON lines for collectors, pino-pretty text for people, auto-detected by default. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { logFormat } from '../src/logging/logger.js';
import { tempDir } from './helpers.js';
import { spawnServer } from './server-process.js';

test('auto is pretty on a terminal and JSON otherwise; an explicit format wins; a bad one is refused', () => {
  const auto = loadConfig({});
  assert.equal(auto.logFormat, 'auto');
  assert.equal(logFormat(auto, true), 'pretty');
  assert.equal(logFormat(auto, false), 'json');
  assert.equal(logFormat(loadConfig({ LIVE_CCV_LOG_FORMAT: 'json' }), true), 'json');
  assert.equal(logFormat(loadConfig({ LIVE_CCV_LOG_FORMAT: 'pretty' }), false), 'pretty');
  assert.throws(() => loadConfig({ LIVE_CCV_LOG_FORMAT: 'xml' }), /^Error: invalid setting LIVE_CCV_LOG_FORMAT: /);
});

async function logOf(format: string): Promise<string> {
  const s = await spawnServer({ LIVE_CCV_DATA_DIR: tempDir(), LIVE_CCV_DEMO: 'false', LIVE_CCV_LOG_FORMAT: format });
  try {
    // a refused signed call, so there is a line with fields
    await fetch(`${s.url}/live/internal/v3/user/concurrent/yunduo/summary?appId=nosuchapp`);
  } finally {
    assert.equal(await s.stop(), 0);
  }
  return s.output();
}

test('a real server logs JSON lines, or readable lines with LIVE_CCV_LOG_FORMAT=pretty', async () => {
  const json = (await logOf('json')).trim().split('\n');
  assert.ok(json.length >= 3);
  for (const line of json) assert.equal(typeof (JSON.parse(line) as { level: unknown }).level, 'number', line);
  assert.ok(json.some((l) => JSON.parse(l).refusal === 'application not found.'));

  const pretty = (await logOf('pretty')).trim().split('\n');
  assert.ok(
    pretty.every((l) => !l.startsWith('{')),
    'no JSON lines',
  );
  assert.ok(
    pretty.some((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+$/.test(l)),
  );
  const refused = pretty.findIndex((l) => / WARN: signed call refused$/.test(l));
  assert.ok(refused >= 0, pretty.join('\n'));
  assert.ok(
    pretty.slice(refused).some((l) => l.trim() === 'refusal: "application not found."'),
    'fields follow, one per line',
  );
});
