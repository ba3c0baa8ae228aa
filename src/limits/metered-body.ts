/**
 * A request body metered against a byte budget as it arrives (./byte-budget.ts): each byte beyond what
 * the lease already holds (a Content-Length reserved up front) is taken from the budget, and the stream
 * fails with the caller's error (a 503) as soon as the budget cannot take more.
 */
import { Transform } from 'node:stream';
import type { ByteLease } from './byte-budget.js';

export function metered(body: NodeJS.ReadableStream, lease: ByteLease, refuse: () => Error): NodeJS.ReadableStream {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      const extra = seen - lease.held;
      if (extra > 0 && !lease.take(extra)) return done(refuse());
      done(null, chunk);
    },
  });
  body.on('error', (err) => out.destroy(err));
  // The reader (fastify) listens for errors while it reads; one raised after it stopped (its body limit was
  // hit first) must not become an uncaught 'error' event that ends the process.
  out.on('error', () => undefined);
  // fastify compares its limit with the bytes before decompression when the stream reports them
  if ('receivedEncodedLength' in body) {
    Object.defineProperty(out, 'receivedEncodedLength', {
      get: () => (body as { receivedEncodedLength: number }).receivedEncodedLength,
    });
  }
  return body.pipe(out);
}
