/**
 * The version of this build, read once from the package's own package.json: the file is found by walking up
 * from this module, so it holds for `src/` run through tsx and for the compiled `dist/src/` alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'live-ccv' && pkg.version) return pkg.version;
    }
    const parent = path.dirname(dir);
    // Installed without its package.json (a bundle): say so rather than guess.
    if (parent === dir) return '0.0.0-unknown';
    dir = parent;
  }
}

export const VERSION: string = readVersion();
