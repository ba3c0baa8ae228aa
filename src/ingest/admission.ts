/**
 * Which heartbeats of a request are accepted: shape, ids and pull type (./heartbeat.ts), a known channel the
 * token may send, and a minute that has not closed. Shared by the embedded ingest and the cluster's
 * collectors; what "closed" means is the caller's (a cut-off minute it passes in).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/config.js';
import { MINUTE_MS } from '../domain/calendar.js';
import type { ChannelDirectory } from './channel-directory.js';
import { minuteOf, parseHeartbeat, type Heartbeat } from './heartbeat.js';
import { errors } from '../errors.js';
import type { HeartbeatCollector, IngestRejection, IngestResult, IngestScope } from './realtime-port.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface Parsed {
  /** the receive time the items were checked against */
  now: number;
  items: (Heartbeat | string)[];
}

export interface Decision {
  accepted: Heartbeat[];
  rejected: IngestRejection[];
}

export class Admission {
  private readonly pullTypes: ReadonlySet<string>;

  constructor(
    private readonly config: Pick<Config, 'pullTypes' | 'ingestToken' | 'allowedLatenessMs'>,
    readonly directory: ChannelDirectory,
    private readonly now: () => number,
  ) {
    this.pullTypes = new Set(config.pullTypes);
  }

  authorize(token: string): IngestScope | undefined {
    const global = this.config.ingestToken;
    if (global && timingSafeEqual(digest(token), digest(global))) return { kind: 'global' };
    const appId = this.directory.appOfToken(token);
    return appId === undefined ? undefined : { kind: 'app', appId };
  }

  /** True when some token could authorize a batch (else the endpoint is disabled). */
  tokensConfigured(): boolean {
    return this.config.ingestToken !== '' || this.directory.hasAppTokens();
  }

  /** Parses every item and looks channels the directory does not know up in the store. */
  async parse(items: readonly unknown[], acceptTs: boolean): Promise<Parsed> {
    const now = this.now();
    const parsed = items.map((raw) => parseHeartbeat(raw, this.pullTypes, now, acceptTs));
    const unknown = new Set<string>();
    for (const p of parsed)
      if (typeof p !== 'string' && this.directory.owner(p.channelId) === undefined) unknown.add(p.channelId);
    if (unknown.size > 0) await this.directory.resolve(unknown, now);
    return { now, items: parsed };
  }

  /** Splits parsed items into accepted heartbeats and refusals; synchronous, so a caller can hold a barrier. */
  decide(parsed: Parsed, scope: IngestScope, closedBefore: number, indexes?: readonly number[]): Decision {
    const rejected: IngestRejection[] = [];
    const accepted: Heartbeat[] = [];
    for (let i = 0; i < parsed.items.length; i++) {
      const p = parsed.items[i]!;
      const reason = typeof p === 'string' ? p : this.refusal(p, scope, closedBefore);
      if (reason !== undefined) rejected.push({ index: indexes?.[i] ?? i, reason });
      else accepted.push(p as Heartbeat);
    }
    return { accepted, rejected };
  }

  /** The first open minute by the clock: minutes that ended more than the allowed lateness ago are closed. */
  clockCutoff(now = this.now()): number {
    return Math.floor((now - this.config.allowedLatenessMs) / MINUTE_MS);
  }

  private refusal(b: Heartbeat, scope: IngestScope, closedBefore: number): string | undefined {
    const owner = this.directory.owner(b.channelId);
    if (owner === undefined) return `unknown channel: ${b.channelId}`;
    if (scope.kind === 'app' && owner !== scope.appId) return `illegal channel id: ${b.channelId}`;
    const m = minuteOf(b.ts);
    if (m < closedBefore) return `late: minute ${new Date(m * MINUTE_MS).toISOString()} is already closed`;
    return undefined;
  }
}

/**
 * What every collector (the embedded ingest, a cluster collector) does alike: token checks through the
 * admission, and parsing a request's items unless it is shutting down.
 */
export abstract class AdmittingCollector implements HeartbeatCollector {
  protected stopped = false;

  protected constructor(protected readonly admission: Admission) {}

  authorize(token: string): IngestScope | undefined {
    return this.admission.authorize(token);
  }

  tokensConfigured(): boolean {
    return this.admission.tokensConfigured();
  }

  abstract submit(
    items: readonly unknown[],
    options: { scope: IngestScope; acceptTs: boolean; indexes?: readonly number[] },
  ): Promise<IngestResult>;

  protected admit(items: readonly unknown[], acceptTs: boolean): Promise<Parsed> {
    if (this.stopped) return Promise.reject(errors.unavailable('heartbeat ingest (shutting down)'));
    return this.admission.parse(items, acceptTs);
  }
}
