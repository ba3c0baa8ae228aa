/**
 * Secrets at rest, for every store adapter:
 * - `sealSecrets(store, ring)` wraps a store so app secrets are sealed on the way in and opened on the
 *   way out: services and the signed API see plaintext, the database only ever holds sealed values
 *   (plaintext only when LIVE_CCV_SECRET_KEY is empty). Opened values are memoised by their sealed form,
 *   so the signed API's per-request getApp costs no decryption after the first.
 * - `rewriteAtRest(rawStore, ring)` brings stored credentials to the form the ring asks for: every secret
 *   sealed with the ring's first key (or plaintext when the ring is empty and `plaintext` is asked), every
 *   ingest token hashed. Each app is rewritten with a compare-and-set, so a rotation made meanwhile by
 *   another process wins. `serve` runs it at start; `live-ccv secrets rotate-key` runs it on demand.
 */
import { randomBytes } from 'node:crypto';
import type { App, Store, StoredCredentials } from '../store/port.js';
import { isTokenHash, storedTokenHash } from './ingest-token.js';
import { isSealed, KeyRing, SecretKeyError } from './key-ring.js';

const MEMO_LIMIT = 10_000;
/** Stands in for a secret that cannot be opened: random per process, so no request can be signed with it. */
const UNUSABLE_SECRET = randomBytes(32).toString('hex');

/**
 * The store with app secrets sealed at rest by the ring. A secret the ring cannot open (a key missing from
 * LIVE_CCV_SECRET_KEY) fails closed: the app gets an unguessable secret of this process, so its calls are
 * refused as "invalid signature." while listing and the other secret-free commands keep working, and the
 * problem is reported once per app. (`serve` refuses to start in that state: see rewriteAtRest.)
 */
export function sealSecrets<S extends Store>(
  store: S,
  ring: KeyRing,
  onUnreadable: (e: SecretKeyError) => void = (e) => process.stderr.write(`live-ccv: ${e.message}\n`),
): S {
  const memo = new Map<string, string>();
  const reported = new Set<string>();
  const open = (app: App): App => {
    if (!isSealed(app.appSecret)) return app;
    const key = `${app.appId}\0${app.appSecret}`;
    let plain = memo.get(key);
    if (plain === undefined) {
      try {
        plain = ring.open(app.appSecret, app.appId);
      } catch (e) {
        if (!(e instanceof SecretKeyError)) throw e;
        if (!reported.has(key)) {
          reported.add(key);
          onUnreadable(e);
        }
        return { ...app, appSecret: UNUSABLE_SECRET };
      }
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, plain);
    }
    return { ...app, appSecret: plain };
  };
  const overrides: Partial<Store> = {
    createApp: async (app) => open(await store.createApp({ ...app, appSecret: ring.seal(app.appSecret, app.appId) })),
    getApp: async (appId) => {
      const app = await store.getApp(appId);
      return app && open(app);
    },
    listApps: async () => (await store.listApps()).map(open),
    updateApp: async (appId, patch) => {
      const sealed = patch.appSecret === undefined ? patch : { ...patch, appSecret: ring.seal(patch.appSecret, appId) };
      const app = await store.updateApp(appId, sealed);
      return app && open(app);
    },
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Store];
      const made = bound.get(prop);
      if (made) return made;
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (!fn) bound.set(prop, (fn = value.bind(target)));
      return fn;
    },
  });
}

export interface AtRestReport {
  apps: number;
  /** secrets (re)sealed with the ring's first key */
  sealed: number;
  /** secrets written back in plaintext (only with `plaintext`) */
  opened: number;
  /** ingest tokens that were stored in plaintext and are now hashed */
  hashedTokens: number;
  /** apps changed by someone else meanwhile (left as they are: their new value is already current) */
  raced: number;
}

/** How stored credentials are kept now: secrets by sealing key id ('plaintext' for none), tokens by form. */
export async function atRestStatus(raw: Store): Promise<{ secrets: Record<string, number>; tokens: Record<string, number> }> {
  const secrets: Record<string, number> = {};
  const tokens: Record<string, number> = {};
  for (const app of await raw.listApps()) {
    const key = KeyRing.keyIdOf(app.appSecret) ?? 'plaintext';
    secrets[key] = (secrets[key] ?? 0) + 1;
    if (app.ingestTokenHash !== null) {
      const form = isTokenHash(app.ingestTokenHash) ? 'hashed' : 'plaintext';
      tokens[form] = (tokens[form] ?? 0) + 1;
    }
  }
  return { secrets, tokens };
}

/**
 * Rewrites stored credentials on the raw (unwrapped) store as described in the header. Throws a
 * SecretKeyError naming the apps whose secret the ring cannot open, before writing anything.
 */
export async function rewriteAtRest(raw: Store, ring: KeyRing, options: { plaintext?: boolean } = {}): Promise<AtRestReport> {
  const seal = !options.plaintext && !ring.empty;
  const apps = await raw.listApps();
  const unreadable: string[] = [];
  const plan: { appId: string; from: StoredCredentials; to: StoredCredentials }[] = [];
  for (const app of apps) {
    let secret: string;
    try {
      secret = ring.open(app.appSecret, app.appId);
    } catch (e) {
      if (!(e instanceof SecretKeyError)) throw e;
      unreadable.push(e.message);
      continue;
    }
    const keyId = KeyRing.keyIdOf(app.appSecret);
    const keep = seal ? keyId === ring.sealingKeyId : keyId === undefined;
    const appSecret = keep ? app.appSecret : seal ? ring.seal(secret, app.appId) : secret;
    const hash = app.ingestTokenHash;
    const ingestTokenHash = hash === null ? null : storedTokenHash(hash);
    if (appSecret !== app.appSecret || ingestTokenHash !== hash) {
      plan.push({
        appId: app.appId,
        from: { appSecret: app.appSecret, ingestTokenHash: hash },
        to: { appSecret, ingestTokenHash },
      });
    }
  }
  if (unreadable.length > 0) {
    const more = unreadable.length > 1 ? ` (and ${unreadable.length - 1} more application(s))` : '';
    throw new SecretKeyError(`${unreadable[0]}${more}`);
  }
  const report: AtRestReport = { apps: apps.length, sealed: 0, opened: 0, hashedTokens: 0, raced: 0 };
  for (const { appId, from, to } of plan) {
    if (!(await raw.swapCredentials(appId, from, to))) {
      report.raced++;
      continue;
    }
    if (to.appSecret !== from.appSecret) {
      if (seal) report.sealed++;
      else report.opened++;
    }
    if (to.ingestTokenHash !== from.ingestTokenHash) report.hashedTokens++;
  }
  return report;
}
