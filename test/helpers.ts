/** Shared test fixtures: real SQLite files in temp dirs, real configs, signed parameters. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sign, type SignatureMethod } from '../src/auth/sign.js';
import { loadConfig, type Config, type SettingName } from '../src/config/config.js';
import { buildApp, type AppDeps } from '../src/http/app.js';
import { Tenancy } from '../src/service/tenancy.js';
import type { App, Store } from '../src/store/port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const made: string[] = [];
// Temp dirs of a test file are removed when its process ends, however the tests ended.
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'live-ccv-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function testConfig(overrides: Partial<Record<SettingName, string | number | boolean>> = {}): Config {
  return loadConfig({}, { dataDir: tempDir(), logLevel: 'silent', demo: false, ...overrides });
}

export function tempStore(): SqliteStore {
  return new SqliteStore(path.join(tempDir(), 'store.sqlite'));
}

export interface Fixture {
  app: FastifyInstance;
  store: Store;
  config: Config;
  caller: App;
  tenancy: Tenancy;
  close(): Promise<void>;
}

/** A real app on a real SQLite file with one application owning the given users and channels. */
export async function fixture(
  options: {
    config?: Partial<Record<SettingName, string | number | boolean>>;
    users?: Record<string, string[]>;
    deps?: Partial<AppDeps>;
  } = {},
): Promise<Fixture> {
  const config = testConfig(options.config);
  const store = options.deps?.store ?? tempStore();
  const tenancy = new Tenancy(store);
  const caller = await tenancy.createApp({ name: 'test', appId: 'testapp01', appSecret: 'secret-secret-secret-0001' });
  for (const [userId, channels] of Object.entries(options.users ?? {})) {
    await tenancy.addUser(caller.appId, userId);
    for (const c of channels) await tenancy.addChannel(userId, c);
  }
  const app = await buildApp({ config, store, logger: false, ...options.deps });
  return {
    app,
    store,
    config,
    caller,
    tenancy,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** Signs params for the app (adding appId and a fresh timestamp unless given) and returns them all. */
export function signed(
  caller: Pick<App, 'appId' | 'appSecret'>,
  params: Record<string, string>,
  method?: SignatureMethod,
): Record<string, string> {
  const all: Record<string, string> = { appId: caller.appId, timestamp: String(Date.now()), ...params };
  if (method) all.signatureMethod = method;
  return { ...all, sign: sign(all, caller.appSecret) };
}

export function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/**
 * Runs a `live-ccv` command line in this process (as the bin would, through runCli), with only the given LIVE_CCV_*
 * variables set, and captures what it prints.
 */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { runCli } = await import('../src/cli/run.js');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVE_CCV_')));
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    env: { ...clean, ...env },
    isTTY: false,
  });
  return { code, stdout, stderr };
}
