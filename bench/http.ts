/**
 * A lean HTTP client for the latency benches: node:http with keep-alive, so a timed call costs the server's
 * answer and one round trip, not a fetch implementation's per-request machinery.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

export function request(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path, method: options.method ?? 'GET', headers: options.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function json<T>(url: string, path: string, options?: Parameters<typeof request>[2]): Promise<T> {
  return JSON.parse((await request(url, path, options)).body) as T;
}
