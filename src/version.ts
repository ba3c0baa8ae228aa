/** The package's version, read once from its package.json (two levels up from src/ or dist/src/). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
function read(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(p) as { name?: string; version?: string };
      if (pkg.name === 'live-ccv' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
}
export const version = read();
