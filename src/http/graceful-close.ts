/**
 * Graceful close without waiting on keep-alive clients: once the server starts closing, every answer
 * still being sent says `Connection: close`, so the socket ends with that answer instead of idling until
 * the client's or the server's keep-alive timeout (72 s) holds the shutdown up. Idle sockets are closed by
 * fastify/Node at close time; in-flight requests finish normally.
 */
import type { FastifyInstance } from 'fastify';

export function closeConnectionsOnShutdown(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
