/**
 * @live-ccv/client in Node against a real live-ccv server: the package's checks (checks.ts, also run in Chromium by
 * browser.test.ts), and that the package needs nothing of Node or of the server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as lib from '../src/index.js';
import { runChecks } from './checks.js';
import { expectChecks } from './expect.js';
import { checkServer } from './setup.js';

const PACKAGE = path.resolve(import.meta.dirname, '..');

describe('@live-ccv/client in Node', () => {
  let setup: Awaited<ReturnType<typeof checkServer>>;
  before(async () => {
    setup = await checkServer('from-node');
  });
  after(() => setup?.server.close());

  it('signs as the server does, calls signed and admin endpoints, and reports refusals as PolyvApiError', async () => {
    const results = await runChecks(lib, setup.env);
    expectChecks(results, setup.env, setup.truth);
  });

  it('imports nothing of Node or of the server, and depends only on zod and @noble/hashes', () => {
    const files = fs
      .readdirSync(path.join(PACKAGE, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 10);
    for (const f of files) {
      const text = fs.readFileSync(path.join(PACKAGE, 'src', f), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      const outside = imports.filter((i) => !i.startsWith('.') && i !== 'zod' && !i.startsWith('@noble/hashes/'));
      assert.deepEqual(outside, [], `${f} imports ${outside.join(', ')}`);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8')) as { dependencies: object };
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@noble/hashes', 'zod']);
  });
});
