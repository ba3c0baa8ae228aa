/**
 * Partition ownership for aggregators: a lease per partition in a JetStream KV bucket whose entries expire
 * LIVE_CCV_LEASE_TTL_MS after their last write (the bucket's max age). The owner renews every third of that
 * with a compare-and-set on the revision it holds, so a renewal fails as soon as anyone else holds the key.
 *
 * Who should own what: every aggregator keeps a member key alive, and each partition's preferred owner is
 * the rendezvous-hash winner among the live members; an owner hands a partition to its preferred owner
 * (a few per round, so a join moves partitions gradually), and a free partition is taken by its preferred
 * owner or, when that one has not taken it for a round, by anyone. A dead owner's leases lapse after the TTL
 * and are taken by the survivors; a clean stop deletes them at once.
 *
 * Holding a lease is not what keeps counting exact (a paused owner may believe it still holds one): the
 * store checks the fencing token (bucket generation, acquisition revision) in every write.
 */
import { createHash } from 'node:crypto';
import type { KV, KvEntry } from 'nats';
import type { FenceToken } from '../../store/fence.js';
import type { ClusterConnection } from './nats.js';

export interface LeaseEvents {
  /** The lease is ours: start counting. A rejection gives the lease back. */
  acquired(partition: number, token: FenceToken): Promise<void>;
  /** The lease is gone (or being handed over): stop counting; resolves when stopped. */
  lost(partition: number, reason: string): Promise<void>;
}

export interface LeaseOptions {
  partitions: number;
  ttlMs: number;
  replicas: number;
  /** aggregator id: letters, digits, - and _ */
  id: string;
  onError(err: unknown, what: string): void;
}

interface Held {
  revision: number;
  token: FenceToken;
  renewedAt: number;
}

/** How many partitions an owner hands over per round when another member should own them. */
const HANDOVERS_PER_ROUND = 4;
const enc = new TextEncoder();

const score = (member: string, partition: number) => createHash('sha1').update(`${member}/${partition}`).digest().readUInt32BE(0);

/** The live member that should own the partition (rendezvous hashing: stable as members come and go). */
export function preferredOwner(members: readonly string[], partition: number): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const s = score(m, partition);
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

export class PartitionLeases {
  private readonly held = new Map<number, Held>();
  /** partitions seen free in the previous round (taken by anyone if still free) */
  private freeBefore = new Set<number>();
  /** members seen in the previous round (a new member gets partitions only once seen twice) */
  private membersBefore = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly busy = new Set<number>();

  private constructor(
    private readonly conn: ClusterConnection,
    private readonly kv: KV,
    private readonly generation: number,
    private readonly options: LeaseOptions,
    private readonly events: LeaseEvents,
  ) {}

  static async open(conn: ClusterConnection, options: LeaseOptions, events: LeaseEvents): Promise<PartitionLeases> {
    const kv = await openBucket(conn, conn.names.leases, options.ttlMs, options.replicas);
    const status = await kv.status();
    // The bucket's creation time orders tokens across a bucket recreated from scratch.
    const generation = Date.parse(status.streamInfo.created);
    const effective = { ...options, ttlMs: status.ttl > 0 ? status.ttl : options.ttlMs };
    return new PartitionLeases(conn, kv, generation, effective, events);
  }

  /** Partitions this aggregator holds a lease on. */
  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  start(): void {
    const tick = () => {
      this.round = this.round.then(() => this.runRound()).catch((e) => this.options.onError(e, 'partition leases'));
    };
    tick();
    this.timer = setInterval(tick, Math.max(200, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  /** Gives every lease back (after the owners stopped counting) and leaves the membership. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    await Promise.all(this.owned().map((p) => this.giveBack(p, 'stopping')));
    await this.kv.delete(this.memberKey(this.options.id)).catch(() => {});
  }

  /** The store refused our token: someone else owns the partition; stop without touching the lease. */
  async fenced(partition: number): Promise<void> {
    if (!this.held.delete(partition)) return;
    await this.events.lost(partition, 'fenced by a newer owner').catch((e) => this.options.onError(e, 'stopping a partition'));
  }

  private memberKey(id: string) {
    return `member.${id}`;
  }

  private leaseKey(p: number) {
    return `partition.${p}`;
  }

  private async runRound(): Promise<void> {
    if (this.stopped) return;
    await this.kv.put(this.memberKey(this.options.id), enc.encode(String(Date.now())));
    await this.renew();
    const { members, owners } = await this.survey();
    if (this.stopped) return;
    const stable = members.filter((m) => m === this.options.id || this.membersBefore.has(m));
    this.membersBefore = new Set(members);

    let handovers = 0;
    for (const p of this.owned()) {
      const preferred = preferredOwner(stable, p);
      if (preferred !== undefined && preferred !== this.options.id && handovers < HANDOVERS_PER_ROUND) {
        handovers++;
        await this.giveBack(p, `handed over to ${preferred}`);
      }
    }

    const free = new Set<number>();
    for (let p = 0; p < this.options.partitions; p++) {
      if (owners.has(p) || this.held.has(p) || this.busy.has(p)) continue;
      free.add(p);
      const mine = preferredOwner(stable.length > 0 ? stable : [this.options.id], p) === this.options.id;
      if (mine || this.freeBefore.has(p)) await this.acquire(p);
    }
    this.freeBefore = free;
  }

  private async renew(): Promise<void> {
    const now = Date.now();
    for (const [p, h] of [...this.held]) {
      try {
        h.revision = await this.kv.update(this.leaseKey(p), enc.encode(this.options.id), h.revision);
        h.renewedAt = now;
      } catch (e) {
        // A wrong-revision answer means the lease is someone else's now; an outage longer than the TTL
        // means it may be: either way stop counting (the fence keeps a late writer out regardless).
        if (/wrong last sequence/i.test(String((e as Error).message)) || now - h.renewedAt >= this.options.ttlMs) {
          this.held.delete(p);
          await this.events.lost(p, 'lease lost').catch((err) => this.options.onError(err, 'stopping a partition'));
        } else this.options.onError(e, `renewing the lease of partition ${p} (will retry)`);
      }
    }
  }

  /** Live members and the partitions someone holds, from one stream-info request plus a get per member. */
  private async survey(): Promise<{ members: string[]; owners: Set<number> }> {
    const info = await this.conn.jsm.streams.info(`KV_${this.conn.names.leases}`, {
      subjects_filter: `$KV.${this.conn.names.leases}.>`,
    });
    const prefix = `$KV.${this.conn.names.leases}.`;
    const memberKeys: string[] = [];
    const leaseKeys: number[] = [];
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const key = subject.slice(prefix.length);
      if (key.startsWith('member.')) memberKeys.push(key);
      else if (key.startsWith('partition.')) leaseKeys.push(Number(key.slice('partition.'.length)));
    }
    const live = (e: KvEntry | null) => e !== null && e.operation === 'PUT';
    const members = (
      await Promise.all(memberKeys.map(async (k) => (live(await this.kv.get(k)) ? k.slice(7) : undefined)))
    ).filter((m): m is string => m !== undefined);
    const owners = new Set<number>();
    await Promise.all(
      leaseKeys.map(async (p) => {
        if (live(await this.kv.get(this.leaseKey(p)))) owners.add(p);
      }),
    );
    return { members: members.sort(), owners };
  }

  private async acquire(p: number): Promise<void> {
    let revision: number;
    try {
      revision = await this.kv.create(this.leaseKey(p), enc.encode(this.options.id));
    } catch {
      return; // someone else took it first
    }
    const token: FenceToken = { key: this.conn.names.fenceKey(p), generation: this.generation, epoch: revision };
    this.held.set(p, { revision, token, renewedAt: Date.now() });
    this.busy.add(p);
    try {
      await this.events.acquired(p, token);
    } catch (e) {
      this.options.onError(e, `starting partition ${p} (lease given back)`);
      await this.giveBack(p, 'start failed');
    } finally {
      this.busy.delete(p);
    }
  }

  private async giveBack(p: number, reason: string): Promise<void> {
    const h = this.held.get(p);
    if (!h) return;
    this.held.delete(p);
    await this.events.lost(p, reason).catch((e) => this.options.onError(e, 'stopping a partition'));
    // Only our own revision is deleted: a lease someone else took meanwhile stays theirs.
    await this.kv.delete(this.leaseKey(p), { previousSeq: h.revision }).catch(() => {});
  }
}

/** Binds a KV bucket, creating it when missing (several processes may race to create it). */
export async function openBucket(conn: ClusterConnection, name: string, ttlMs: number, replicas: number): Promise<KV> {
  const js = conn.nc.jetstream();
  try {
    return await js.views.kv(name, { ttl: ttlMs, history: 1, replicas });
  } catch (e) {
    if (!/already in use/i.test(String((e as Error).message))) throw e;
    return js.views.kv(name, { bindOnly: true });
  }
}
