/**
 * The dashboard (packages/dashboard, built by `npm run build` into dist/dashboard): its page at /dashboard, its
 * content-hashed scripts and styles at /dashboard/assets/<file> (with the .br/.gz siblings the build writes, chosen by
 * Accept-Encoding), and the deployment settings it reads before sign-in. The page holds no privilege: everything it
 * shows comes from the signed and admin APIs with the credentials typed into it, so it is served to anyone; a strict
 * Content-Security-Policy keeps it from loading or sending anything anywhere but this origin.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errors } from '../../errors.js';
import { version } from '../../version.js';
import type { ResolvedDeps } from '../deps.js';
import { success } from '../envelope.js';

const require = createRequire(import.meta.url);

/** dist/dashboard of the live-ccv package this module belongs to (from src/ when run from source, or from dist/src/). */
export function builtDashboardDir(): string {
  for (const up of ['../../../package.json', '../../../../package.json']) {
    try {
      const pkg = require.resolve(up);
      if ((require(up) as { name?: string }).name === 'live-ccv') return path.join(path.dirname(pkg), 'dist', 'dashboard');
    } catch {
      // not at this level
    }
  }
  return path.resolve('dist', 'dashboard');
}

const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** The files of a build's assets folder that may be asked for (their compressed siblings are chosen, not named). */
function assetNames(dir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(path.join(dir, 'assets')).filter((f) => !/\.(br|gz)$/.test(f)));
  } catch {
    return new Set();
  }
}

export const dashboardRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const { config } = deps;
  const dir = path.resolve(config.dashboardDir || builtDashboardDir());
  const built = fs.existsSync(path.join(dir, 'index.html'));
  const assets = assetNames(dir);
  if (built) await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true });
  else app.log.warn({ dir }, 'the dashboard is not built: /dashboard answers 503 until `npm run build` makes it');

  const page = async (_req: unknown, reply: FastifyReply) => {
    // the build path is in the start-up log line above: an answer never shows the server's file system
    if (!built) throw errors.unavailable('dashboard (not built: run npm run build, or set LIVE_CCV_DASHBOARD_DIR)');
    return reply.headers(PAGE_HEADERS).sendFile('index.html', dir, { cacheControl: false });
  };
  app.get('/dashboard', page);
  app.get('/dashboard/', page);

  app.get<{ Params: { file: string } }>('/dashboard/assets/:file', async (req, reply) => {
    const { file } = req.params;
    if (!assets.has(file)) throw errors.notFound(`GET /dashboard/assets/${file}`);
    reply.header('x-content-type-options', 'nosniff');
    return reply.sendFile(file, path.join(dir, 'assets'), { immutable: true, maxAge: '365d' });
  });

  const settings = {
    version,
    timeZone: config.timeZone,
    pullTypes: config.pullTypes,
    maxDays: config.maxDays,
    maxUsers: config.maxUsers,
    adminApi: config.adminToken !== '',
  };
  app.get('/dashboard/settings', async (_req, reply) => reply.envelope(200, success(settings)));
};
