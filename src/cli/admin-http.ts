/**
 * The admin API (docs/api.md, `/admin/v1`) seen from the CLI: bearer-token JSON calls whose refusals
 * become errors carrying the server's own message, so `live-ccv apps show x --base-url ...` fails with the
 * same one line as the same command on the store.
 */
export class AdminHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AdminHttpError';
  }
}

export interface AdminHttpOptions {
  baseUrl: string;
  token: string;
  /** per request; default 30 s (an import chunk may take a while on a busy server) */
  timeoutMs?: number;
}

export class AdminHttp {
  private readonly base: string;

  constructor(private readonly options: AdminHttpOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new Error(`invalid --base-url: ${options.baseUrl}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`invalid --base-url: ${options.baseUrl}`);
    this.base = `${options.baseUrl.replace(/\/+$/, '')}/admin/v1`;
  }

  get<T>(path: string): Promise<T> {
    return this.request('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request('POST', path, body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request('PATCH', path, { type: 'application/json', text: JSON.stringify(body) });
  }

  delete<T>(path: string): Promise<T> {
    return this.request('DELETE', path);
  }

  /** A POST of raw text (CSV or NDJSON rows) */
  postText<T>(path: string, type: string, text: string): Promise<T> {
    return this.request('POST', path, { type, text });
  }

  private async request<T>(method: string, path: string, body?: { type: string; text: string }): Promise<T> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': body.type } : {}),
        },
        body: body?.text,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new Error(`cannot reach the admin API at ${new URL(url).origin}: ${cause}`);
    }
    const text = await res.text();
    let envelope: { code?: unknown; status?: unknown; message?: unknown; data?: unknown } | undefined;
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      envelope = undefined;
    }
    if (!envelope || typeof envelope.code !== 'number') {
      throw new AdminHttpError(
        `${method} ${url}: HTTP ${res.status} without the JSON envelope (is --base-url a live-ccv server?)`,
        res.status,
      );
    }
    if (envelope.status !== 'success') {
      throw new AdminHttpError(String(envelope.message || `HTTP ${res.status}`), envelope.code);
    }
    return envelope.data as T;
  }
}
