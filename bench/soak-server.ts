/**
 * The real server for the soak benches: a `live-ccv serve` child process on a fresh data dir, seeded with
 * one application, its users and channels, and read from /proc for its memory (VmRSS now, VmHWM peak).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { cpuMs, memoryOf, serve } from './serve.js';

export const INGEST_TOKEN = 'soak-ingest-token-0001';

/** The value after `--name` on the command line. */
export function flag(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export const CALLER = { appId: 'soakapp01', appSecret: 'soak-secret-00000000001' };

export interface SoakServer {
  url: string;
  /** resident memory now and at its peak, in bytes */
  memory(): { rss: number; hwm: number };
  /** CPU seconds the server used so far (user + system) */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Seeds users u0..u(users-1), each owning `channelsPerUser` channels named 100000 + n. */
export async function startSoakServer(options: {
  users: number;
  channelsPerUser: number;
  env?: Record<string, string>;
}): Promise<SoakServer & { users: string[]; channels: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-ccv-soak-'));
  const store = new SqliteStore(path.join(dir, 'live-ccv.sqlite'));
  const tenancy = new Tenancy(store);
  await tenancy.createApp({ name: 'soak', ...CALLER });
  const users: string[] = [];
  const channels: string[] = [];
  for (let u = 0; u < options.users; u++) {
    const userId = `u${u}`;
    await tenancy.addUser(CALLER.appId, userId);
    users.push(userId);
    for (let c = 0; c < options.channelsPerUser; c++) {
      const channelId = String(100_000 + channels.length);
      await tenancy.addChannel(userId, channelId);
      channels.push(channelId);
    }
  }
  await store.close();
  const server = await serve(dir, { LIVE_CCV_INGEST_TOKEN: INGEST_TOKEN, ...options.env }, 'soak');
  return {
    url: server.url,
    users,
    channels,
    memory: () => memoryOf(server.pid),
    cpuSeconds: () => cpuMs(server.pid) / 1000,
    stop: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
