/**
 * What the request log may show of a URL: the path and the names of its parameters, with the values of signatures,
 * nonces and anything named like a token, secret or password replaced. A captured log line must not let anyone
 * replay a call or learn a credential.
 */
import type { FastifyRequest } from 'fastify';

const SECRET_NAME = /^(sign|signature.*|.*token.*|.*secret.*|.*passw.*|.*key)$/i;

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const shown: string[] = [];
  for (const [k, v] of params) shown.push(`${k}=${SECRET_NAME.test(k) ? '[redacted]' : v}`);
  return `${url.slice(0, q)}?${shown.join('&')}`;
}

export const logSerializers = {
  req(req: FastifyRequest) {
    return {
      method: req.method,
      url: redactUrl(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
};
