// Who is calling, and what they may do (SPEC §1.2, §1.11).
//   operator  — everything;
//   service   — the model gateway: metering calls only;
//   user      — through a session (the page's cookie) or a personal access token (the CLI):
//               only the accounts they belong to; `member` reads, `billing`/`owner` change money.
// A user asking for an account they do not belong to gets 404, never its data.
import { limits } from '../domain/limits';
import { AppError, invalid, notFound } from '../domain/refusals';
import type { Actor, Deps } from './deps';
import { hashToken, newSecret, verifyPassword, hashPassword } from './passwords';
import type { Role, TokenKind, TokenRecord, UserRecord } from './ports';
import * as v from './validate';

export const session_ttl_ms = limits.session_ttl_ms;
export const personal_token_ttl_ms_max = limits.personal_token_ttl_days_max * 86_400_000;

export type Principal =
  | { kind: 'operator'; token_id: string }
  | { kind: 'service'; token_id: string; name: string }
  | { kind: 'user'; token_id: string; user_id: string; email: string; via: 'session' | 'personal' };

export function actorOf(principal: Principal, request_id: string | null): Actor {
  switch (principal.kind) {
    case 'operator':
      return { id: 'operator', request_id };
    case 'service':
      return { id: `service:${principal.token_id}`, request_id };
    case 'user':
      return { id: `user:${principal.user_id}`, request_id };
  }
}

const TOKEN_PREFIX: Record<TokenKind, string> = { operator: 'tbo', service: 'tbs', personal: 'tbp', session: 'tbsess' };

async function issue(
  deps: Deps,
  kind: TokenKind,
  name: string,
  user_id: string | null,
  ttl_ms: number | null,
): Promise<{ token: string; record: TokenRecord }> {
  const token = newSecret(TOKEN_PREFIX[kind]);
  const now_ms = deps.clock.now_ms();
  const record: TokenRecord = {
    id: deps.ids.next('tok'),
    kind,
    user_id,
    name,
    token_hash: hashToken(token),
    created_at_ms: now_ms,
    expires_at_ms: ttl_ms === null ? null : now_ms + ttl_ms,
    revoked_at_ms: null,
  };
  await deps.store.transaction(async (tx) => {
    await tx.insertToken(record);
    await tx.insertAudit([
      {
        account_id: null,
        actor: user_id ? `user:${user_id}` : 'operator',
        action: `token.created`,
        request_id: null,
        details: { token_id: record.id, kind, name },
        created_at_ms: now_ms,
      },
    ]);
  });
  return { token, record };
}

/**
 * Principals by token hash, kept `token_cache_ttl_ms`: the metering path is thousands of requests
 * a second on a few tokens, and a database probe per request would cost more than the request.
 * A token revoked in this process is dropped at once; another process sees a revocation within
 * the TTL. Expiry is checked on every use. Bounded: cleared when it reaches its entries_max.
 */
export const token_cache_ttl_ms = limits.token_cache_ttl_ms;
export const token_cache_entries_max = limits.token_cache_entries_max;
const token_caches = new WeakMap<Deps, Map<string, { principal: Principal; expires_at_ms: number | null; cached_at_ms: number }>>();

function tokenCache(deps: Deps) {
  let cache = token_caches.get(deps);
  if (!cache) {
    cache = new Map();
    token_caches.set(deps, cache);
  }
  return cache;
}

function forgetToken(deps: Deps, token_id: string) {
  const cache = tokenCache(deps);
  for (const [hash, entry] of cache) if (entry.principal.token_id === token_id) cache.delete(hash);
}

/** Resolves a bearer secret to a principal, or null when it is unknown, revoked or expired. */
export async function authenticate(deps: Deps, token: string): Promise<Principal | null> {
  if (token.length < limits.token_length_min || token.length > limits.token_length_max) return null;
  const token_hash = hashToken(token);
  const cache = tokenCache(deps);
  const now = Date.now(); // cache freshness only
  const cached = cache.get(token_hash);
  if (cached && now - cached.cached_at_ms < token_cache_ttl_ms) {
    if (cached.expires_at_ms !== null && cached.expires_at_ms <= deps.clock.now_ms()) return null;
    return cached.principal;
  }
  const principal = await lookupToken(deps, token_hash);
  if (principal) {
    if (cache.size >= token_cache_entries_max) cache.clear();
    cache.set(token_hash, { ...principal, cached_at_ms: now });
  } else cache.delete(token_hash);
  return principal?.principal ?? null;
}

async function lookupToken(deps: Deps, token_hash: string): Promise<{ principal: Principal; expires_at_ms: number | null } | null> {
  // The lookup is by SHA-256 of the secret (an index probe), so timing reveals nothing about it.
  const record = await deps.store.findTokenByHash(token_hash);
  if (!record || record.revoked_at_ms !== null) return null;
  if (record.expires_at_ms !== null && record.expires_at_ms <= deps.clock.now_ms()) return null;
  const principal = await principalOf(deps, record);
  return principal ? { principal, expires_at_ms: record.expires_at_ms } : null;
}

async function principalOf(deps: Deps, record: TokenRecord): Promise<Principal | null> {
  switch (record.kind) {
    case 'operator':
      return { kind: 'operator', token_id: record.id };
    case 'service':
      return { kind: 'service', token_id: record.id, name: record.name };
    case 'personal':
    case 'session': {
      const user = record.user_id ? await deps.store.getUser(record.user_id) : undefined;
      if (!user) return null;
      return { kind: 'user', token_id: record.id, user_id: user.id, email: user.email, via: record.kind === 'session' ? 'session' : 'personal' };
    }
  }
}

/**
 * The operator token: `TOKENBANK_ADMIN_TOKEN` when given, else made once and returned to print.
 * A configured token is the only operator token: registering it revokes every other unrevoked
 * operator token in the same transaction (a replaced secret must stop working), and
 * drops them from this process's principal cache (other processes see it within token_cache_ttl_ms).
 * A configured token that was itself revoked by such a replacement is refused: it was retired.
 */
export async function ensureOperatorToken(
  deps: Deps,
  configured: string | undefined,
): Promise<{ token: string | null; created: boolean; revoked_token_ids: string[] }> {
  if (configured) {
    if (configured.length < limits.token_length_min) throw invalid('TOKENBANK_ADMIN_TOKEN', `must be at least ${limits.token_length_min} characters`);
    const token_hash = hashToken(configured);
    const existing = await deps.store.findTokenByHash(token_hash);
    if (existing && (existing.kind !== 'operator' || existing.revoked_at_ms !== null)) {
      throw invalid(
        'TOKENBANK_ADMIN_TOKEN',
        'this secret was revoked (it was replaced by another operator token, or belongs to another token); configure a new one',
      );
    }
    const now_ms = deps.clock.now_ms();
    let revoked_token_ids: string[] = [];
    try {
      revoked_token_ids = await deps.store.transaction(async (tx) => {
        if (!existing)
          await tx.insertToken({
            id: deps.ids.next('tok'),
            kind: 'operator',
            user_id: null,
            name: 'TOKENBANK_ADMIN_TOKEN',
            token_hash,
            created_at_ms: now_ms,
            expires_at_ms: null,
            revoked_at_ms: null,
          });
        const revoked = await tx.revokeTokensOfKindExcept('operator', token_hash, now_ms);
        if (revoked.length > 0)
          await tx.insertAudit([
            {
              account_id: null,
              actor: 'system',
              action: 'token.revoked',
              request_id: null,
              details: { kind: 'operator', token_ids: revoked, reason: 'TOKENBANK_ADMIN_TOKEN replaced' },
              created_at_ms: now_ms,
            },
          ]);
        return revoked;
      });
    } catch (error) {
      // Several processes starting at once on one database: another one registered it first
      // (api_tokens_hash_unique) and revoked the old ones in its transaction: the same outcome.
      const registered = await deps.store.findTokenByHash(token_hash);
      if (!registered || registered.revoked_at_ms !== null) throw error;
      return { token: configured, created: false, revoked_token_ids: [] };
    }
    for (const id of revoked_token_ids) forgetToken(deps, id);
    return { token: configured, created: !existing, revoked_token_ids };
  }
  const existing = await deps.store.listTokens({ kind: 'operator' });
  if (existing.length > 0) return { token: null, created: false, revoked_token_ids: [] };
  const { token } = await issue(deps, 'operator', 'generated on first start', null, null);
  return { token, created: true, revoked_token_ids: [] };
}

export async function signIn(
  deps: Deps,
  input: { email: unknown; password: unknown },
  client: { address: string | null } = { address: null },
): Promise<{ token: string; expires_at_ms: number; user: UserRecord }> {
  const email = v.email('email', input.email);
  const password = v.text('password', input.password, limits.password_length_max);
  // Checked before the password: at the bound even the right password is refused.
  const attempt = await takeSignInAttempt(deps, email, client.address);
  const user = await deps.store.findUserByEmail(email);
  // Verify against a dummy hash when the user is unknown, so timing does not reveal which emails exist.
  const ok = user ? await verifyPassword(password, user.password_hash) : (await verifyPassword(password, await dummyHash()), false);
  if (!user || !ok) throw new AppError('unauthenticated', 'Email or password is wrong.');
  await attempt.succeeded();
  const { token, record } = await issue(deps, 'session', 'sign-in', user.id, session_ttl_ms);
  return { token, expires_at_ms: record.expires_at_ms!, user };
}

/**
 * Sign-in throttling. Every attempt takes a point from its email's and its client address's
 * budgets first (atomic, so concurrent guesses cannot slip past the bound together); a success
 * gives them back (the email's count starts over), so what stays counted are the failures.
 */
async function takeSignInAttempt(deps: Deps, email: string, address: string | null): Promise<{ succeeded: () => Promise<void> }> {
  const limiter = deps.sign_in_limiter;
  if (!limiter) return { succeeded: async () => undefined };
  const window_ms = limits.sign_in_failure_window_ms;
  const budgets = [
    { key: `sign-in:email:${email}`, limit: limits.sign_in_failures_per_email_max, what: 'this email' },
    ...(address ? [{ key: `sign-in:address:${address}`, limit: limits.sign_in_failures_per_address_max, what: 'this address' }] : []),
  ];
  const taken: typeof budgets = [];
  for (const budget of budgets) {
    const result = await limiter.consume(budget.key, 1, budget.limit, window_ms);
    if (!result.ok) {
      for (const t of taken) await limiter.refund(t.key, 1, t.limit, window_ms);
      const retry_after_s = Math.ceil(result.retry_after_ms / 1000);
      throw new AppError(
        'rate_limited',
        `Too many failed sign-ins for ${budget.what} (${budget.limit} per ${window_ms / 60_000} minutes). Retry in ${retry_after_s} s, or reset the password if it is forgotten.`,
        { retry_after_s, failures_max: budget.limit, window_s: window_ms / 1000 },
      );
    }
    taken.push(budget);
  }
  return {
    succeeded: async () => {
      const [by_email, ...others] = budgets;
      await limiter.reset(by_email!.key, by_email!.limit, window_ms);
      for (const b of others) await limiter.refund(b.key, 1, b.limit, window_ms);
    },
  };
}

let dummy: Promise<string> | undefined;
function dummyHash() {
  dummy ??= hashPassword('not a real password');
  return dummy;
}

export async function signOut(deps: Deps, principal: Principal): Promise<void> {
  if (principal.kind !== 'user' || principal.via !== 'session') return;
  await deps.store.transaction((tx) => tx.revokeToken(principal.token_id, deps.clock.now_ms()));
  forgetToken(deps, principal.token_id);
}

export async function createPersonalToken(deps: Deps, principal: Principal, input: { name?: unknown; ttl_days?: unknown }) {
  if (principal.kind !== 'user') throw new AppError('forbidden', 'Personal access tokens belong to users: sign in first.');
  const name = input.name === undefined ? 'cli' : v.text('name', input.name, limits.token_name_length_max);
  const ttl_ms = input.ttl_days === undefined ? null : v.integerIn('ttl_days', input.ttl_days, 1, limits.personal_token_ttl_days_max) * 86_400_000;
  const { token, record } = await issue(deps, 'personal', name, principal.user_id, ttl_ms);
  return { token, record };
}

export async function createServiceToken(deps: Deps, principal: Principal, input: { name: unknown }) {
  requireOperator(principal);
  return issue(deps, 'service', v.text('name', input.name, limits.token_name_length_max), null, null);
}

export async function revokeToken(deps: Deps, principal: Principal, token_id: string, kind: TokenKind) {
  if (kind === 'service' || principal.kind === 'service') requireOperator(principal);
  const tokens = await deps.store.listTokens({ kind, ...(principal.kind === 'user' ? { user_id: principal.user_id } : {}) });
  if (!tokens.some((t) => t.id === token_id)) throw notFound('token', token_id);
  await deps.store.transaction((tx) => tx.revokeToken(token_id, deps.clock.now_ms()));
  forgetToken(deps, token_id);
}

// ---- access checks -------------------------------------------------------------------------

const ROLE_RANK: Record<Role, number> = { member: 0, billing: 1, owner: 2 };

export function requireOperator(principal: Principal): void {
  if (principal.kind !== 'operator') throw new AppError('forbidden', 'This needs the operator token.');
}

/** Metering calls: the gateway's service tokens (and the operator). */
export function requireMetering(principal: Principal): void {
  if (principal.kind !== 'service' && principal.kind !== 'operator')
    throw new AppError('forbidden', 'Metering calls need a service token of the model gateway.');
}

/**
 * A user must belong to the account (else 404, as if it did not exist) with at least `role`
 * (else 403). Operators pass; service tokens see no account data.
 * `hidden` is the 404 to answer for something found through the account (an authorization, an
 * invitation): the very answer its route gives for an id that does not exist, so "not yours"
 * and "not there" cannot be told apart and the account's id is never named.
 */
export async function requireRole(
  deps: Deps,
  principal: Principal,
  account_id: string,
  role: Role,
  hidden: AppError = notFound('account', account_id),
): Promise<Role | 'operator'> {
  if (principal.kind === 'operator') return 'operator';
  if (principal.kind === 'service') throw new AppError('forbidden', 'Service tokens may only make metering calls.');
  const membership = await deps.store.getMembership(account_id, principal.user_id);
  if (!membership) throw hidden;
  if (ROLE_RANK[membership] < ROLE_RANK[role])
    throw new AppError('forbidden', `This needs the ${role} role on account ${account_id}; you are ${membership}.`, { role: membership, required_role: role });
  return membership;
}
