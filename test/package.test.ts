/**
 * What `npm pack` ships, imported from the tarballs as a user would: the server package's entry points and bin, and
 * the client package alone with only its own dependencies (no fastify, no native SQLite, no pg or ioredis). Runs on
 * the build that `npm install` made (its `prepare` script).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from './helpers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Packs a package folder without running its scripts and unpacks it; returns the unpacked folder. */
function packAndUnpack(folder: string): { dir: string; files: string[] } {
  const out = tempDir('live-ccv-pack-');
  dirs.push(out);
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: folder, encoding: 'utf8' }),
  ) as { filename: string; files: { path: string }[] }[];
  execFileSync('tar', ['-xzf', path.join(out, info!.filename), '-C', out]);
  return { dir: path.join(out, 'package'), files: info!.files.map((f) => f.path) };
}

/** Runs ESM code in a folder with plain node (no source conditions, no tsx) and returns what it prints. */
function run(cwd: string, code: string): string {
  const env = { ...process.env, NODE_OPTIONS: '' };
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd, env, encoding: 'utf8' });
}

test('the server package ships its entry points and bin, and they import by name', () => {
  assert.ok(fs.existsSync('dist/src/index.js'), 'dist is missing: run `npm run build` (npm install runs it)');
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
    exports: Record<string, { default?: string } | string>;
    bin: Record<string, string>;
  };
  const { dir, files } = packAndUnpack('.');
  for (const [name, target] of Object.entries(pkg.exports)) {
    const file = (typeof target === 'string' ? target : target.default!).replace(/^\.\//, '');
    assert.ok(files.includes(file), `export ${name} points at ${file}, which is not in the package`);
  }
  for (const bin of Object.values(pkg.bin)) assert.ok(files.includes(bin), `bin ${bin} is not in the package`);
  // `npx live-ccv` in the checkout runs the built file itself (the README's quick start): it must be executable
  for (const bin of Object.values(pkg.bin)) {
    assert.ok((fs.statSync(bin).mode & 0o111) !== 0, `bin ${bin} is not executable: the build must chmod it`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('src/')), 'sources or tests are packed');
  assert.ok(
    files.includes('dist/dashboard/index.html') && files.some((f) => /^dist\/dashboard\/assets\/.+\.js\.br$/.test(f)),
    'the dashboard build is not in the package',
  );
  // the unpacked package resolves its dependencies from this checkout's node_modules, as an install would
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  const out = run(
    dir,
    `const main = await import('live-ccv'); const client = await import('live-ccv/client');
     console.log(typeof main.buildApp, typeof main.startServer, typeof client.createClient, main.version);`,
  );
  assert.match(out, /^function function function \d+\.\d+\.\d+\n$/);
});

test('the client package installs and runs with its own dependencies only', () => {
  const { dir, files } = packAndUnpack('packages/client');
  assert.ok(files.includes('dist/index.js') && files.includes('dist/contract/index.js') && files.includes('README.md'));
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@noble/hashes', 'zod']);
  // a node_modules holding exactly those two packages
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(modules, '@noble'), { recursive: true });
  fs.symlinkSync(path.resolve('node_modules/@noble/hashes'), path.join(modules, '@noble/hashes'));
  fs.symlinkSync(path.resolve('node_modules/zod'), path.join(modules, 'zod'));
  const out = run(
    dir,
    `import { sign, createClient } from './dist/index.js'; import { signedEndpoints } from './dist/contract/index.js';
     const s = sign({ appId: 'g4rqgmmjuo', channelIds: '2477096,2272655', startDay: '2022-05-20', endDay: '2022-06-18',
       timestamp: '1660270926732' }, 'fsq2k5weced1h8vui657xtdva66whf0g');
     console.log(s, typeof createClient, signedEndpoints.length);`,
  );
  assert.equal(out, '0D2BDA2FD04D93A2B8832B91FD973C4D function 10\n');
});
