/**
 * Bearer tokens of the admin and ingest APIs, compared in constant time (both sides hashed first, so neither the
 * comparison's length nor its timing says anything about the token). The scheme name is case-insensitive (RFC 9110).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';

const BEARER = /^bearer[ \t]+(\S.*)$/i;

/** The token of an `Authorization: Bearer <token>` header, or '' without one. */
export function bearerToken(req: Pick<FastifyRequest, 'headers'>): string {
  const match = BEARER.exec(String(req.headers.authorization ?? ''));
  return match ? match[1]!.trim() : '';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** An onRequest hook requiring the admin token; the admin API is refused entirely while none is configured. */
export function requireAdmin(expected: () => string) {
  return async (req: FastifyRequest) => {
    const token = expected();
    if (!token) throw errors.adminDisabled();
    const presented = bearerToken(req);
    if (!presented || !tokensEqual(presented, token)) throw errors.adminUnauthorized();
  };
}
