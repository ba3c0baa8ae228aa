/**
 * GET /metrics and the request instruments. `metricsPlugin` counts and times every answer of the app it is
 * registered on and serves /metrics there, unless LIVE_CCV_METRICS_PORT moves it to its own listener
 * (`startMetricsServer`), which keeps it off a public API port.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/config.js';
import { WATERMARK_KEY } from '../ingest/ingest-service.js';
import { freshnessLagSeconds, metrics, scrape, track } from './metrics.js';

export const METRICS_PATH = '/metrics';

export interface MetricsPluginOptions {
  config: Pick<Config, 'metricsPort'>;
  store: { getMeta(key: string): Promise<string | undefined> };
  /** present when this process runs the ingest, which then reports freshness itself */
  ingest?: unknown;
}

const UNMATCHED = '(unmatched)';

async function serveMetrics(app: FastifyInstance): Promise<void> {
  app.get(METRICS_PATH, async (_req, reply) => {
    const { contentType, body } = await scrape();
    return reply.code(200).type(contentType).send(body);
  });
}

export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app, options) => {
    app.addHook('onResponse', (req, reply, done) => {
      // The route pattern, not the URL: ids in paths must not become label values.
      const labels = { route: req.routeOptions.url ?? UNMATCHED, method: req.method, code: String(reply.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpSeconds.observe(labels, reply.elapsedTime / 1000);
      done();
    });
    if (options.config.metricsPort === undefined) await serveMetrics(app);
    if (!options.ingest) {
      // An API-only process reports how fresh the store's closed minutes are from the flushed watermark.
      const untrack = track(options.store, {
        freshnessLag: async (store) => {
          // a store that does not answer leaves the lag unknown (NaN) rather than failing the scrape
          const v = await store.getMeta(WATERMARK_KEY).catch(() => undefined);
          return v === undefined ? undefined : freshnessLagSeconds(Number(v), Date.now());
        },
      });
      app.addHook('onClose', async () => untrack());
    }
  },
  { name: 'live-ccv-metrics' },
);

/** A listener that serves only GET /metrics, for LIVE_CCV_METRICS_PORT. */
export async function startMetricsServer(config: Pick<Config, 'metricsPort' | 'metricsHost' | 'host'>): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const app = Fastify({ logger: false });
  await serveMetrics(app);
  await app.listen({ host: config.metricsHost || config.host, port: config.metricsPort ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.metricsPort;
  return { url: `http://127.0.0.1:${port}${METRICS_PATH}`, close: () => app.close() };
}
