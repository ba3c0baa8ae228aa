/**
 * How benches and tests start one of the repository's TypeScript entry points (`src/cli/main.ts`, `bench/ingest.ts`)
 * in a child process: the same way this process runs. Under tsx (`npm run bench`, one test file through tsx) the child
 * runs the sources through tsx with the workspace's source condition; in the test runner's JavaScript copy of the
 * sources (scripts/run-tests.mjs transforms them at the start of every run) the child runs the same copy's .js file,
 * which costs about half the start-up CPU of tsx and can never be older than the run.
 */
import path from 'node:path';

/** true when this module is the test runner's JavaScript copy */
export const BUILT = import.meta.url.endsWith('.js');
/** the tree this module belongs to: the repository, or the run's copy of it (`.test-build/<run>/`) */
const TREE = path.resolve(import.meta.dirname, '..');

/** The repository's root, where `package.json`, `dist/` and the data of the docs are (cwd for children). */
export const REPO = BUILT ? path.resolve(TREE, '..', '..') : TREE;

/** node's arguments that run `file` (a path from the repository's root, ending in .ts), before the file's own. */
export function nodeArgs(file: string): string[] {
  return BUILT
    ? ['--conditions=live-ccv-source', path.join(TREE, file.replace(/\.ts$/, '.js'))]
    : ['--conditions=live-ccv-source', '--import', 'tsx', path.join(TREE, file)];
}
