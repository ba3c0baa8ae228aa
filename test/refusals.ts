/** Asserting a refusal over real HTTP: the error envelope, its message, and the Retry-After it carries. */
import assert from 'node:assert/strict';

export async function assertRefused(res: Response, status: number, message: string, retryAfter?: string): Promise<void> {
  assert.equal(res.status, status);
  if (retryAfter !== undefined) assert.equal(res.headers.get('retry-after'), retryAfter);
  assert.deepEqual(await res.json(), { code: status, status: 'error', message, data: '' });
}
