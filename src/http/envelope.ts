/** The response envelope every endpoint answers with: {code, status, message, data}. */
export interface Envelope<T> {
  code: number;
  status: 'success' | 'error';
  message: string;
  data: T | '';
}

export function success<T>(data: T): Envelope<T> {
  return { code: 200, status: 'success', message: '', data };
}

export function failure(code: number, message: string): Envelope<never> {
  return { code, status: 'error', message, data: '' };
}
