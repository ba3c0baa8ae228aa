/**
 * Manage (operators only): applications, their users and the users' channels through the admin API. Create,
 * enable or disable, rotate a secret (shown once, here, and nowhere else), set a rate limit; add and remove users
 * and channels.
 */
import type { AdminClient } from '@live-ccv/client';
import { useEffect, useState } from 'preact/hooks';
import { download } from '../csv.js';
import type { AccountsData, SettingsData } from '../source.js';
import { label } from '../time.js';
import { ErrorBox, Section, useTask } from '../ui.js';

type AppRow = Awaited<ReturnType<AdminClient['listApps']>>[number];

/** A secret on screen once: after "Done" it is gone from the page and from memory. */
function SecretOnce({ appId, appSecret, onDone }: { appId: string; appSecret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret-once" role="status">
      <p>
        The secret of <strong>{appId}</strong> is shown only now. Copy it and keep it somewhere safe:
      </p>
      <p>
        <code class="secret" data-app-id={appId}>
          {appSecret}
        </code>
      </p>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(appSecret).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy secret'}
      </button>{' '}
      <button type="button" class="primary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

export function ManageView({
  admin,
  settings,
  appId,
  onApps,
}: {
  admin: AdminClient;
  settings: SettingsData;
  appId: string;
  onApps: () => void;
}) {
  const apps = useTask<AppRow[]>();
  const act = useTask<unknown>();
  const [selected, setSelected] = useState(appId);
  const [secret, setSecret] = useState<{ appId: string; appSecret: string }>();
  const [limits, setLimits] = useState<Record<string, string>>({});

  const reload = () => apps.run(() => admin.listApps());
  useEffect(() => {
    void reload();
  }, [admin]);

  const change = async (work: () => Promise<unknown>) => {
    await act.run(work);
    await reload();
    onApps();
  };

  const create = (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = new FormData(form);
    const rate = String(f.get('rateLimit') ?? '').trim();
    const id = String(f.get('appId') ?? '').trim();
    void change(async () => {
      const made = await admin.createApp({
        name: String(f.get('name') ?? ''),
        ...(id ? { appId: id } : {}),
        ...(rate ? { rateLimit: Number(rate) } : {}),
      });
      setSecret({ appId: made.appId, appSecret: made.appSecret });
      setSelected(made.appId);
      form.reset();
    });
  };

  const rows = apps.value ?? [];
  return (
    <div class="view">
      <Section
        title="Applications"
        actions={
          <button
            type="button"
            disabled={rows.length === 0}
            onClick={() =>
              download(
                'applications.csv',
                ['appId', 'name', 'enabled', 'rateLimit', 'createdAt', 'hasIngestToken'],
                rows.map((a) => [
                  a.appId,
                  a.name,
                  a.enabled,
                  a.rateLimit,
                  label(a.createdAt, settings.timeZone),
                  a.hasIngestToken,
                ]),
              )
            }
          >
            Download applications (CSV)
          </button>
        }
      >
        <ErrorBox error={apps.error ?? act.error} />
        {secret && <SecretOnce {...secret} onDone={() => setSecret(undefined)} />}
        <form class="inline-form" onSubmit={create} aria-label="create an application">
          <div class="field">
            <label for="new-app-name">Name</label>
            <input id="new-app-name" name="name" required />
          </div>
          <div class="field">
            <label for="new-app-id">App ID (optional)</label>
            <input id="new-app-id" name="appId" pattern="[A-Za-z0-9_\-]{1,64}" />
          </div>
          <div class="field">
            <label for="new-app-rate">Rate limit (optional)</label>
            <input id="new-app-rate" name="rateLimit" type="number" min={1} inputMode="numeric" />
          </div>
          <button type="submit" class="primary" disabled={act.busy}>
            Create application
          </button>
        </form>
        <div class="table-wrap">
          <table class="apps">
            <caption>Every application (secrets are never listed)</caption>
            <thead>
              <tr>
                <th scope="col">App ID</th>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Rate limit (requests per window)</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => {
                const limitId = `limit-${a.appId}`;
                return (
                  <tr key={a.appId} data-app-id={a.appId} aria-selected={a.appId === selected}>
                    <th scope="row">
                      <button type="button" class="link" onClick={() => setSelected(a.appId)} aria-pressed={a.appId === selected}>
                        {a.appId}
                      </button>
                    </th>
                    <td>{a.name}</td>
                    <td>{a.enabled ? 'enabled' : 'disabled'}</td>
                    <td>
                      <form
                        class="limit-form"
                        onSubmit={(e) => {
                          e.preventDefault();
                          const text = (limits[a.appId] ?? '').trim();
                          void change(() => admin.updateApp({ appId: a.appId, rateLimit: text ? Number(text) : null }));
                        }}
                      >
                        <label for={limitId} class="visually-hidden">
                          Rate limit of {a.appId}
                        </label>
                        <input
                          id={limitId}
                          type="number"
                          min={1}
                          placeholder="default"
                          value={limits[a.appId] ?? (a.rateLimit === null ? '' : String(a.rateLimit))}
                          onInput={(e) => setLimits({ ...limits, [a.appId]: (e.target as HTMLInputElement).value })}
                        />
                        <button type="submit">Set</button>
                      </form>
                    </td>
                    <td>{label(a.createdAt, settings.timeZone)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        onClick={() => void change(() => admin.updateApp({ appId: a.appId, enabled: !a.enabled }))}
                      >
                        {a.enabled ? 'Disable' : 'Enable'}
                      </button>
                      <button
                        type="button"
                        onClick={() => {
                          if (!confirm(`Rotate the secret of ${a.appId}? The current secret stops working at once.`)) return;
                          void change(async () => setSecret(await admin.rotateSecret({ appId: a.appId })));
                        }}
                      >
                        Rotate secret
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Section>
      {selected && <AppAccounts admin={admin} appId={selected} />}
    </div>
  );
}

function AppAccounts({ admin, appId }: { admin: AdminClient; appId: string }) {
  const accounts = useTask<AccountsData>();
  const act = useTask<unknown>();
  const reload = () => accounts.run(() => admin.appAccounts({ appId }));
  useEffect(() => {
    void reload();
  }, [admin, appId]);
  const change = async (work: () => Promise<unknown>) => {
    await act.run(work);
    await reload();
  };
  const users = accounts.value?.users ?? [];

  return (
    <Section
      title={`Users and channels of ${appId}`}
      actions={
        <button
          type="button"
          disabled={users.length === 0}
          onClick={() =>
            download(
              `accounts-${appId}.csv`,
              ['userId', 'channelId'],
              users.flatMap((u) => (u.channels.length ? u.channels.map((c) => [u.userId, c]) : [[u.userId, '']])),
            )
          }
        >
          Download accounts (CSV)
        </button>
      }
    >
      <ErrorBox error={accounts.error ?? act.error} />
      <form
        class="inline-form"
        aria-label="add a user"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.target as HTMLFormElement;
          const userId = String(new FormData(form).get('userId') ?? '').trim();
          void change(async () => {
            await admin.addUser({ appId, userId });
            form.reset();
          });
        }}
      >
        <div class="field">
          <label for="new-user">New user ID</label>
          <input id="new-user" name="userId" required pattern="[A-Za-z0-9_\-]{1,64}" />
        </div>
        <button type="submit">Add user</button>
      </form>
      {users.length === 0 && !accounts.busy && <p class="hint">No users yet.</p>}
      <ul class="user-list">
        {users.map((u) => (
          <li key={u.userId} data-user-id={u.userId}>
            <div class="user-head">
              <strong>{u.userId}</strong>
              <button
                type="button"
                onClick={() => {
                  if (!confirm(`Remove user ${u.userId}? Its channels lose their owner; minute data stays.`)) return;
                  void change(() => admin.removeUser({ userId: u.userId }));
                }}
              >
                Remove user {u.userId}
              </button>
            </div>
            <ul class="channel-list" aria-label={`channels of ${u.userId}`}>
              {u.channels.map((c) => (
                <li key={c}>
                  {c}{' '}
                  <button
                    type="button"
                    onClick={() => void change(() => admin.removeUserChannel({ userId: u.userId, channelId: c }))}
                  >
                    Remove channel {c}
                  </button>
                </li>
              ))}
            </ul>
            <form
              class="inline-form"
              aria-label={`add a channel to ${u.userId}`}
              onSubmit={(e) => {
                e.preventDefault();
                const form = e.target as HTMLFormElement;
                const channelId = String(new FormData(form).get('channelId') ?? '').trim();
                void change(async () => {
                  await admin.addChannel({ userId: u.userId, channelId });
                  form.reset();
                });
              }}
            >
              <div class="field">
                <label for={`new-channel-${u.userId}`}>New channel of {u.userId}</label>
                <input id={`new-channel-${u.userId}`} name="channelId" required pattern="\d{1,20}" inputMode="numeric" />
              </div>
              <button type="submit">Add channel</button>
            </form>
          </li>
        ))}
      </ul>
    </Section>
  );
}
