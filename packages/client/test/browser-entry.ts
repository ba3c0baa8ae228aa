/** The browser bundle of the package's checks: the package itself, from its sources, and checks.ts. */
import * as lib from '../src/index.js';
import { type CheckEnv, runChecks } from './checks.js';

export const run = (env: CheckEnv) => runChecks(lib, env);
