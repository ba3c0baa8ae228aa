/**
 * Liveness (`/healthz`: the process answers; it asks no dependency, so an orchestrator never restarts a
 * process for a full disk or a database outage a restart cannot fix) and readiness (`/readyz`: every
 * component this process runs works now; 503 naming each failing one otherwise). docs/operations.md.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../errors.js';
import { checkReadiness, failingSummary, type HealthCheck } from '../../health/readiness.js';
import { storageFailureReason } from '../../store/storage-failure.js';
import { storageHealth } from '../../store/storage-watch.js';
import { version } from '../../version.js';
import type { ResolvedDeps } from '../deps.js';
import { success } from '../envelope.js';

/** A check that hangs counts as failing after this long. */
const CHECK_TIMEOUT_MS = 3_000;

export const healthRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const checks: Record<string, HealthCheck> = {
    store: async () => {
      const watched = storageHealth(deps.store);
      // while writes fail, readiness tries one (at most once a second): it clears as soon as one works
      const writes = watched ? await watched.probe() : { ok: true };
      if (!writes.ok) return { ok: false, detail: writes.error, since: writes.since };
      try {
        await deps.store.ping();
        return { ok: true, detail: deps.store.kind };
      } catch (err) {
        return { ok: false, detail: storageFailureReason(err) ?? 'does not answer' };
      }
    },
  };
  const { ingest, limiter } = deps;
  // the ingest's parts (its log, its flushes) are components of their own
  if (ingest?.health) {
    for (const name of Object.keys(ingest.health())) checks[name] = () => ingest.health!()[name] ?? { ok: true };
  }
  if (limiter.ping) {
    checks.limits = async () => {
      try {
        await limiter.ping!();
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: storageFailureReason(err) ?? 'does not answer' };
      }
    };
  }

  app.get('/healthz', async (_req, reply) => reply.envelope(200, success({ ok: true, version })));

  app.get('/readyz', async (req, reply) => {
    const readiness = await checkReadiness(checks, CHECK_TIMEOUT_MS);
    if (readiness.ready) return reply.envelope(200, success(readiness));
    const summary = failingSummary(readiness);
    req.log.warn({ readiness }, 'not ready');
    throw errors.notReady(summary);
  });
};
