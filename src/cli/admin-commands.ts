/**
 * `live-ccv apps|users|channels ...`: tenancy administration, on the configured store or through a running
 * server's admin API (`--base-url`), with the same checks and messages as the admin API.
 */
import type { Command } from 'commander';
import type { PublicApp } from '../service/tenancy.js';
import { type AdminBackend, backendFlags, withAdmin } from './admin-backend.js';
import { emit, isoTime, jsonFlag, oneLineErrors, record, table, type Column, type JsonFlag, type Row } from './output.js';

type Opts = JsonFlag & Record<string, unknown>;

/** A leaf command with the store or admin API flags and --json, whose action gets the chosen backend. */
function leaf<A extends string[]>(
  parent: Command,
  spec: string,
  description: string,
  run: (admin: AdminBackend, opts: Opts, ...args: A) => Promise<void>,
): Command {
  const cmd = jsonFlag(backendFlags(parent.command(spec).description(description)));
  cmd.action(async (...received: unknown[]) => {
    // commander passes the declared arguments, then the options, then the command itself
    const args = received.slice(0, -2) as A;
    const opts = received[received.length - 2] as Opts;
    await withAdmin(opts, (admin) => run(admin, opts, ...args));
  });
  return cmd;
}

const appColumns: Column[] = [
  { key: 'appId' },
  { key: 'name' },
  { key: 'enabled' },
  { key: 'rateLimit', format: (v) => (v === null ? 'default' : String(v)) },
  { key: 'hasIngestToken', title: 'ingestToken', format: (v) => (v ? 'set' : '-') },
  { key: 'createdAt', format: isoTime },
];
const showApp = (opts: Opts, app: PublicApp) => emit(opts.json, app, () => table([app as unknown as Row], appColumns));
/** Credentials are printed once, at creation or rotation: the store cannot show the secret later. */
const showCredentials = (opts: Opts, data: object) =>
  emit(opts.json, data, () => `${record(data as Row)}\n(the secret is shown only now: store it safely)`);

export function registerApps(program: Command): void {
  const apps = oneLineErrors(program.command('apps').description('manage applications (callers of the signed API)'));
  leaf(apps, 'create', 'create an application; prints its credentials once', async (t, o) => {
    const a = await t.createApp({
      name: String(o.name),
      appId: o.appId as string | undefined,
      appSecret: o.appSecret as string | undefined,
    });
    showCredentials(o, a);
  })
    .requiredOption('--name <name>', 'a name for people')
    .option('--app-id <appId>', 'register a known appId (default: random)')
    .option('--app-secret <secret>', 'register a known appSecret (default: random)');
  leaf(apps, 'list', 'list applications (secrets omitted)', async (t, o) => {
    const list = await t.listApps();
    emit(o.json, list, () => table(list as unknown as Row[], appColumns));
  });
  leaf(apps, 'show <appId>', 'show one application (secret omitted)', async (t, o, appId: string) =>
    showApp(o, await t.app(appId)),
  );
  leaf(apps, 'disable <appId>', 'refuse the application\'s calls ("application not found.")', async (t, o, appId: string) =>
    showApp(o, await t.setEnabled(appId, false)),
  );
  leaf(apps, 'enable <appId>', "accept the application's calls again", async (t, o, appId: string) =>
    showApp(o, await t.setEnabled(appId, true)),
  );
  leaf(apps, 'rotate-secret <appId>', 'replace the secret (the old one stops working at once)', async (t, o, appId: string) => {
    showCredentials(o, await t.rotateSecret(appId));
  });
}

const userColumns: Column[] = [{ key: 'userId' }, { key: 'appId' }, { key: 'createdAt', format: isoTime }];
const channelColumns: Column[] = [
  { key: 'channelId' },
  { key: 'userId' },
  { key: 'appId' },
  { key: 'createdAt', format: isoTime },
];

export function registerUsers(program: Command): void {
  const users = oneLineErrors(program.command('users').description("manage an application's users"));
  leaf(users, 'add <userId>', 'add a user to an application', async (t, o, userId: string) => {
    const u = await t.addUser(String(o.app), userId);
    emit(o.json, u, () => table([u as unknown as Row], userColumns));
  }).requiredOption('--app <appId>', 'the owning application');
  leaf(users, 'list', "list an application's users", async (t, o) => {
    const list = await t.listUsers(String(o.app));
    emit(o.json, list, () => table(list as unknown as Row[], userColumns));
  }).requiredOption('--app <appId>', 'the application');
  leaf(users, 'remove <userId>', 'remove a user and its channel ownership (minute data stays)', async (t, o, userId: string) => {
    await t.removeUser(userId);
    emit(o.json, { userId, removed: true }, () => `removed user ${userId}`);
  });
}

export function registerChannels(program: Command): void {
  const channels = oneLineErrors(program.command('channels').description("manage a user's channels"));
  leaf(channels, 'add <channelId>', 'give a channel to a user', async (t, o, channelId: string) => {
    const c = await t.addChannel(String(o.user), channelId);
    emit(o.json, c, () => table([c as unknown as Row], channelColumns));
  }).requiredOption('--user <userId>', 'the owning user');
  leaf(channels, 'list', "list a user's channels", async (t, o) => {
    const list = await t.listChannels(String(o.user));
    emit(o.json, list, () => table(list as unknown as Row[], channelColumns));
  }).requiredOption('--user <userId>', 'the user');
  leaf(channels, 'remove <channelId>', 'remove a channel from its user (minute data stays)', async (t, o, channelId: string) => {
    await t.removeChannel(channelId);
    emit(o.json, { channelId, removed: true }, () => `removed channel ${channelId}`);
  });
}
