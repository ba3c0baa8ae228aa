/**
 * JSON bodies: parsed by fastify's own parser (prototype-poisoning safe), after two checks of ours. An empty body
 * means "no body parameters" (POLYV's TypeScript SDK posts `Content-Length: 0` with a JSON content type when every
 * parameter is in the query). A body nested deeper than MAX_DEPTH is refused before parsing, so no later step
 * (parameter flattening, an import's row encoding) can recurse itself into a stack overflow.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

export const MAX_DEPTH = 32;

/** The deepest nesting of arrays and objects in JSON text (strings skipped). */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
      if (max > stopAbove) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepth(text, MAX_DEPTH) > MAX_DEPTH) {
      return done(errors.param(`the JSON body is nested too deeply (at most ${MAX_DEPTH} levels)`), undefined);
    }
    parse(req, text, done);
  });
}
