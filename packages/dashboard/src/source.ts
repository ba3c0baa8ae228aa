/**
 * Where the dashboard's numbers come from, one interface for both ways in: an operator's admin token (every
 * application, through the admin API) or a partner's appId and appSecret (its own application, every call signed in
 * the browser by @live-ccv/client). The views never know which.
 *
 * Credentials live in memory and in sessionStorage (the tab's session: gone when the tab closes, never written to
 * disk storage, never sent anywhere but this origin); signing out removes them.
 */
import {
  type Accounts as AccountsData,
  type AdminClient,
  createAdminClient,
  createClient,
  type Curves as CurvesData,
  type DashboardSettings as SettingsData,
  type Freshness as FreshnessData,
  type PolyvClient,
  type RealtimeViewers as RealtimeData,
} from '@live-ccv/client';

export type { AccountsData, CurvesData, FreshnessData, RealtimeData, SettingsData };

export interface AppSummary {
  appId: string;
  name: string;
  enabled: boolean;
}

export interface CurveQuery {
  start: string;
  end: string;
  pullType?: string | undefined;
}

export interface Source {
  readonly role: 'operator' | 'partner';
  /** who is signed in, for the header */
  readonly who: string;
  apps(): Promise<AppSummary[]>;
  accounts(appId: string): Promise<AccountsData>;
  usersCurve(appId: string, users: readonly string[], q: CurveQuery): Promise<CurvesData>;
  channelsCurve(appId: string, channels: readonly string[], q: CurveQuery): Promise<CurvesData>;
  realtime(appId: string): Promise<RealtimeData>;
  /** the admin client, for the operator's management view */
  readonly admin?: AdminClient;
}

export type Credentials = { role: 'operator'; token: string } | { role: 'partner'; appId: string; appSecret: string };

const base = () => location.origin;

function operator(token: string): Source {
  const admin = createAdminClient({ baseUrl: base(), adminToken: token, retries: 1 });
  return {
    role: 'operator',
    who: 'operator',
    admin,
    apps: async () => (await admin.listApps()).map(({ appId, name, enabled }) => ({ appId, name, enabled })),
    accounts: (appId) => admin.appAccounts({ appId }),
    usersCurve: (appId, users, q) => admin.appSummaryCurve({ appId, users: users.join(','), ...q }),
    channelsCurve: (appId, channelIds, q) => admin.appChannelsCurve({ appId, channelIds: channelIds.join(','), ...q }),
    realtime: (appId) => admin.appRealtimeViewers({ appId }),
  };
}

function partner(appId: string, appSecret: string): Source {
  const client: PolyvClient = createClient({ baseUrl: base(), appId, appSecret, retries: 1 });
  let own: AccountsData | undefined;
  const accounts = async () => (own = await client.accounts());
  // Many users make a long query string: curves go as a signed form POST.
  const post = { method: 'POST' } as const;
  return {
    role: 'partner',
    who: appId,
    apps: async () => {
      const a = own ?? (await accounts());
      return [{ appId: a.appId, name: a.name, enabled: true }];
    },
    accounts: () => accounts(),
    usersCurve: (_appId, users, q) => client.summaryCurve({ users: [...users], ...q }, post),
    channelsCurve: (_appId, channelIds, q) => client.channelsCurve({ channelIds: [...channelIds], ...q }, post),
    realtime: () => client.realtimeViewers(),
  };
}

const KEY = 'live-ccv.session';

/** A source for the credentials, checked with one call (a wrong secret or token fails here, not in a view). */
export async function signIn(c: Credentials): Promise<Source> {
  const source = c.role === 'operator' ? operator(c.token) : partner(c.appId, c.appSecret);
  await source.apps();
  sessionStorage.setItem(KEY, JSON.stringify(c));
  return source;
}

/** The tab's signed-in session after a reload, if any. */
export function resumed(): Credentials | undefined {
  try {
    const c = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Credentials | null;
    return c && (c.role === 'operator' || c.role === 'partner') ? c : undefined;
  } catch {
    return undefined;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** Plain reads of the unauthenticated endpoints (envelopes). */
async function envelope<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as { code: number; message: string; data: T };
  if (body.code !== 200) throw new Error(body.message || `${path} answered ${res.status}`);
  return body.data;
}

export const settings = () => envelope<SettingsData>('/dashboard/settings');
export const freshness = () => envelope<FreshnessData>('/freshness');
