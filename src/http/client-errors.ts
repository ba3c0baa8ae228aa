/**
 * Answers for requests that never reach a route: a client too slow to send its request (the request and
 * headers timeouts), headers over Node's limit, bytes that are not HTTP. Node reports them as
 * `clientError` on the socket; they are answered with the catalogue's envelope (never echoing the input)
 * and the connection is closed, so a slow-loris client holds nothing for longer than the timeout.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import { errors, type ApiError } from '../errors.js';
import { failure } from './envelope.js';

/** A client that does not read its answer does not keep the socket past this. */
const FLUSH_GRACE_MS = 1_000;

export function clientErrorHandler(config: Pick<Config, 'requestTimeoutMs' | 'always200'>, log: () => FastifyBaseLogger) {
  return (err: NodeJS.ErrnoException, socket: Duplex | Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const api: ApiError =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.requestTimeout(config.requestTimeoutMs)
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? errors.headersTooLarge()
          : errors.param('malformed HTTP request');
    log().debug({ code: err.code }, 'client error');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = config.always200 ? 200 : api.code;
    const body = JSON.stringify(failure(api.code, api.message));
    // end, then destroy: the server keeps half-open sockets, and a slow client must not keep this one
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `X-Error-Code: ${api.errorCode}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => socket.destroy(),
    );
    setTimeout(() => socket.destroy(), FLUSH_GRACE_MS).unref();
  };
}
