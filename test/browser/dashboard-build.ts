/**
 * A build of the dashboard's current sources for the tests and the bench, made once per process into a temp dir
 * (removed at exit) with the dashboard's own Vite config, so a test never runs against a stale dist/dashboard and
 * two test files building at once never share a folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';

const CONFIG = path.resolve('packages/dashboard/vite.config.ts');
let built: Promise<string> | undefined;

export function dashboardBuild(): Promise<string> {
  built ??= (async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-dashboard-'));
    process.once('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
    await build({ configFile: CONFIG, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    return outDir;
  })();
  return built;
}
