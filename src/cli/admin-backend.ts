/**
 * Where the admin and import commands act: on the store itself (the default, opened as `serve` opens it) or
 * on a running server through its admin API (`--base-url` with the admin token), which reaches whatever
 * store that server uses and keeps its caches in step. Both sides run the same service code (the admin API
 * is a front end of it), so answers and refusals are the same.
 */
import type { Command } from 'commander';
import { kebab } from '../config/config.js';
import {
  CcvImporter,
  csvHeader,
  linesOfText,
  type ImportFormat,
  type ImportOptions,
  type ImportResult,
} from '../service/import-ccv.js';
import { publicApp, Tenancy, type PublicApp } from '../service/tenancy.js';
import { addDays, formatYmd, MINUTE_MS } from '../domain/calendar.js';
import type { Channel, Store, User } from '../store/port.js';
import { type AdminClient, createAdminClient, PolyvApiError } from '../client/index.js';
import { io } from './io.js';
import { settingFlags } from './setting-flags.js';
import { storeFlags, withStore } from './store-session.js';

/** One minute's CCV of a channel and pull type; `minute` in epoch ms. */
export interface MinuteRow {
  channelId: string;
  pullType: string;
  minute: number;
  ccv: number;
}

export interface Credentials {
  appId: string;
  appSecret: string;
}

export interface AdminBackend {
  /** where the work goes, for messages */
  readonly where: string;
  createApp(input: {
    name: string;
    appId?: string;
    appSecret?: string;
  }): Promise<Credentials & { name: string; enabled: boolean }>;
  listApps(): Promise<PublicApp[]>;
  app(appId: string): Promise<PublicApp>;
  setEnabled(appId: string, enabled: boolean): Promise<PublicApp>;
  rotateSecret(appId: string): Promise<Credentials>;
  addUser(appId: string, userId: string): Promise<User>;
  listUsers(appId: string): Promise<User[]>;
  removeUser(userId: string): Promise<void>;
  addChannel(userId: string, channelId: string): Promise<Channel>;
  listChannels(userId: string): Promise<Channel[]>;
  removeChannel(channelId: string): Promise<void>;
  /** The channel, or undefined when the target does not know it. */
  channel(channelId: string): Promise<Channel | undefined>;
  /** The stored non-zero minutes of a channel and pull type in [from, to) (epoch ms -> ccv). */
  storedMinutes(channelId: string, pullType: string, from: number, to: number): Promise<Map<number, number>>;
  /** Sets minutes (epoch ms); a refused row is an error naming the reason (rows already accepted stay set). */
  setMinutes(rows: readonly MinuteRow[]): Promise<void>;
  /** Imports `channelId,pullType,minute,ccv` rows (lines numbered from 1), reporting bad rows by line. */
  importLines(lines: AsyncIterable<string> | Iterable<string>, options: { format?: ImportFormat }): Promise<ImportResult>;
  /** The same from text in chunks of any size (a file read in large chunks: no line-by-line reader). */
  importText(chunks: AsyncIterable<string> | Iterable<string>, options: ImportOptions): Promise<ImportResult>;
}

/** The admin commands' way to choose: the store flags, or `--base-url` and `--admin-token`. */
export function backendFlags(cmd: Command): Command {
  return settingFlags(storeFlags(cmd), ['adminToken']).option(
    '--base-url <url>',
    "act through this running server's admin API instead of opening the store (needs the admin token)",
  );
}

class LocalBackend implements AdminBackend {
  readonly where = 'the store';
  private readonly tenancy: Tenancy;

  constructor(
    private readonly importer: CcvImporter,
    private readonly store: Store,
    private readonly pullTypes: readonly string[],
  ) {
    this.tenancy = new Tenancy(store);
  }

  async createApp(input: { name: string; appId?: string; appSecret?: string }) {
    const a = await this.tenancy.createApp(input);
    return { appId: a.appId, appSecret: a.appSecret, name: a.name, enabled: a.enabled };
  }
  async listApps() {
    return (await this.tenancy.listApps()).map(publicApp);
  }
  async app(appId: string) {
    return publicApp(await this.tenancy.app(appId));
  }
  async setEnabled(appId: string, enabled: boolean) {
    return publicApp(await this.tenancy.updateApp(appId, { enabled }));
  }
  async rotateSecret(appId: string) {
    const a = await this.tenancy.rotateSecret(appId);
    return { appId: a.appId, appSecret: a.appSecret };
  }
  addUser(appId: string, userId: string) {
    return this.tenancy.addUser(appId, userId);
  }
  listUsers(appId: string) {
    return this.tenancy.listUsers(appId);
  }
  removeUser(userId: string) {
    return this.tenancy.removeUser(userId);
  }
  addChannel(userId: string, channelId: string) {
    return this.tenancy.addChannel(userId, channelId);
  }
  listChannels(userId: string) {
    return this.tenancy.listChannels(userId);
  }
  removeChannel(channelId: string) {
    return this.tenancy.removeChannel(channelId);
  }
  importLines(lines: AsyncIterable<string> | Iterable<string>, options: { format?: ImportFormat }) {
    return this.importer.importLines(lines, options);
  }
  importText(chunks: AsyncIterable<string> | Iterable<string>, options: ImportOptions) {
    return this.importer.importText(chunks, options);
  }
  channel(channelId: string) {
    return this.store.getChannel(channelId);
  }
  async storedMinutes(channelId: string, pullType: string, from: number, to: number) {
    const lo = from / MINUTE_MS;
    const hi = to / MINUTE_MS;
    const out = new Map<number, number>();
    for (const seg of await this.store.readCurves('channel', [channelId], lo, hi, pullType)) {
      for (let i = 0; i < seg.values.length; i++) {
        const m = seg.start + i;
        const v = seg.values[i]!;
        if (m >= lo && m < hi && v > 0) out.set(m * MINUTE_MS, v);
      }
    }
    return out;
  }
  async setMinutes(rows: readonly MinuteRow[]) {
    for (const r of rows) {
      if (!this.pullTypes.includes(r.pullType)) {
        throw new Error(`unknown pullType "${r.pullType}" (accepted: ${this.pullTypes.join(', ')})`);
      }
    }
    await this.store.setChannelMinutes(rows.map((r) => ({ ...r, minute: r.minute / MINUTE_MS })));
  }
}

/** Rows per POST /admin/v1/ccv and the bytes that end a chunk early: well under the default 10 MB body limit. */
const CHUNK_LINES = 5000;
const CHUNK_BYTES = 2 * 1024 * 1024;

class RemoteBackend implements AdminBackend {
  readonly where = 'the admin API';

  constructor(private readonly client: AdminClient) {}

  /** The SDK's refusal as the one line the same command gives on the store (the server's own message). */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      throw e instanceof PolyvApiError ? new Error(e.message) : e;
    }
  }

  createApp(input: { name: string; appId?: string; appSecret?: string }) {
    return this.call(() => this.client.createApp(input));
  }
  listApps() {
    return this.call(() => this.client.listApps());
  }
  app(appId: string) {
    return this.call(() => this.client.getApp({ appId }));
  }
  setEnabled(appId: string, enabled: boolean) {
    return this.call(() => this.client.updateApp({ appId, enabled }));
  }
  rotateSecret(appId: string) {
    return this.call(() => this.client.rotateSecret({ appId }));
  }
  addUser(appId: string, userId: string) {
    return this.call(() => this.client.addUser({ appId, userId }));
  }
  listUsers(appId: string) {
    return this.call(() => this.client.listUsers({ appId }));
  }
  async removeUser(userId: string) {
    await this.call(() => this.client.removeUser({ userId }));
  }
  addChannel(userId: string, channelId: string) {
    return this.call(() => this.client.addChannel({ userId, channelId }));
  }
  listChannels(userId: string) {
    return this.call(() => this.client.listChannels({ userId }));
  }
  async removeChannel(channelId: string) {
    await this.call(() => this.client.removeChannel({ channelId }));
  }

  async channel(channelId: string) {
    try {
      return await this.client.getChannel({ channelId });
    } catch (e) {
      if (e instanceof PolyvApiError && e.code === 404) return undefined;
      return this.call(() => Promise.reject(e));
    }
  }

  /** Through GET /channels/:id/minutes, whose days are the server's: UTC days one wider each side cover them. */
  async storedMinutes(channelId: string, pullType: string, from: number, to: number) {
    const utcDay = (ms: number) => {
      const d = new Date(ms);
      return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
    };
    const rows = await this.call(() =>
      this.client.channelMinutes({
        channelId,
        start: formatYmd(addDays(utcDay(from), -1)),
        end: formatYmd(addDays(utcDay(to - 1), 1)),
        pullType,
      }),
    );
    const out = new Map<number, number>();
    for (const r of rows) if (r.minute >= from && r.minute < to && r.pullType === pullType && r.ccv > 0) out.set(r.minute, r.ccv);
    return out;
  }

  async setMinutes(rows: readonly MinuteRow[]) {
    for (let i = 0; i < rows.length; i += CHUNK_LINES) {
      const text = rows
        .slice(i, i + CHUNK_LINES)
        .map((r) => JSON.stringify(r))
        .join('\n');
      const result = await this.call(() => this.client.importCcv({ text, contentType: 'application/x-ndjson' }));
      const refused = result.rejected[0];
      if (refused) throw new Error(`the target refused ${result.rejected.length} row(s), first: ${refused.reason}`);
    }
  }

  /** Text chunks become lines for the chunked POSTs below; progress is reported after each line read. */
  importText(chunks: AsyncIterable<string> | Iterable<string>, options: ImportOptions): Promise<ImportResult> {
    const onProgress = options.onProgress;
    const lines = async function* () {
      let n = 0;
      for await (const line of linesOfText(chunks)) {
        if (onProgress && ++n % 5000 === 0) onProgress(n);
        yield line;
      }
    };
    return this.importLines(lines(), options);
  }

  /**
   * Streams the rows in chunks of POST /admin/v1/ccv, in file order (later rows for a minute win, as in a
   * local import). A CSV header is repeated at the top of every chunk so each chunk reads its columns the
   * same way; the server's line numbers are mapped back to the file's.
   */
  async importLines(lines: AsyncIterable<string> | Iterable<string>, options: { format?: ImportFormat }): Promise<ImportResult> {
    const result: ImportResult = { accepted: 0, rejected: [] };
    let format = options.format;
    /** the CSV header line, when the file starts with one */
    let header: string | undefined;
    let first = true;
    let chunk: string[] = [];
    let chunkBytes = 0;
    let chunkStart = 1;
    let lineNo = 0;
    const send = async () => {
      if (chunk.length === 0 || !format) return;
      const prefixed = header !== undefined && chunkStart > 1;
      const text = (prefixed ? [header, ...chunk] : chunk).join('\n');
      const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      const r = await this.call(() => this.client.importCcv({ text, contentType: type }));
      result.accepted += r.accepted;
      for (const { line, reason } of r.rejected) result.rejected.push({ line: chunkStart + line - (prefixed ? 2 : 1), reason });
      chunk = [];
      chunkBytes = 0;
      chunkStart = lineNo + 1;
    };
    for await (const raw of lines) {
      lineNo++;
      const line = raw.trim();
      if (line !== '' && first) {
        first = false;
        format ??= line.startsWith('{') ? 'ndjson' : 'csv';
        if (format === 'csv' && csvHeader(line)) header = line;
      }
      chunk.push(raw);
      chunkBytes += raw.length + 1;
      if (chunk.length >= CHUNK_LINES || chunkBytes >= CHUNK_BYTES) await send();
    }
    await send();
    return result;
  }
}

/**
 * Runs the work on the backend the options choose: `--base-url` (with `--admin-token` or
 * LIVE_CCV_ADMIN_TOKEN) for a server's admin API, else the store the store flags and environment name.
 */
export async function withAdmin<T>(opts: Record<string, unknown>, work: (admin: AdminBackend) => Promise<T>): Promise<T> {
  const baseUrl = opts.baseUrl as string | undefined;
  if (baseUrl === undefined) {
    return withStore(opts, (store, config) => work(new LocalBackend(new CcvImporter(store, config), store, config.pullTypes)));
  }
  // Flags that only mean something on a store opened here: with --base-url the server's settings apply.
  const local = ['dataDir', 'store', 'databaseUrl', 'timeZone', 'pullTypes'].find((k) => opts[k] !== undefined);
  if (local) {
    throw new Error(`--${kebab(local)} applies to a store opened here; with --base-url the server's own settings apply`);
  }
  const token = (opts.adminToken as string | undefined) ?? io().env.LIVE_CCV_ADMIN_TOKEN;
  if (!token) throw new Error('an admin token is required with --base-url (--admin-token or LIVE_CCV_ADMIN_TOKEN)');
  try {
    if (!/^https?:$/.test(new URL(baseUrl).protocol)) throw new Error('not http');
  } catch {
    throw new Error(`invalid --base-url: ${baseUrl}`);
  }
  // a chunk of an import may take a while on a busy server; reads are retried, writes are not (SDK rule)
  const client = createAdminClient({ baseUrl, adminToken: token, timeoutMs: 60_000, retries: 2 });
  return work(new RemoteBackend(client));
}
