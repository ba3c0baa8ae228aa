/**
 * The collector role of a cluster deployment: stateless. It validates heartbeats as the embedded ingest does
 * (known channel, token scope, pull type, lateness by its own clock) and answers 2xx only after JetStream
 * acknowledged every accepted heartbeat, within LIVE_CCV_PUBLISH_TIMEOUT_MS of the lateness check. That
 * deadline is half of what lets aggregators close minutes without losing an acknowledged beat (see
 * partition-worker.ts); a slower log gets a 503, and the sender retries.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../../config/config.js';
import { errors } from '../../errors.js';
import type { Store } from '../../store/port.js';
import { Admission, AdmittingCollector } from '../admission.js';
import { Background } from '../background.js';
import { ChannelDirectory } from '../channel-directory.js';
import type { HeartbeatLog } from '../log/port.js';
import type { IngestResult, IngestScope } from '../realtime-port.js';

export interface CollectorOptions {
  now?: () => number;
  onError?: (err: unknown, what: string) => void;
  /** run the channel reload timer */
  timers?: boolean;
}

export class ClusterCollector extends AdmittingCollector {
  private background: Background | undefined;
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(
    private readonly config: Config,
    private readonly log: HeartbeatLog,
    readonly directory: ChannelDirectory,
    now: () => number,
  ) {
    super(new Admission(config, directory, now));
  }

  static async open(config: Config, store: Store, log: HeartbeatLog, options: CollectorOptions = {}): Promise<ClusterCollector> {
    const c = new ClusterCollector(config, log, new ChannelDirectory(store), options.now ?? Date.now);
    await c.directory.reload();
    if (options.timers !== false) {
      c.background = new Background(
        options.onError ??
          ((err, what) => process.stderr.write(`live-ccv collector: ${what}: ${(err as Error)?.message ?? err}\n`)),
      );
      c.background.every(config.channelRefreshMs, 'reloading channels', () => c.directory.reload());
    }
    return c;
  }

  async submit(
    items: readonly unknown[],
    options: { scope: IngestScope; acceptTs: boolean; indexes?: readonly number[] },
  ): Promise<IngestResult> {
    const parsed = await this.admit(items, options.acceptTs);
    // The lateness check and the start of the deadline are one moment: acceptance means "checked before
    // end(m) + lateness, stored within the publish timeout after".
    const checkedAt = performance.now();
    const { accepted, rejected } = this.admission.decide(parsed, options.scope, this.admission.clockCutoff(), options.indexes);
    if (accepted.length > 0) {
      const append = this.log.append(accepted);
      this.inflight.add(append);
      try {
        await append;
      } catch (e) {
        throw Object.assign(errors.unavailable('heartbeat log'), { cause: e });
      } finally {
        this.inflight.delete(append);
      }
      if (performance.now() - checkedAt > this.config.publishTimeoutMs) {
        throw errors.unavailable(
          `heartbeat log (it took longer than LIVE_CCV_PUBLISH_TIMEOUT_MS=${this.config.publishTimeoutMs} to store)`,
        );
      }
    }
    return { accepted: accepted.length, rejected };
  }

  /** Stops accepting; waits for publishes in flight so their requests get their answers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.background?.stop();
    await Promise.allSettled([...this.inflight]);
  }
}
