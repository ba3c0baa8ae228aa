/**
 * The shell examples of the docs run as printed against a real server: each ```sh block that calls the
 * server is run with bash (only the address changed to the test server's), and where the docs show the
 * answer on the line after the command, the answer must be exactly that.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { tempDir } from './helpers.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const ADMIN = 'docs-admin-token-0001';
const INGEST = 'docs-ingest-token-0001';
let server: ServerProcess;

before(async () => {
  server = await spawnServer({ LIVE_CCV_DATA_DIR: tempDir(), LIVE_CCV_ADMIN_TOKEN: ADMIN, LIVE_CCV_INGEST_TOKEN: INGEST });
});
after(async () => {
  await server.stop();
});

/** The ```sh block of a docs file that contains `marker`: its commands and the answers shown after them. */
function example(file: string, marker: string): { script: string; answers: string[] } {
  const blocks = [...fs.readFileSync(file, 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes(marker));
  assert.ok(block, `${file} has a shell example with ${marker}`);
  const lines = block.split('\n');
  return {
    script: lines.filter((l) => !l.startsWith('{"code"')).join('\n'),
    answers: lines.filter((l) => l.startsWith('{"code"')),
  };
}

function run(script: string, env: Record<string, string> = {}): string {
  const local = script.replace(/http:\/\/(127\.0\.0\.1|localhost):8080/g, server.url);
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', local], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LIVE_CCV_ADMIN_TOKEN: ADMIN, LIVE_CCV_INGEST_TOKEN: INGEST, ...env },
  });
  assert.equal(r.status, 0, `${local}\n${r.stderr}`);
  return r.stdout;
}

test('docs/ingest.md: the batch heartbeat example is accepted as printed, at any time', () => {
  const { script, answers } = example('docs/ingest.md', '/v1/heartbeats');
  assert.deepEqual(answers, ['{"code":200,"status":"success","message":"","data":{"accepted":2,"rejected":[]}}']);
  assert.equal(run(script).trim(), answers[0]);
});

test('docs/api.md: the admin CCV import example answers as printed', () => {
  const { script, answers } = example('docs/api.md', '/admin/v1/ccv');
  assert.equal(answers.length, 1);
  assert.equal(run(script).trim(), answers[0]);
});

test('docs/api.md: the signed call from the shell returns the CSV series', async () => {
  const { script } = example('docs/api.md', 'md5sum');
  // The example's application: the docs show its secret as a placeholder, so the test's app uses a real one.
  const secret = 'docs-secret-docs-secret-01';
  const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}/admin/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.equal((await post('/apps', { name: 'docs', appId: 'testapp01', appSecret: secret })).status, 200);
  assert.equal((await post('/apps/testapp01/users', { userId: 'docsuser' })).status, 200);
  assert.equal((await post('/users/docsuser/channels', { channelId: '100' })).status, 200);
  assert.match(script, /^ts=.*; s=secret$/m, 'the example names its secret s');
  const csv = run(script.replace(/; s=secret$/m, `; s=${secret}`)).split('\r\n');
  assert.equal(csv[0], 'day,minute,viewers');
  assert.equal(csv[1], '2024-03-10,00:00,0');
  assert.equal(csv.filter((l) => l !== '').length, 1 + 1440);
});
