// The HTTP client of the CLI: the public API v1 and nothing else. Every failure becomes a
// CliError: the API's refusal (type, message with the remedy, figures) or a network failure.
import { routePath, type BodyOf, type PathParams, type QueryOf, type ResponseOf, type RouteKey } from '../contract/routes';
import { ApiError, CliError } from './errors';
import type { Output } from './output';

export const client_limits = {
  request_timeout_ms: 30_000,
  /** Retries of a request that never got an answer (only for calls that are safe to repeat). */
  network_retries_max: 2,
  retry_backoff_ms: 300,
} as const;

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Overrides the client's token (e.g. the short-lived session during login). */
  token?: string | null;
  /** Safe to repeat when no answer came back: reads, and writes carrying an Idempotency-Key. */
  retry?: boolean;
  /** Shown next to the spinner when the call takes more than a second. */
  label?: string;
}

/** The options of a typed call: the route's own path parameters, body and query. */
export type CallOptions<K extends RouteKey> = Omit<RequestOptions, 'body' | 'query'> & {
  body?: BodyOf<K>;
  query?: { [q in keyof QueryOf<K>]?: string | undefined };
} & (unknown extends PathParams<K> ? { params?: never } : { params: PathParams<K> });

/** What to tell the user for an API refusal, in CLI terms. */
function hintFor(type: string, status: number, path: string, error: Record<string, unknown>): string | null {
  switch (type) {
    case 'authentication_required':
      return typeof error.purchase_id === 'string'
        ? `Confirm the payment with your bank${typeof error.next_action_url === 'string' ? ` at ${error.next_action_url}` : ''}, then run \`tokenbank credits confirm ${error.purchase_id}\`.`
        : null;
    case 'unauthenticated':
      return path === '/v1/sessions' ? null : 'Run `tokenbank login`, or pass a current token with --token / TOKENBANK_TOKEN.';
    case 'forbidden': {
      // The role the refused call needs, when the API names it (managing members needs owner or admin, not billing).
      const needed = typeof error.required_role === 'string' ? error.required_role : 'billing';
      if (path.startsWith('/v1/accounts/')) return `Ask an owner of the account for the ${needed} role, or choose another account with --account.`;
      if (path.startsWith('/v1/orgs/') && typeof error.required_role === 'string') return `Ask an admin of the organization for the ${needed} role.`;
      return 'Pass the operator token with --token or TOKENBANK_TOKEN.';
    }
    case 'not_found':
      return path.startsWith('/v1/accounts/') ? 'List the accounts you can see with `tokenbank accounts`.' : null;
    case 'card_declined':
    case 'insufficient_funds':
    case 'expired_card':
    case 'processing_error':
      return 'Nothing was charged. Add another card with `tokenbank cards add <token>` (or in the account page), then try again.';
    case 'rate_limited':
      return 'Wait a moment and try again.';
    case 'conflict': {
      // The only owner (an organization's only admin) removed or demoted: say how to hand the role on.
      if (typeof error.members_with_role !== 'number' || typeof error.role !== 'string') return null;
      const org = /^\/v1\/orgs\/([^/]+)\//.exec(path)?.[1];
      return `Run \`tokenbank members role <email|user_id> ${error.role}${org ? ` --org ${org}` : ''}\` for another member, then try again.`;
    }
    default:
      return status >= 500 ? 'The server failed; nothing was charged twice. Try again, or check the server log.' : null;
  }
}

export class Api {
  constructor(
    readonly server: string,
    private readonly token: string | null,
    private readonly out: Output,
    private readonly spinner = true,
  ) {}

  get authenticated(): boolean {
    return this.token !== null;
  }

  /**
   * A call to one route of the contract (src/contract/routes.ts): its path parameters, body and
   * query are checked against the route's schemas, and the answer has the route's type.
   */
  async call<K extends RouteKey>(
    route: K,
    ...[options]: unknown extends PathParams<K> ? [options?: CallOptions<K>] : [options: CallOptions<K>]
  ): Promise<ResponseOf<K>> {
    const { params, ...rest } = (options ?? {}) as CallOptions<K> & { params?: Record<string, string> };
    const method = route.slice(0, route.indexOf(' '));
    return this.request<ResponseOf<K>>(method, routePath(route, params ?? {}), rest as RequestOptions);
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const token = options.token === undefined ? this.token : options.token;
    if (token === null && path !== '/v1/sessions') {
      throw new CliError('unauthenticated', `Not signed in to ${this.server}.`, 1, 'Run `tokenbank login`, or pass a token with --token / TOKENBANK_TOKEN.');
    }
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'tokenbank-cli', ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const attempts = options.retry === false ? 1 : method === 'GET' || options.retry ? 1 + client_limits.network_retries_max : 1;
    const label = options.label ?? `Waiting for ${url.host} (${method} ${url.pathname})…`;
    const response = await this.out.spin(
      label,
      () => this.send(url, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) }, attempts),
      this.spinner,
    );
    const text = await response.text();
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new CliError(
          'bad_response',
          `${method} ${url.pathname} answered ${response.status} with something that is not JSON. Is ${this.server} a Tokenbank server?`,
        );
      }
    }
    if (!response.ok) {
      const error = (body as { error?: Record<string, unknown> } | null)?.error;
      const type = typeof error?.type === 'string' ? error.type : `http_${response.status}`;
      const message = typeof error?.message === 'string' ? error.message : `${method} ${url.pathname} answered ${response.status}.`;
      throw new ApiError(type, message, response.status, error ?? {}, hintFor(type, response.status, url.pathname, error ?? {}));
    }
    return body as T;
  }

  private async send(url: URL, init: RequestInit, attempts: number): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(url, { ...init, signal: AbortSignal.timeout(client_limits.request_timeout_ms) });
      } catch (error) {
        if (attempt < attempts) {
          await new Promise((resolve) => setTimeout(resolve, client_limits.retry_backoff_ms * attempt));
          continue;
        }
        throw networkError(this.server, error);
      }
    }
  }
}

function networkError(server: string, error: unknown): CliError {
  const e = error as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === 'TimeoutError')
    return new CliError(
      'timeout',
      `${server} did not answer within ${client_limits.request_timeout_ms / 1000} s.`,
      1,
      'Before repeating a purchase, check `tokenbank balance`: it may have gone through.',
    );
  const code = e.cause?.code ?? e.cause?.message ?? e.message ?? 'unknown error';
  return new CliError(
    'connection_failed',
    `Cannot reach ${server} (${code}).`,
    1,
    'Is the server running? Start one with `tokenbank serve`, or point the CLI elsewhere with --server / TOKENBANK_URL.',
  );
}
