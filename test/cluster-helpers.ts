/**
 * Fixtures for tests of the cluster ingest: the real NATS JetStream (LIVE_CCV_TEST_NATS_URL, default the
 * local server), a prefix per test, cleanup that removes every stream and bucket of that prefix, and real
 * `live-ccv serve` processes. An unreachable NATS fails the test that needs it: nothing is skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { connect } from 'nats';
import { connectCluster, type ClusterConnection } from '../src/ingest/cluster/nats.js';

export const NATS_URL = process.env.LIVE_CCV_TEST_NATS_URL || 'nats://127.0.0.1:4222';
export const PG_URL = process.env.LIVE_CCV_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.LIVE_CCV_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A prefix (NATS names, Redis keys) and a PostgreSQL schema name no other test run uses. */
export function uniqueNames(name: string): { prefix: string; schema: string } {
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  return { prefix: `ccvt-${name}-${tag.replace('_', '-')}`, schema: `ccv_${name}_${tag}` };
}

export async function testCluster(prefix: string, role = 'test'): Promise<ClusterConnection> {
  try {
    return await connectCluster({ natsUrl: NATS_URL, natsPrefix: prefix }, role);
  } catch (e) {
    throw new Error(
      `NATS with JetStream is required by the cluster tests and is not usable at ${NATS_URL} (set LIVE_CCV_TEST_NATS_URL): ${(e as Error).message}`,
    );
  }
}

/** Names of the JetStream streams (KV buckets included) that belong to the prefix. */
export async function streamsOf(prefix: string): Promise<string[]> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    const names: string[] = [];
    for await (const s of jsm.streams.list()) {
      const n = s.config.name;
      if (n.startsWith(`${prefix}-`) || n.startsWith(`KV_${prefix}-`)) names.push(n);
    }
    return names;
  } finally {
    await nc.close();
  }
}

/** Deletes every stream and bucket of the prefix; returns what is left (nothing, unless deletion failed). */
export async function removeStreams(prefix: string): Promise<string[]> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    for (const n of await streamsOf(prefix)) await jsm.streams.delete(n);
  } finally {
    await nc.close();
  }
  return streamsOf(prefix);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, failing with `what` after `ms`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000, every = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(every);
  }
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** A real `live-ccv serve` process. */
export class ServerProcess {
  url = '';
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-30_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  static async start(name: string, env: Record<string, string>): Promise<ServerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...process.env, LIVE_CCV_HOST: '127.0.0.1', LIVE_CCV_PORT: '0', LIVE_CCV_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const s = new ServerProcess(name, child);
    s.url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(s.output);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        }
      };
      const timer = setInterval(check, 50);
      void s.exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`${name} exited (${code}) before listening:\n${s.output}`));
      });
    });
    return s;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  async json<T = unknown>(
    pathname: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: { code: number; message: string; data: T } }> {
    const res = await fetch(`${this.url}${pathname}`, init);
    return { status: res.status, body: (await res.json()) as { code: number; message: string; data: T } };
  }
}
