/**
 * The long-running service: opens the store, seeds a demo application on first start, listens, and shuts
 * down gracefully on SIGTERM/SIGINT (in-flight requests finish, then the store closes).
 */
import { summary } from '@live-ccv/client/contract';
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { clockOf, settings, type Config } from './config/config.js';
import { buildApp } from './http/app.js';
import { IngestService } from './ingest/ingest-service.js';
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

/** A shell word: as is when plain, single-quoted otherwise. */
const shellWord = (s: string) => (/^[\w./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The import command that reaches this server's store: through its admin API when it has a token, else
 * opening the same store (the flags a CLI in another directory or shell needs to find it).
 */
export function importCommand(config: Config, baseUrl: string): string {
  const file = 'examples/ccv-sample.csv';
  if (config.adminToken) return `npx live-ccv import ccv ${file} --base-url ${baseUrl}   # with LIVE_CCV_ADMIN_TOKEN set`;
  if (config.store === 'postgres')
    return `npx live-ccv import ccv ${file} --store postgres --database-url "$LIVE_CCV_DATABASE_URL"`;
  const defaultDir = path.resolve(settings.dataDir.def);
  const dir = path.resolve(config.dataDir);
  return `npx live-ccv import ccv ${file}${dir === defaultDir ? '' : ` --data-dir ${shellWord(dir)}`}`;
}

/** On an empty store, one demo application with a user and a channel, printed once. */
export async function seedDemo(store: Store, config: Config, print: (s: string) => void): Promise<void> {
  if (!config.demo || (await store.listApps()).length > 0) return;
  const tenancy = new Tenancy(store);
  const app = await tenancy.createApp({ name: 'demo' });
  await tenancy.addUser(app.appId, DEMO_USER);
  await tenancy.addChannel(DEMO_USER, DEMO_CHANNEL);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  print(
    [
      '',
      'live-ccv: created a demo application (its secret is shown only this once):',
      `  appId:     ${app.appId}`,
      `  appSecret: ${app.appSecret}`,
      `  userId:    ${DEMO_USER}   channelId: ${DEMO_CHANNEL}`,
      'Load sample data and make a signed call:',
      `  ${importCommand(config, `http://${host}:${config.port}`)}`,
      `  npx live-ccv call summary --base-url http://${host}:${config.port} --app-id ${app.appId} --app-secret ${app.appSecret} \\`,
      `      --users ${DEMO_USER} --start 2021-08-01 --end 2021-08-31`,
      `  (endpoint: ${summary.path})`,
      '',
    ].join('\n'),
  );
}

export async function startServer(
  config: Config,
  print: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<RunningServer> {
  const store = instrumentStore(await openStore(config));
  await store.ping(); // query threads ready before the first request
  await seedDemo(store, config, print);
  const limits = await openLimits(config);
  // API-only servers of a scaled deployment run without the ingest: one process must own a channel's minutes.
  const now = clockOf(config);
  const closerLog = createLogger(config, { component: 'minute-closer' });
  const ingest = config.ingest
    ? await IngestService.open(config, store, { now, logger: closerLog, onError: (err, what) => closerLog.error({ err }, what) })
    : undefined;
  const app = await buildApp({ config, store, ingest, limiter: limits.limiter, nonces: limits.nonces, now });
  const metricsServer = config.metricsPort !== undefined ? await startMetricsServer(config) : undefined;
  await app.listen({ host: config.host, port: config.port });
  if (metricsServer) app.log.info(`metrics listening at ${metricsServer.url}`);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close(); // waits for in-flight requests, then runs the plugins' onClose hooks
      await metricsServer?.close();
      await ingest?.stop(); // writes the closed minutes; open ones stay in the log for the next start
      await limits.close();
      await store.close();
    })());
  return { app, store, url: `http://127.0.0.1:${port}`, metricsUrl: metricsServer?.url, close };
}

/** Runs until SIGTERM/SIGINT, then closes in order and exits 0. */
export async function runServer(config: Config): Promise<void> {
  const server = await startServer(config);
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
