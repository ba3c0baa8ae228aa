/**
 * The long-running service: opens the store, seeds a demo application on first start, listens, and shuts
 * down gracefully on SIGTERM/SIGINT (in-flight requests finish, then the store closes).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { buildApp } from './http/app.js';
import { IngestService } from './ingest/ingest-service.js';
import { SUMMARY_PATH } from './http/routes/summary.js';
import { openLimits } from './limits/open.js';
import { openStore } from './store/open.js';
import type { Store } from './store/port.js';
import { Tenancy } from './service/tenancy.js';

export const DEMO_USER = 'demouser01';
export const DEMO_CHANNEL = '1000001';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  close(): Promise<void>;
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
      '  npx live-ccv import ccv examples/ccv-sample.csv',
      `  npx live-ccv call summary --base-url http://${host}:${config.port} --app-id ${app.appId} --app-secret ${app.appSecret} \\`,
      `      --users ${DEMO_USER} --start 2021-08-01 --end 2021-08-31`,
      `  (endpoint: ${SUMMARY_PATH})`,
      '',
    ].join('\n'),
  );
}

export async function startServer(
  config: Config,
  print: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<RunningServer> {
  const store = await openStore(config);
  await store.ping(); // query threads ready before the first request
  await seedDemo(store, config, print);
  const limits = await openLimits(config);
  // API-only servers of a scaled deployment run without the ingest: one process must own a channel's minutes.
  const ingest = config.ingest ? await IngestService.open(config, store) : undefined;
  const app = await buildApp({ config, store, ingest, limiter: limits.limiter, nonces: limits.nonces });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close(); // waits for in-flight requests, then runs the plugins' onClose hooks
      await ingest?.stop(); // writes the closed minutes; open ones stay in the log for the next start
      await limits.close();
      await store.close();
    })());
  return { app, store, url: `http://127.0.0.1:${port}`, close };
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
