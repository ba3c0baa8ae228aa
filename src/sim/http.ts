/** The few HTTP calls the simulator and verifier make, with envelope errors turned into one clear line. */
export interface Envelope {
  code: number;
  status: string;
  message: string;
  data: unknown;
}

export async function callJson(url: string, init: RequestInit, what: string): Promise<Envelope> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`${what}: cannot reach ${new URL(url).origin} (${cause})`);
  }
  const text = await res.text();
  let body: Partial<Envelope> | undefined;
  try {
    body = JSON.parse(text) as Partial<Envelope>;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object' || typeof body.code !== 'number') {
    throw new Error(`${what}: HTTP ${res.status} without the JSON envelope: ${text.slice(0, 120)}`);
  }
  if (!res.ok || body.status !== 'success') {
    throw new Error(`${what}: HTTP ${res.status}: ${body.message ?? 'error'}`);
  }
  return body as Envelope;
}

export function trimBase(baseUrl: string): string {
  try {
    new URL(baseUrl);
  } catch {
    throw new Error(`invalid --base-url: ${baseUrl}`);
  }
  return baseUrl.replace(/\/+$/, '');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
