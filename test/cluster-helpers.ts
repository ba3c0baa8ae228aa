/**
 * Fixtures for tests of the cluster ingest: the real NATS JetStream (LIVE_CCV_TEST_NATS_URL, default the
 * local server), a prefix per test, cleanup that removes every stream and bucket of that prefix, and real
 * `live-ccv serve` processes. An unreachable NATS fails the test that needs it: nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { connectCluster, type ClusterConnection } from '../src/ingest/cluster/nats.js';
import { spawnServer, type ServerProcess } from './server-process.js';

export const NATS_URL = process.env.LIVE_CCV_TEST_NATS_URL || 'nats://127.0.0.1:4222';
export { PG_URL } from './store-adapters.js';
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

/** A `live-ccv serve` process of one role set (test/server-process.ts), with a name and JSON helpers. */
export class RoleProcess {
  private constructor(
    readonly name: string,
    private readonly p: ServerProcess,
  ) {}

  static async start(name: string, env: Record<string, string>): Promise<RoleProcess> {
    return new RoleProcess(name, await spawnServer(env));
  }

  get url(): string {
    return this.p.url;
  }

  get running(): boolean {
    return this.p.child.exitCode === null && this.p.child.signalCode === null;
  }

  output(): string {
    return this.p.output();
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    return this.running ? this.p.stop(signal) : this.p.exited;
  }

  async json<T = unknown>(
    pathname: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: { code: number; message: string; data: T } }> {
    const res = await fetch(`${this.url}${pathname}`, init);
    return { status: res.status, body: (await res.json()) as { code: number; message: string; data: T } };
  }
}
