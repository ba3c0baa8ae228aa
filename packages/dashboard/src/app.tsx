/**
 * The dashboard's shell: sign-in (operator token or partner appId + appSecret), then the views, one per hash route
 * (#/peak, #/accounts, #/live, #/manage), sharing the chosen application and date range.
 */
import { PolyvApiError } from '@live-ccv/client';
import { useEffect, useState } from 'preact/hooks';
import {
  type AppSummary,
  type Credentials,
  resumed,
  type SettingsData,
  settings as readSettings,
  signIn,
  signOut,
  type Source,
} from './source.js';
import { addDays, today } from './time.js';
import { AppPicker, ErrorBox, useTask } from './ui.js';
import { AccountsView } from './views/accounts.js';
import { LiveView } from './views/live.js';
import { ManageView } from './views/manage.js';
import { PeakView, type RangeState } from './views/peak.js';

type Route = 'peak' | 'accounts' | 'live' | 'manage';
const ROUTES: { route: Route; title: string; operatorOnly?: boolean }[] = [
  { route: 'peak', title: 'Peak across accounts' },
  { route: 'accounts', title: 'Channels and users' },
  { route: 'live', title: 'Live' },
  { route: 'manage', title: 'Manage', operatorOnly: true },
];

const routeOf = (hash: string): Route => {
  const r = hash.replace(/^#\/?/, '');
  return ROUTES.some((x) => x.route === r) ? (r as Route) : 'peak';
};

/** Why a sign-in failed, in words for the person at the keyboard. */
function signInError(e: unknown): string {
  if (e instanceof PolyvApiError) {
    if (e.errorCode === 'CCV_ERR_ADMIN_DISABLED')
      return 'This server has no admin token configured (LIVE_CCV_ADMIN_TOKEN), so operators cannot sign in.';
    if (e.errorCode === 'CCV_ERR_ADMIN_UNAUTHORIZED') return 'Wrong admin token.';
    if (e.errorCode === 'CCV_ERR_APP_NOT_FOUND') return 'No enabled application has this appId.';
    if (e.errorCode === 'CCV_ERR_INVALID_SIGNATURE') return 'Wrong appSecret for this appId.';
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function SignIn({ settings, onSignedIn }: { settings: SettingsData; onSignedIn: (s: Source) => void }) {
  const [role, setRole] = useState<Credentials['role']>(settings.adminApi ? 'operator' : 'partner');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const c: Credentials =
      role === 'operator'
        ? { role, token: String(f.get('token') ?? '') }
        : { role, appId: String(f.get('appId') ?? '').trim(), appSecret: String(f.get('appSecret') ?? '') };
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(c));
    } catch (err) {
      setError(signInError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>live-ccv</h1>
      <p class="hint">Concurrent viewers, per minute, in {settings.timeZone}.</p>
      <form onSubmit={submit} aria-label="sign in">
        <fieldset class="modes">
          <legend>Sign in as</legend>
          <label>
            <input type="radio" name="role" value="operator" checked={role === 'operator'} onChange={() => setRole('operator')} />{' '}
            Operator (admin token: every application)
          </label>
          <label>
            <input type="radio" name="role" value="partner" checked={role === 'partner'} onChange={() => setRole('partner')} />{' '}
            Partner (appId and appSecret: one application)
          </label>
        </fieldset>
        {role === 'operator' ? (
          <div class="field">
            <label for="token">Admin token</label>
            <input id="token" name="token" type="password" autoComplete="off" required />
            {!settings.adminApi && <p class="hint">This server has no admin token configured.</p>}
          </div>
        ) : (
          <>
            <div class="field">
              <label for="appId">App ID</label>
              <input id="appId" name="appId" autoComplete="username" required />
            </div>
            <div class="field">
              <label for="appSecret">App secret</label>
              <input id="appSecret" name="appSecret" type="password" autoComplete="off" required />
            </div>
          </>
        )}
        <p class="hint">Kept only in this tab's session; calls are signed in the browser, the secret is never sent.</p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function Shell({ source, settings, onSignOut }: { source: Source; settings: SettingsData; onSignOut: () => void }) {
  const [route, setRoute] = useState<Route>(routeOf(location.hash));
  const apps = useTask<AppSummary[]>();
  const [appId, setAppId] = useState('');
  const zoneToday = today(settings.timeZone);
  const [range, setRange] = useState<RangeState>({ start: addDays(zoneToday, -6), end: zoneToday });

  const loadApps = () =>
    apps.run(async () => {
      const list = await source.apps();
      setAppId((current) => (list.some((a) => a.appId === current) ? current : (list[0]?.appId ?? '')));
      return list;
    });
  useEffect(() => {
    void loadApps();
  }, [source]);
  useEffect(() => {
    const on = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);

  const routes = ROUTES.filter((r) => !r.operatorOnly || source.role === 'operator');
  const current = routes.some((r) => r.route === route) ? route : 'peak';
  const title = routes.find((r) => r.route === current)!.title;
  useEffect(() => {
    document.title = `${title} · live-ccv`;
  }, [title]);
  const list = apps.value ?? [];

  return (
    <>
      <header class="top">
        <span class="brand">live-ccv</span>
        <nav aria-label="views">
          {routes.map((r) => (
            <a key={r.route} href={`#/${r.route}`} aria-current={r.route === current ? 'page' : undefined}>
              {r.title}
            </a>
          ))}
        </nav>
        <div class="who">
          <span>{source.role === 'operator' ? 'Operator' : `Partner ${source.who}`}</span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <h1 class="visually-hidden">{title}</h1>
        <ErrorBox error={apps.error} />
        {current !== 'manage' && <AppPicker apps={list} appId={appId} onChange={setAppId} />}
        {current === 'manage' && source.admin ? (
          <ManageView admin={source.admin} settings={settings} appId={appId} onApps={() => void loadApps()} />
        ) : !appId ? (
          <p class="hint">{apps.busy ? 'Loading applications…' : 'No application yet.'}</p>
        ) : current === 'peak' ? (
          <PeakView key={appId} source={source} settings={settings} appId={appId} range={range} onRange={setRange} />
        ) : current === 'accounts' ? (
          <AccountsView key={appId} source={source} settings={settings} appId={appId} range={range} onRange={setRange} />
        ) : (
          <LiveView key={appId} source={source} settings={settings} appId={appId} />
        )}
      </main>
    </>
  );
}

export function App() {
  const boot = useTask<SettingsData>();
  const [source, setSource] = useState<Source>();
  const [resuming, setResuming] = useState(true);

  useEffect(() => {
    void boot.run(readSettings);
    const saved = resumed();
    if (!saved) {
      setResuming(false);
      return;
    }
    signIn(saved)
      .then(setSource, () => signOut())
      .finally(() => setResuming(false));
  }, []);

  if (boot.error) return <ErrorBox error={boot.error} />;
  if (!boot.value || resuming) return <p class="hint">Loading…</p>;
  if (!source) return <SignIn settings={boot.value} onSignedIn={setSource} />;
  return (
    <Shell
      source={source}
      settings={boot.value}
      onSignOut={() => {
        signOut();
        setSource(undefined);
      }}
    />
  );
}
