/**
 * A real HTTP proxy in front of a server that answers chosen requests itself (a 429 with Retry-After, a
 * 502 page) and forwards the rest (@fastify/reply-from): how a source misbehaves mid-run, on the wire.
 */
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface FaultProxy {
  url: string;
  /** requests seen per path, faults included */
  seen(path: string): number;
  /** every forwarded or faulted request, in order: `path?query` */
  log: string[];
  close(): Promise<void>;
}

/**
 * `fault(n, path)` is asked for every request (n counts from 1 per path); undefined forwards it, after
 * `delayMs` (a slow source, so a test can stop a client mid-run).
 */
export async function faultProxy(
  upstream: string,
  fault: (n: number, path: string) => Fault | undefined,
  delayMs = 0,
): Promise<FaultProxy> {
  const counts = new Map<string, number>();
  const log: string[] = [];
  const app = Fastify({ logger: false });
  await app.register(replyFrom, { base: upstream });
  app.all('/*', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    log.push(req.url);
    const f = fault(n, path);
    if (f)
      return reply
        .code(f.status)
        .headers(f.headers ?? {})
        .send(f.body);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return reply.from(req.url);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, seen: (p) => counts.get(p) ?? 0, log, close: () => app.close() };
}

export const TOO_MANY: Fault = {
  status: 429,
  headers: { 'retry-after': '1', 'content-type': 'application/json' },
  body: '{"code":429,"status":"error","message":"qps exceeds number of calls","data":""}',
};
export const BAD_GATEWAY: Fault = {
  status: 502,
  headers: { 'content-type': 'text/html' },
  body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
};
