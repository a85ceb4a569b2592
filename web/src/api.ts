// The page's only way to the server: the public HTTP API v1, same origin. A person signs in and
// the session cookie does the rest; the operator console sends its token as a bearer header.
import type { ApiErrorBody } from '../../src/contract/views';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly figures: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

let operator_token: string | null = sessionStorage.getItem('tokenbank.operator_token');

export function setOperatorToken(token: string | null) {
  operator_token = token;
  if (token) sessionStorage.setItem('tokenbank.operator_token', token);
  else sessionStorage.removeItem('tokenbank.operator_token');
}
export const operatorToken = () => operator_token;

/** Sends as the operator (bearer) when asked, else as the signed-in person (cookie). */
export async function api<T>(method: string, path: string, body?: unknown, options: { as_operator?: boolean; idempotency_key?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.as_operator && operator_token) headers.authorization = `Bearer ${operator_token}`;
  if (options.idempotency_key) headers['idempotency-key'] = options.idempotency_key;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError(0, 'network', 'The server did not answer. Check that Tokenbank is running (npm start), then try again.');
  }
  const text = await res.text();
  const json = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const e = (json as ApiErrorBody | undefined)?.error;
    if (e) {
      const { type, message, ...figures } = e;
      throw new ApiError(res.status, type, message, figures);
    }
    throw new ApiError(res.status, 'http_error', `The server answered ${res.status} without an explanation.`);
  }
  return json as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);
