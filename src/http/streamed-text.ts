/**
 * Text bodies read as they arrive, for the CCV import (POST /admin/v1/ccv): the content-type parsers of the
 * route's scope hand the raw request stream to the handler, which decodes it chunk by chunk (a UTF-8 character
 * split across two chunks is joined by the decoder; a row split across chunks is joined by the importer) and
 * parses while the rest is still on the wire. The whole body is never held as one string.
 *
 * Promises, as fastify's buffering parsers kept them: a declared Content-Length over the body limit is refused
 * before a byte is read, and a body that grows past it is refused as soon as it does (413, the connection
 * closed); a body that ends before it is complete (the client went away, the request timed out) is an error,
 * never a short import.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ApiError, errors } from '../errors.js';

/** The text content types the import reads; form-encoded is what `curl --data-binary @file.csv` sends. */
const STREAMED_TYPES = [
  'text/csv',
  'text/plain',
  'application/x-ndjson',
  'application/ndjson',
  'application/x-www-form-urlencoded',
] as const;

/** Makes the scope's text bodies arrive in the handler as the request stream (see streamedText). */
export function registerStreamedText(scope: FastifyInstance, bodyLimit: number): void {
  for (const type of STREAMED_TYPES) {
    if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
    scope.addContentTypeParser(type, (req, payload, done) => {
      const declared = Number(req.headers['content-length']);
      if (declared > bodyLimit) return done(errors.payloadTooLarge(bodyLimit), undefined);
      done(null, payload);
    });
  }
  // Refused before the body was read to its end: the client may still be sending, so the connection closes
  // after the answer (as fastify does for a body over its limit).
  scope.addHook('onError', async (req, reply) => {
    if (req.raw.complete === false) reply.header('connection', 'close');
  });
}

/** Whether a request's body was handed over as a stream (a streamed content type) rather than parsed. */
export function isStreamed(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

/** The decoded text of a streamed body, tracking whether it held anything but white space. */
export class StreamedText implements AsyncIterable<string> {
  /** set once a chunk held a character other than white space */
  blank = true;

  constructor(
    private readonly req: FastifyRequest,
    private readonly body: Readable,
    private readonly bodyLimit: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    let received = 0;
    try {
      // not destroyed when the import stops early (a 413, a bad store): destroying a request destroys its
      // socket, and the answer would never be sent
      const chunks = this.body.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer | string>;
      for await (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        received += bytes.length;
        if (received > this.bodyLimit) throw errors.payloadTooLarge(this.bodyLimit);
        const text = decoder.write(bytes);
        if (this.blank && text.trim() !== '') this.blank = false;
        yield text;
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw cutOff();
    }
    if (this.req.raw.complete === false) throw cutOff();
    const rest = decoder.end();
    if (rest !== '') {
      if (rest.trim() !== '') this.blank = false;
      yield rest;
    }
  }
}

const cutOff = () => errors.param('the request body ended before it was complete; nothing was imported');
