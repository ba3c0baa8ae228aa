/**
 * An application's accounts as the dashboard lists them (contract: views.ts): its users, sorted, each with its
 * channels, sorted; and their viewers now, by pull type.
 */
import type { Accounts, RealtimeViewers } from '@live-ccv/client/contract';
import type { z } from 'zod';
import type { Config } from '../config/config.js';
import { errors } from '../errors.js';
import type { Realtime } from '../ingest/realtime-port.js';
import type { App, TenancyStore } from '../store/port.js';

type AccountsAnswer = z.output<typeof Accounts>;
type RealtimeAnswer = z.output<typeof RealtimeViewers>;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function accounts(
  deps: { store: Pick<TenancyStore, 'listUsers' | 'listChannels'> },
  app: App,
): Promise<AccountsAnswer> {
  const users = (await deps.store.listUsers(app.appId)).map((u) => u.userId).sort(byText);
  const channels = await Promise.all(users.map((u) => deps.store.listChannels(u)));
  return {
    appId: app.appId,
    name: app.name,
    users: users.map((userId, i) => ({ userId, channels: channels[i]!.map((c) => c.channelId).sort(byText) })),
  };
}

export interface RealtimeDeps {
  store: Pick<TenancyStore, 'listUsers' | 'listChannels'>;
  config: Pick<Config, 'pullTypes'>;
  realtime?: Realtime | undefined;
  now?: () => number;
}

/**
 * Viewers now of every channel of the application, by pull type, and of every user (its channels summed). Counts
 * of different pull types add up (a viewer watching over two pull types is two streams, as in the minute CCV).
 */
export async function realtimeViewers(deps: RealtimeDeps, app: App): Promise<RealtimeAnswer> {
  const realtime = deps.realtime;
  if (!realtime) throw errors.unavailable('realtime');
  const { users } = await accounts(deps, app);
  const pullTypes = deps.config.pullTypes;
  const channels = await Promise.all(
    users.flatMap((u) =>
      u.channels.map(async (channelId) => {
        const counts = await Promise.all(pullTypes.map((p) => realtime.channelViewers(channelId, p)));
        const byPullType: Record<string, number> = {};
        pullTypes.forEach((p, i) => {
          if (counts[i]! > 0) byPullType[p] = counts[i]!;
        });
        return { channelId, userId: u.userId, viewers: counts.reduce((a, b) => a + b, 0), byPullType };
      }),
    ),
  );
  return {
    at: (deps.now ?? Date.now)(),
    users: users.map((u) => {
      const byPullType: Record<string, number> = {};
      let viewers = 0;
      for (const c of channels) {
        if (c.userId !== u.userId) continue;
        viewers += c.viewers;
        for (const [p, n] of Object.entries(c.byPullType)) byPullType[p] = (byPullType[p] ?? 0) + n;
      }
      return { userId: u.userId, viewers, byPullType };
    }),
    channels,
  };
}
