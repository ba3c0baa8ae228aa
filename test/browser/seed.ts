/**
 * Known data for the browser tests and the dashboard bench: two applications with users and channels, and
 * deterministic per-minute CCV (daily evening waves with noise) over a range of local days. The tests compare what
 * the dashboard shows with what the API answers for these numbers, never with constants.
 */
import { rng } from '../../bench/dataset.js';
import type { Store } from '../../src/store/port.js';
import { Tenancy } from '../../src/service/tenancy.js';

export const ACME = { appId: 'acme', appSecret: 'acme-secret-0123456789abcdef', name: 'Acme Live' };
export const OTHER = { appId: 'globex', appSecret: 'globex-secret-0123456789abcd', name: 'Globex' };
export const ACME_USERS: Record<string, string[]> = {
  alpha: ['1001', '1002'],
  beta: ['2001'],
  gamma: ['3001', '3002'],
};
export const OTHER_USERS: Record<string, string[]> = { 'globex-main': ['9001'] };

export async function seedTenants(store: Store): Promise<void> {
  const tenancy = new Tenancy(store);
  for (const [app, users] of [
    [ACME, ACME_USERS],
    [OTHER, OTHER_USERS],
  ] as const) {
    await tenancy.createApp(app);
    for (const [userId, channels] of Object.entries(users)) {
      await tenancy.addUser(app.appId, userId);
      for (const c of channels) await tenancy.addChannel(userId, c);
    }
  }
}

/**
 * Minutes of every channel from epoch minute `from` for `count` minutes: an evening wave per local day (the zone is
 * UTC+8 here), its height different per channel, pull types split per channel, noise on top.
 */
export async function seedMinutes(
  store: Store,
  from: number,
  count: number,
  options: { seed?: number; channels?: readonly string[] } = {},
): Promise<number> {
  const next = rng(options.seed ?? 7);
  const all = [...Object.values(ACME_USERS), ...Object.values(OTHER_USERS)].flat();
  const channels = options.channels ?? all;
  let written = 0;
  const BATCH = 20_000;
  let rows: { channelId: string; pullType: string; minute: number; ccv: number }[] = [];
  for (const channelId of channels) {
    const k = all.indexOf(channelId);
    const height = 80 + 60 * k;
    for (let i = 0; i < count; i++) {
      const minute = from + i;
      const hour = ((((minute + 8 * 60) % 1440) + 1440) % 1440) / 60;
      const wave = Math.max(0, Math.sin(((hour - 9) / 14) * Math.PI)) ** (1 + (k % 3));
      const base = height * wave + 3 * next();
      const cdn = Math.round(base * 0.8);
      const rtc = Math.round(base * 0.2 * (k % 2 === 0 ? 1 : 0.3));
      if (cdn > 0) rows.push({ channelId, pullType: 'cdn', minute, ccv: cdn });
      if (rtc > 0) rows.push({ channelId, pullType: 'rtc', minute, ccv: rtc });
      if (rows.length >= BATCH) {
        await store.setChannelMinutes(rows);
        written += rows.length;
        rows = [];
      }
    }
  }
  await store.setChannelMinutes(rows);
  return written + rows.length;
}
