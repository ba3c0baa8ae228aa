/**
 * Storage failures seen from the outside of any store adapter. `watchStorage` wraps a store so that a
 * failure classified by ./storage-failure.ts (a full disk, an unreachable PostgreSQL) reaches every caller
 * as a StorageUnavailableError (the catalogue's 503 with Retry-After; the CLI's one line) and marks the
 * store failing for readiness. The mark is cleared only by a write that works: a small meta write, tried
 * at most once a second while failing (by /readyz and by a background timer), so readiness recovers within
 * seconds of the disk or the database coming back, without a restart and without traffic.
 *
 * The wrapper is a Proxy over whatever methods the adapter has, so it follows the port as it changes.
 */
import type { Store } from './port.js';
import { asStorageFailure, StorageUnavailableError } from './storage-failure.js';

export interface StorageStatus {
  ok: boolean;
  /** the last failure's reason, while failing */
  error?: string;
  /** epoch ms of the first failure of the current run of failures */
  since?: number;
}

const PROBE_KEY = 'health.probe';
const PROBE_EVERY_MS = 1_000;

export class StorageHealth {
  private failure: { reason: string; since: number } | undefined;
  private probing: Promise<void> | undefined;
  private probedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  record(reason: string): void {
    this.failure = { reason, since: this.failure?.since ?? Date.now() };
    // Recover without traffic: keep probing in the background until a write works.
    this.timer ??= setInterval(() => void this.probe(), PROBE_EVERY_MS).unref();
  }

  status(): StorageStatus {
    const f = this.failure;
    return f ? { ok: false, error: f.reason, since: f.since } : { ok: true };
  }

  /** While failing, tries one small write (at most once a second); success clears the failure. */
  async probe(): Promise<StorageStatus> {
    if (!this.failure) return this.status();
    if (!this.probing && performance.now() - this.probedAt >= PROBE_EVERY_MS) {
      this.probedAt = performance.now();
      this.probing = this.write()
        .then(() => this.clear())
        .catch(() => undefined) // still failing: record() already ran through the watched call
        .finally(() => (this.probing = undefined));
    }
    await this.probing;
    return this.status();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private clear(): void {
    this.failure = undefined;
    this.stop();
  }
}

/** Read through any wrapper that forwards properties (metrics, secrets), so the health is found on the outside. */
const HEALTH = Symbol('live-ccv storage health');

/** The health of a watched store (or of a wrapper around one); undefined for a store that is not watched. */
export function storageHealth(store: object): StorageHealth | undefined {
  return (store as { [HEALTH]?: StorageHealth })[HEALTH];
}

/** The store, with storage failures classified and remembered (see the header). */
export function watchStorage<S extends Store>(store: S): S {
  const health = new StorageHealth(() => watched.setMeta(PROBE_KEY, String(Date.now())));
  const rethrow = (err: unknown): never => {
    const classified = asStorageFailure(err);
    if (classified instanceof StorageUnavailableError) health.record(classified.reason);
    throw classified;
  };
  const wrappers = new Map<PropertyKey, unknown>();
  const watched: S = new Proxy(store, {
    get(target, prop) {
      if (prop === HEALTH) return health;
      const made = wrappers.get(prop);
      if (made) return made;
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        wrapper = (...args: unknown[]) => {
          if (prop === 'close') health.stop();
          try {
            const result = (value as (...a: unknown[]) => unknown).apply(target, args);
            return result instanceof Promise ? result.catch(rethrow) : result;
          } catch (err) {
            return rethrow(err);
          }
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
  return watched;
}
