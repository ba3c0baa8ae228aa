/**
 * Applications, their users and the users' channels: the operations the admin API and the CLI share.
 * Failures are catalogue errors so both front ends report them the same way.
 */
import { APP_ID, APP_SECRET, CHANNEL_ID, USER_ID } from '@live-ccv/client/contract';
import { randomInt } from 'node:crypto';
import { errors } from '../errors.js';
import { ConflictError, type App, type AppPatch, type Channel, type TenancyStore, type User } from '../store/port.js';
import { isSealed } from '../secrets/key-ring.js';
import { hashIngestToken } from '../secrets/ingest-token.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomToken(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** An app as listed: no credentials, only whether it has its own ingest token. */
export type PublicApp = Omit<App, 'appSecret' | 'ingestTokenHash'> & { hasIngestToken: boolean };
export function publicApp({ appSecret: _secret, ingestTokenHash, ...rest }: App): PublicApp {
  return { ...rest, hasIngestToken: ingestTokenHash !== null };
}

/** What an administrator may change; the ingest token is given in plaintext and stored as its hash. */
export type AppChanges = Partial<Pick<App, 'name' | 'enabled' | 'rateLimit' | 'appSecret'>> & {
  ingestToken?: string | null;
};

function check(value: string, pattern: RegExp, name: string, rule: string): string {
  if (!pattern.test(value)) throw errors.param(`${name} must be ${rule}, got ${JSON.stringify(value)}`);
  return value;
}

/** A secret is never echoed back in an error; `enc:v1:` is reserved for sealed secrets at rest. */
function checkSecret(secret: string): string {
  if (!APP_SECRET.test(secret) || isSealed(secret)) {
    throw errors.param('appSecret must be 16-128 printable characters, not starting with "enc:v1:"');
  }
  return secret;
}

async function conflictAs<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ConflictError) throw errors.conflict(what);
    throw e;
  }
}

export class Tenancy {
  constructor(private readonly store: TenancyStore) {}

  async createApp(input: { name: string; appId?: string; appSecret?: string; rateLimit?: number | null }): Promise<App> {
    const name = input.name.trim();
    if (!name) throw errors.param('name is required');
    const appId = check(input.appId ?? randomToken(10), APP_ID, 'appId', '1-64 letters, digits, _ or -');
    const appSecret = checkSecret(input.appSecret ?? randomToken(32));
    return conflictAs(`application ${appId}`, () =>
      this.store.createApp({ appId, appSecret, name, rateLimit: input.rateLimit ?? null }),
    );
  }

  async app(appId: string): Promise<App> {
    const app = await this.store.getApp(appId);
    if (!app) throw errors.missing(`application ${appId}`);
    return app;
  }

  listApps(): Promise<App[]> {
    return this.store.listApps();
  }

  async updateApp(appId: string, changes: AppChanges): Promise<App> {
    await this.app(appId);
    const { ingestToken, ...patch }: AppChanges & AppPatch = { ...changes };
    if (patch.appSecret !== undefined) checkSecret(patch.appSecret);
    if (ingestToken !== undefined) patch.ingestTokenHash = ingestToken === null ? null : hashIngestToken(ingestToken);
    return (await this.store.updateApp(appId, patch))!;
  }

  /** A new random secret (or the given one); the old one stops working at once. */
  async rotateSecret(appId: string, appSecret = randomToken(32)): Promise<App> {
    return this.updateApp(appId, { appSecret });
  }

  async addUser(appId: string, userId: string): Promise<User> {
    check(userId, USER_ID, 'userId', '1-64 letters, digits, _ or -');
    await this.app(appId);
    return conflictAs(`user ${userId}`, () => this.store.addUser(appId, userId));
  }

  async listUsers(appId: string): Promise<User[]> {
    await this.app(appId);
    return this.store.listUsers(appId);
  }

  async user(userId: string): Promise<User> {
    const user = await this.store.getUser(userId);
    if (!user) throw errors.missing(`user ${userId}`);
    return user;
  }

  async channel(channelId: string): Promise<Channel> {
    const channel = await this.store.getChannel(channelId);
    if (!channel) throw errors.missing(`channel ${channelId}`);
    return channel;
  }

  async removeUser(userId: string): Promise<void> {
    if (!(await this.store.removeUser(userId))) throw errors.missing(`user ${userId}`);
  }

  async addChannel(userId: string, channelId: string): Promise<Channel> {
    check(channelId, CHANNEL_ID, 'channelId', 'digits');
    if (!(await this.store.getUser(userId))) throw errors.missing(`user ${userId}`);
    return conflictAs(`channel ${channelId}`, () => this.store.addChannel(userId, channelId));
  }

  async listChannels(userId: string): Promise<Channel[]> {
    await this.user(userId);
    return this.store.listChannels(userId);
  }

  async removeChannel(channelId: string): Promise<void> {
    if (!(await this.store.removeChannel(channelId))) throw errors.missing(`channel ${channelId}`);
  }

  /** Removes a channel only when it belongs to the given user (the nested admin path). */
  async removeUserChannel(userId: string, channelId: string): Promise<void> {
    const channel = await this.store.getChannel(channelId);
    if (!channel || channel.userId !== userId) throw errors.missing(`channel ${channelId} of user ${userId}`);
    await this.removeChannel(channelId);
  }
}
