/**
 * The storage port: everything the services need from a store, and nothing about how it keeps it.
 * Adapters: ./sqlite (embedded default) and ./postgres. test/store-contract.test.ts runs one suite
 * against every adapter.
 */
import type { Peak, CurveSpan } from '../domain/peak.js';
import type { EpochMinute } from '../domain/units.js';
import type { CacheStats } from './curve-cache.js';
import type { FenceToken } from './fence.js';
import type { MinuteBatch } from './group-minutes.js';

export interface App {
  appId: string;
  /** as stored: sealed (secrets/key-ring.ts) when a secret key is set; the sealing store decorator opens it */
  appSecret: string;
  name: string;
  enabled: boolean;
  /** requests per rate window; null uses the configured default */
  rateLimit: number | null;
  /**
   * `sha256:<hex>` of the bearer token for POST /v1/heartbeats scoped to this app's channels (never the
   * token itself); null when none
   */
  ingestTokenHash: string | null;
  createdAt: number;
}

export interface NewApp {
  appId: string;
  appSecret: string;
  name: string;
  enabled?: boolean;
  rateLimit?: number | null;
  ingestTokenHash?: string | null;
}

export type AppPatch = Partial<Pick<App, 'name' | 'enabled' | 'rateLimit' | 'appSecret' | 'ingestTokenHash'>>;

/** An app's credentials exactly as stored. */
export interface StoredCredentials {
  appSecret: string;
  ingestTokenHash: string | null;
}

export interface User {
  userId: string;
  appId: string;
  createdAt: number;
}

export interface Channel {
  channelId: string;
  userId: string;
  appId: string;
  createdAt: number;
}

/** A closed minute's final CCV for one channel and pull type. `minute` is an epoch minute (ms / 60000). */
export interface ChannelMinute {
  channelId: string;
  pullType: string;
  minute: EpochMinute;
  ccv: number;
}

export type CurveKind = 'user' | 'channel';

/** Thrown when a create would overwrite an existing entity. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Applications, users and channels: who owns what. */
export interface TenancyStore {
  createApp(app: NewApp): Promise<App>;
  getApp(appId: string): Promise<App | undefined>;
  listApps(): Promise<App[]>;
  updateApp(appId: string, patch: AppPatch): Promise<App | undefined>;
  /**
   * Replaces the app's stored credentials only while they still equal `expected` (compare and set), so a
   * rewrite at rest (sealing, re-sealing, hashing) cannot undo a rotation made meanwhile. False when they
   * changed or the app is gone.
   */
  swapCredentials(appId: string, expected: StoredCredentials, next: StoredCredentials): Promise<boolean>;

  /** Throws ConflictError when the user id exists (in any app). */
  addUser(appId: string, userId: string): Promise<User>;
  getUser(userId: string): Promise<User | undefined>;
  listUsers(appId: string): Promise<User[]>;
  /** The subset of userIds owned by appId. */
  ownedUsers(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  /** Removes the user and its channels' ownership (the channels' minute data stays). */
  removeUser(userId: string): Promise<boolean>;

  /** Throws ConflictError when the channel belongs to a user already. */
  addChannel(userId: string, channelId: string): Promise<Channel>;
  getChannel(channelId: string): Promise<Channel | undefined>;
  listChannels(userId: string): Promise<Channel[]>;
  listAllChannels(): Promise<Channel[]>;
  /** The subset of channelIds that exist (have an owner), in one query (bulk import checks each id once). */
  existingChannels(channelIds: readonly string[]): Promise<Set<string>>;
  /** The subset of channelIds owned (through their users) by appId, in one lookup. */
  ownedChannels(appId: string, channelIds: readonly string[]): Promise<Set<string>>;
  removeChannel(channelId: string): Promise<boolean>;
}

/** Per-minute CCV: set by the aggregator and imports, read by every concurrency endpoint. */
export interface CurveStore {
  /**
   * Sets final per-minute CCV (set, not add: writing the same rows twice changes nothing). The owning
   * user's curve follows in the same transaction. Later rows for the same key win.
   */
  setChannelMinutes(rows: readonly ChannelMinute[]): Promise<void>;
  /**
   * The same for rows already grouped by channel-day (bulk import): each channel-day, user-day and hour block
   * is written once, in one transaction, whatever the order the rows came in.
   */
  setMinuteBatch(batch: MinuteBatch): Promise<void>;
  /**
   * Makes the token the owner of its key unless a newer token has claimed it (then throws FencedError), and
   * returns the progress saved with the key by the last fenced write (undefined when none).
   */
  claimFence(token: FenceToken): Promise<string | undefined>;
  /**
   * setChannelMinutes and saving `progress` with the token's key, in one transaction that first checks the
   * key is still claimed by exactly this token (else throws FencedError and writes nothing).
   */
  setChannelMinutesFenced(rows: readonly ChannelMinute[], token: FenceToken, progress: string): Promise<void>;
  /** The progress saved with every fence key starting with `keyPrefix` (undefined for a key not yet written). */
  listFenceProgress(keyPrefix: string): Promise<Map<string, string | undefined>>;
  /**
   * Per-minute curves of users or channels overlapping the epoch-minute range [from, to), as segments
   * keyed by pull type (optionally only one pull type). A user's curve is the sum of its channels'.
   */
  readCurves(kind: CurveKind, ids: readonly string[], from: number, to: number, pullType?: string): Promise<CurveSpan[]>;
  /**
   * The summary's math: per pull type, the largest per-minute sum of the users' curves over [from, to) and the
   * earliest minute reaching it, sorted by pull type; pull types never above zero are left out. Equal to
   * peaksOfSum(readCurves('user', ...)), computed from hour maxima without reading every curve.
   */
  userPeaks(userIds: readonly string[], from: number, to: number): Promise<Peak[]>;
}

/** Small durable key/value state (e.g. the ingest log's flushed watermark). */
export interface MetaStore {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

/** A whole store: what one adapter (SQLite, PostgreSQL) provides. Services ask for the part they use. */
export interface Store extends TenancyStore, CurveStore, MetaStore {
  readonly kind: string;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Figures of the store's in-memory curve caches (none for stores without one), for metrics. */
  cacheStats(): CacheStats[];
}
