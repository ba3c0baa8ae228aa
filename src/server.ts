/**
 * The long-running service: takes the data dir's one-writer lock, opens the store, listens, seeds a demo
 * application on first start (only once listening, so a failed bind loses no secret), and shuts down
 * gracefully on SIGTERM/SIGINT (in-flight requests finish, closed minutes are written, then the store
 * closes). The signal handlers are installed before anything starts, so no signal finds the process
 * without them. The start banner goes to stderr, apart from the JSON log on stdout.
 */
import { summary } from '@live-ccv/client/contract';
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { clockOf, hasRole, settings, type Config } from './config/config.js';
import { DataDirLock } from './data-dir-lock.js';
import { buildApp } from './http/app.js';
import { tuneHeapForServing } from './heap-tuning.js';
import { openIngestRoles } from './ingest/roles.js';
import { openLimits } from './limits/open.js';
import { createLogger } from './logging/logger.js';
import { startMetricsServer } from './metrics/http.js';
import { instrumentStore } from './metrics/store.js';
import { openStore } from './store/open.js';
import type { Store } from './store/port.js';
import { Tenancy } from './service/tenancy.js';

export const DEMO_USER = 'demouser01';
export const DEMO_CHANNEL = '1000001';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  /** the /metrics URL when LIVE_CCV_METRICS_PORT gives it its own listener */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

const stderr = (s: string) => process.stderr.write(`${s}\n`);

/** A shell word: as is when plain, single-quoted otherwise. */
const shellWord = (s: string) => (/^[\w./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The flags that make a CLI command reach this server's store: its admin API when it has a token, else the
 * same store (what a CLI in another directory or shell needs to find it; a password stays in the environment).
 */
function cliTarget(config: Config, baseUrl: string): string {
  if (config.adminToken) return ` --base-url ${baseUrl}   # with LIVE_CCV_ADMIN_TOKEN set`;
  if (config.store === 'postgres') return ' --store postgres --database-url "$LIVE_CCV_DATABASE_URL"';
  const dir = path.resolve(config.dataDir);
  return dir === path.resolve(settings.dataDir.def) ? '' : ` --data-dir ${shellWord(dir)}`;
}

/** The import command that reaches this server's store. */
export function importCommand(config: Config, baseUrl: string): string {
  return `npx live-ccv import ccv examples/ccv-sample.csv${cliTarget(config, baseUrl)}`;
}

/** On an empty store, one demo application with a user and a channel, printed once. */
export async function seedDemo(store: Store, config: Config, url: string, print: (s: string) => void): Promise<void> {
  if (!config.demo || (await store.listApps()).length > 0) return;
  const tenancy = new Tenancy(store);
  const app = await tenancy.createApp({ name: 'demo' });
  await tenancy.addUser(app.appId, DEMO_USER);
  await tenancy.addChannel(DEMO_USER, DEMO_CHANNEL);
  print(
    [
      '',
      'live-ccv: created a demo application (its secret is shown only this once; lost it? a new one:',
      `          npx live-ccv apps rotate-secret ${app.appId}${cliTarget(config, url)})`,
      `  appId:     ${app.appId}`,
      `  appSecret: ${app.appSecret}`,
      `  userId:    ${DEMO_USER}   channelId: ${DEMO_CHANNEL}`,
      'Load sample data and make a signed call:',
      `  ${importCommand(config, url)}`,
      `  npx live-ccv call summary --base-url ${url} --app-id ${app.appId} --app-secret ${app.appSecret} \\`,
      `      --users ${DEMO_USER} --start 2021-08-01 --end 2021-08-31`,
      `  (endpoint: ${summary.path})`,
      `See it in the dashboard: ${url}/dashboard (sign in with the appId and appSecret above)`,
      '',
    ].join('\n'),
  );
}

/** The embedded ingest (a local heartbeat log in the data dir) runs without NATS when the collector role does. */
const embeddedIngest = (config: Config) => !config.natsUrl && hasRole(config, 'collector');
/** Whether this server writes its data dir (the SQLite store, the heartbeat log), and so needs the lock. */
const writesDataDir = (config: Config) => config.store === 'sqlite' || embeddedIngest(config);

export async function startServer(config: Config, print: (s: string) => void = stderr): Promise<RunningServer> {
  const opened: (() => Promise<void> | void)[] = [];
  // Closed in reverse order; a failing step (a flush on a full disk) does not keep the rest open.
  const closeOpened = async () => {
    let first: unknown;
    for (const close of opened.splice(0).reverse()) {
      try {
        await close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  };
  try {
    if (writesDataDir(config)) {
      const lock = DataDirLock.acquire(config.dataDir);
      opened.push(() => lock.release());
    }
    const store = instrumentStore(await openStore(config, { rewriteAtRest: true }));
    opened.push(() => store.close());
    await store.ping(); // query threads ready before the first request
    const limits = await openLimits(config);
    opened.push(() => limits.close());
    // LIVE_CCV_ROLES and LIVE_CCV_NATS_URL decide what runs here (src/ingest/roles.ts).
    const now = clockOf(config);
    const ingest = await openIngestRoles(config, store, { now, logger: (component) => createLogger(config, { component }) });
    opened.push(() => ingest.stop()); // writes the closed minutes; open ones stay in the log
    const app = await buildApp({
      config,
      store,
      ingest: ingest.collector,
      realtime: ingest.realtime,
      health: ingest.health,
      limiter: limits.limiter,
      nonces: limits.nonces,
      now,
    });
    opened.push(() => app.close()); // waits for in-flight requests, then runs the plugins' onClose hooks
    const metricsServer = config.metricsPort !== undefined ? await startMetricsServer(config) : undefined;
    if (metricsServer) opened.push(() => metricsServer.close());
    await app.listen({ host: config.host, port: config.port });
    if (metricsServer) app.log.info(`metrics listening at ${metricsServer.url}`);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    // Only api processes seed: the banner shows the secret to whoever serves the signed API.
    if (hasRole(config, 'api')) await seedDemo(store, config, url, print);
    app.log.info({ url, store: store.kind, roles: config.roles, ingest: ingest.mode }, 'live-ccv started');
    let closing: Promise<void> | undefined;
    return { app, store, url, metricsUrl: metricsServer?.url, close: () => (closing ??= closeOpened()) };
  } catch (e) {
    await closeOpened().catch(() => undefined);
    throw e;
  }
}

/**
 * Runs until SIGTERM/SIGINT, then closes in order and exits 0. The handlers are in place before the
 * store opens: a signal during start-up stops the server as soon as it is up (never half-started).
 */
export async function runServer(config: Config): Promise<void> {
  // before any request or import runs: see ./heap-tuning.ts
  tuneHeapForServing();
  let server: RunningServer | undefined;
  let signalled: string | undefined;
  const shutdown = (s: RunningServer, signal: string) => {
    s.app.log.info({ signal }, 'shutting down');
    s.close().then(
      () => process.exit(0),
      (err: unknown) => {
        s.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: string) => {
    if (signalled) {
      // a second signal must not kill the process halfway through writing its minutes
      server?.app.log.warn({ signal }, 'already shutting down');
      return;
    }
    signalled = signal;
    if (server) shutdown(server, signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  server = await startServer(config);
  if (signalled) shutdown(server, signalled);
}
