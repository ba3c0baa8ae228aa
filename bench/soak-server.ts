/**
 * The real server for the soak benches: a `live-ccv serve` child process on a fresh data dir, seeded with
 * one application, its users and channels, and read from /proc for its memory (VmRSS now, VmHWM peak).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

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
  child: ChildProcess;
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
  // the bench's own node flags (tsx, and the condition that resolves the client package to its sources)
  const child = spawn(process.execPath, [...process.execArgv, 'src/cli/main.ts', 'serve'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      LIVE_CCV_DATA_DIR: dir,
      LIVE_CCV_HOST: '127.0.0.1',
      LIVE_CCV_PORT: '0',
      LIVE_CCV_INGEST_TOKEN: INGEST_TOKEN,
      LIVE_CCV_DEMO: 'false',
      LIVE_CCV_LOG_LEVEL: 'info', // the production default: logging is part of the cost
      LIVE_CCV_IP_LIMIT: '1000000',
      LIVE_CCV_APP_LIMIT: '1000000',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let found = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (found) return; // the log keeps flowing and is dropped; reading it keeps the pipe from blocking the server
      out += d.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        found = true;
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const status = () => fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (text: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
  const ticks = 100; // USER_HZ on Linux
  return {
    url,
    child,
    users,
    channels,
    memory: () => {
      const s = status();
      return { rss: kb(s, 'VmRSS'), hwm: kb(s, 'VmHWM') };
    },
    cpuSeconds: () => {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
