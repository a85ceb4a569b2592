// API organizations (issue 12): create, read, members, settings, API keys. An organization is an
// account of kind `api_org`: its credits, purchases, auto-reload, grants and ledger are the
// account machinery's (billing.ts, accounts.ts), called with the org's id; this file adds what
// only an org has — its roles and its keys.
import { limits } from '../domain/limits';
import { invariant } from '../domain/assert';
import { API_KEY_PREFIX, API_KEY_SHOWN_CHARS, ORG_ROLE_RANK, ORG_ROLES, keySpentThisMonth, orgAnchorMs, type ApiKeyRecord, type OrgRole } from '../domain/orgs';
import { AppError, invalid, notFound } from '../domain/refusals';
import { checkedTierTable, nextTier, tierFor, tierPurchasesMicros, type ApiTier } from '../domain/tiers';
import { cycleAt } from '../domain/cycles';
import { changeExtraUsage } from './accounts';
import type { Principal } from './auth';
import type { Actor, Deps } from './deps';
import type { Replayable } from './idempotency';
import { hashPassword, hashToken, newSecret } from './passwords';
import type { AccountRecord, LockedAccount, UserRecord } from './ports';
import { extraUsageView, type Page, pageLimit, pageOf, type PageRequest, type UsageQuery, usageRange } from './reads';
import * as v from './validate';

export const orgNotFound = (org_id: string) => notFound('organization', org_id);

/**
 * A user must be a member of the org (else 404, exactly as for an org that does not exist) with
 * at least `role` (else 403). The operator passes; service tokens see no org data.
 */
export async function requireOrgRole(deps: Deps, principal: Principal, org_id: string, role: OrgRole): Promise<OrgRole | 'operator'> {
  if (principal.kind === 'operator') {
    if (!(await getOrg(deps, org_id))) throw orgNotFound(org_id);
    return 'operator';
  }
  if (principal.kind === 'service') throw new AppError('forbidden', 'Service tokens may only make metering calls.');
  const membership = await deps.store.orgs.getRole(org_id, principal.user_id);
  if (!membership) throw orgNotFound(org_id);
  if (ORG_ROLE_RANK[membership] < ORG_ROLE_RANK[role])
    throw new AppError('forbidden', `This needs the ${role} role in organization ${org_id}; you are ${membership}.`, { role: membership, required_role: role });
  return membership;
}

async function getOrg(deps: Deps, org_id: string): Promise<AccountRecord | undefined> {
  const account = await deps.store.getAccount(org_id);
  return account?.kind === 'api_org' ? account : undefined;
}

function orgRole(value: unknown): OrgRole {
  const role = v.text('role', value);
  if (!(ORG_ROLES as readonly string[]).includes(role)) throw invalid('role', `must be one of ${ORG_ROLES.join(', ')}`);
  return role as OrgRole;
}

export interface CreateOrgInput {
  name: unknown;
  admin_email: unknown;
  admin_password?: unknown;
  monthly_limit_micros?: unknown;
}

/** Operator: an organization with its first admin (an existing user, or a new one with the password given). */
export async function createOrg(deps: Deps, input: CreateOrgInput, actor: Actor): Promise<{ org: AccountRecord; admin: UserRecord }> {
  const name = v.text('name', input.name, limits.name_length_max);
  const admin_email = v.email('admin_email', input.admin_email);
  const limit =
    input.monthly_limit_micros === undefined || input.monthly_limit_micros === null ? null : v.amountMicros('monthly_limit_micros', input.monthly_limit_micros);
  const existing = await deps.store.findUserByEmail(admin_email);
  let password_hash: string | null = null;
  if (!existing) {
    const password = v.text('admin_password', input.admin_password, limits.password_length_max);
    if (password.length < limits.password_length_min) throw invalid('admin_password', `must be at least ${limits.password_length_min} characters`);
    password_hash = await hashPassword(password);
  }
  const now_ms = deps.clock.now_ms();
  const org: AccountRecord = {
    id: deps.ids.next('org'),
    kind: 'api_org',
    name,
    plan_id: null,
    seats: 1,
    // Calendar months (UTC): the monthly limits of the org and its keys reset on the 1st.
    anchor_ms: orgAnchorMs(now_ms),
    cancel_at_ms: null,
    // API credits are always on: the org exists to pay for its keys' requests.
    extra_usage_enabled: true,
    monthly_spend_limit_micros: limit,
    auto_reload: { enabled: false, amount_micros: null, threshold_micros: null },
    has_payment_method: false,
    default_payment_method_id: null,
    created_at_ms: now_ms,
  };
  const admin: UserRecord = existing ?? { id: deps.ids.next('user'), email: admin_email, password_hash: password_hash!, created_at_ms: now_ms };
  await deps.store.transaction(async (tx) => {
    if (!existing) await tx.insertUser(admin);
    await tx.insertAccount(org, now_ms);
    await tx.orgs.insertMember(org.id, admin.id, 'admin', now_ms);
    await tx.insertAudit([
      {
        account_id: org.id,
        actor: actor.id,
        action: 'org.created',
        request_id: actor.request_id,
        details: { name, admin: admin.id, monthly_limit_micros: limit },
        created_at_ms: now_ms,
      },
    ]);
  });
  return { org, admin };
}

export async function listOrgMembers(deps: Deps, org_id: string) {
  if (!(await getOrg(deps, org_id))) throw orgNotFound(org_id);
  return deps.store.orgs.listMembers(org_id);
}

export interface OrgPatch {
  monthly_limit_micros?: unknown;
  auto_reload?: unknown;
}

/**
 * The org's monthly limit and auto-reload: the account settings rules (SPEC §1.6, §1.7),
 * unchanged. Answers the org view it wrote; a replay answers that same view.
 */
export async function updateOrg(
  deps: Deps,
  org_id: string,
  patch: OrgPatch,
  actor: Actor,
  idempotency_key?: unknown,
): Promise<Replayable<{ answer: OrgView }>> {
  if (!(await getOrg(deps, org_id))) throw orgNotFound(org_id);
  // The tier follows purchases, which a settings change does not touch: read before the transaction.
  const tier = await orgTier(deps, org_id);
  return changeExtraUsage(
    deps,
    org_id,
    {
      ...('monthly_limit_micros' in patch && patch.monthly_limit_micros !== undefined ? { monthly_spend_limit_micros: patch.monthly_limit_micros } : {}),
      ...(patch.auto_reload !== undefined ? { auto_reload: patch.auto_reload as Record<string, unknown> } : {}),
    },
    actor,
    idempotency_key,
    async (_tx, locked, now_ms) => orgView(locked, now_ms, tier),
  );
}

export interface OrgView {
  id: string;
  kind: 'api_org';
  name: string;
  created_at: string;
  credit_balance_micros: number;
  purchased_micros: number;
  promotional_micros: number;
  held_micros: number;
  available_micros: number;
  monthly_limit_micros: number | null;
  spent_this_month_micros: number;
  month_start: string;
  month_end: string;
  auto_reload: ReturnType<typeof extraUsageView>['auto_reload'];
  has_payment_method: boolean;
  tier: { tier: number; purchased_total_micros: number; next: { tier: number; purchased_micros_min: number; remaining_micros: number } | null };
  limits: { requests_per_minute: number; input_tokens_per_minute: number; output_tokens_per_minute: number };
}

/** The org's tier and rate limits, from its cumulative purchases. */
export async function orgTier(deps: Deps, org_id: string): Promise<{ tier: ApiTier; purchased_total_micros: number; tiers: ApiTier[] }> {
  const [tiers, purchases] = await Promise.all([deps.store.orgs.listTiers(), deps.store.orgs.purchasedTotal(org_id)]);
  const purchased_total_micros = tierPurchasesMicros(purchases);
  const tier = tierFor(tiers, purchased_total_micros);
  invariant(tier, 'no API tiers are defined (PUT /v1/api-tiers always keeps a tier 0)');
  return { tier, purchased_total_micros, tiers };
}

export async function getOrgView(deps: Deps, org_id: string): Promise<OrgView> {
  const locked = await deps.store.readAccount(org_id);
  if (!locked || locked.account.kind !== 'api_org') throw orgNotFound(org_id);
  return orgView(locked, deps.clock.now_ms(), await orgTier(deps, org_id));
}

/** The org view of a loaded org (pure: a read, or a settings change in its transaction). */
function orgView(locked: LockedAccount, now_ms: number, { tier, purchased_total_micros, tiers }: Awaited<ReturnType<typeof orgTier>>): OrgView {
  const org_id = locked.account.id;
  const credits = extraUsageView(locked, now_ms);
  const cycle = cycleAt(locked.account.anchor_ms, now_ms);
  return {
    id: org_id,
    kind: 'api_org',
    name: locked.account.name,
    created_at: new Date(locked.account.created_at_ms).toISOString(),
    credit_balance_micros: credits.balance_micros,
    purchased_micros: credits.purchased_micros,
    promotional_micros: credits.promotional_micros,
    held_micros: credits.held_micros,
    available_micros: credits.available_micros,
    monthly_limit_micros: locked.account.monthly_spend_limit_micros,
    spent_this_month_micros: credits.spent_this_cycle_micros,
    month_start: new Date(cycle.start_ms).toISOString(),
    month_end: new Date(cycle.end_ms).toISOString(),
    auto_reload: credits.auto_reload,
    has_payment_method: locked.account.has_payment_method,
    tier: { tier: tier.tier, purchased_total_micros, next: nextTier(tiers, purchased_total_micros) },
    limits: {
      requests_per_minute: tier.requests_per_minute,
      input_tokens_per_minute: tier.input_tokens_per_minute,
      output_tokens_per_minute: tier.output_tokens_per_minute,
    },
  };
}

/** Operator: every org; a user: the orgs they belong to, with their role. Paged by id. */
export async function listOrgs(deps: Deps, principal: Principal, query: PageRequest): Promise<Page<{ org: AccountRecord; role: OrgRole | null }>> {
  const limit = pageLimit(query);
  const cursor = query.cursor ?? query.before;
  const after = cursor === undefined || cursor === '' ? undefined : v.text('cursor', cursor);
  if (principal.kind === 'user') {
    const rows = await deps.store.orgs.listUserOrgs(principal.user_id, limit + 1, after);
    return pageOf(rows, limit, (r) => r.org.id);
  }
  if (principal.kind !== 'operator') throw new AppError('forbidden', 'Service tokens may only make metering calls.');
  const rows = await deps.store.orgs.listOrgs(limit + 1, after);
  return pageOf(
    rows.map((org) => ({ org, role: null })),
    limit,
    (r) => r.org.id,
  );
}

// ---- API keys ---------------------------------------------------------------------------------

export interface ApiKeyView {
  key: ApiKeyRecord;
  spent_this_month_micros: number;
}

/** Org admin: a new key. The secret is returned here once; only its SHA-256 hash is stored. */
export async function createApiKey(deps: Deps, org_id: string, input: { name: unknown; monthly_limit_micros?: unknown }, actor: Actor) {
  const name = v.text('name', input.name, limits.token_name_length_max);
  const limit =
    input.monthly_limit_micros === undefined || input.monthly_limit_micros === null ? null : v.amountMicros('monthly_limit_micros', input.monthly_limit_micros);
  const org = await getOrg(deps, org_id);
  if (!org) throw orgNotFound(org_id);
  const secret = newSecret(API_KEY_PREFIX, limits.api_key_secret_bytes);
  const now_ms = deps.clock.now_ms();
  const key: ApiKeyRecord = {
    id: deps.ids.next('key'),
    org_id,
    name,
    prefix: secret.slice(0, API_KEY_SHOWN_CHARS),
    key_hash: hashToken(secret),
    monthly_limit_micros: limit,
    spent_month_micros: 0,
    spent_month_start_ms: cycleAt(org.anchor_ms, now_ms).start_ms,
    held_micros: 0,
    late_held_micros: 0,
    created_by: actor.id,
    created_at_ms: now_ms,
    last_used_at_ms: null,
    revoked_at_ms: null,
  };
  await deps.store.transaction(async (tx) => {
    await tx.lockAccounts([org_id]);
    await tx.orgs.insertApiKey(key);
    await tx.insertAudit([
      {
        account_id: org_id,
        actor: actor.id,
        action: 'api_key.created',
        request_id: actor.request_id,
        details: { api_key_id: key.id, name, monthly_limit_micros: limit },
        created_at_ms: now_ms,
      },
    ]);
  });
  return { secret, key, spent_this_month_micros: 0 };
}

export async function listApiKeys(deps: Deps, org_id: string): Promise<ApiKeyView[]> {
  const org = await getOrg(deps, org_id);
  if (!org) throw orgNotFound(org_id);
  const now_ms = deps.clock.now_ms();
  return (await deps.store.orgs.listApiKeys(org_id)).map((key) => ({ key, spent_this_month_micros: keySpentThisMonth(key, org, now_ms) }));
}

/**
 * Org admin: revokes a key at once on every server process. Nothing caches a key: every
 * authorization looks it up, and the metering batch re-reads it under its row lock, so a
 * batch that starts after this commits refuses it (401).
 */
export async function revokeApiKey(deps: Deps, org_id: string, key_id: string, actor: Actor): Promise<ApiKeyView> {
  const org = await getOrg(deps, org_id);
  if (!org) throw orgNotFound(org_id);
  const missing = notFound('API key', key_id);
  const now_ms = deps.clock.now_ms();
  await deps.store.transaction(async (tx) => {
    await tx.lockAccounts([org_id]);
    const revoked = await tx.orgs.revokeApiKey(org_id, key_id, now_ms);
    if (revoked)
      await tx.insertAudit([
        {
          account_id: org_id,
          actor: actor.id,
          action: 'api_key.revoked',
          request_id: actor.request_id,
          details: { api_key_id: key_id },
          created_at_ms: now_ms,
        },
      ]);
  });
  const key = (await deps.store.orgs.listApiKeys(org_id)).find((k) => k.id === key_id);
  if (!key) throw missing;
  return { key, spent_this_month_micros: keySpentThisMonth(key, org, now_ms) };
}

/** The key a secret names, or 401: unknown and revoked keys are answered alike. Never cached. */
export async function resolveApiKey(deps: Deps, secret: string, field = 'api_key'): Promise<ApiKeyRecord> {
  const refused = new AppError('unauthenticated', `${field}: the API key is unknown or revoked. Create a key with POST /v1/orgs/{id}/keys.`, { field });
  if (secret.length < limits.token_length_min || secret.length > limits.token_length_max || !secret.startsWith(`${API_KEY_PREFIX}_`)) throw refused;
  const key = await deps.store.orgs.findApiKeyByHash(hashToken(secret));
  if (!key || key.revoked_at_ms !== null) throw refused;
  return key;
}

// ---- usage -------------------------------------------------------------------------------------

/** The org's API usage by day or month, grouped by key or model (or not), with totals. */
export async function getOrgUsage(deps: Deps, org_id: string, query: UsageQuery) {
  const { from, to, granularity } = usageRange(query, deps.clock.now_ms());
  const group_by = query.group_by === undefined || query.group_by === null || query.group_by === '' ? null : query.group_by;
  if (group_by !== null && group_by !== 'key' && group_by !== 'model') throw invalid('group_by', 'must be key or model');
  if (!(await getOrg(deps, org_id))) throw orgNotFound(org_id);
  const rows = await deps.store.orgs.usage({ org_id, from_day: from, to_day: to, granularity, group_by });
  const totals = { requests: 0, cost_micros: 0 };
  for (const r of rows) {
    totals.requests += r.requests;
    totals.cost_micros += r.cost_micros;
  }
  const buckets = rows.map(({ bucket, ...rest }) => ({ ...rest, start: granularity === 'day' ? bucket : `${bucket}-01` }));
  return { org_id, from, to, granularity, group_by, buckets, totals };
}

// ---- tiers (operator) -------------------------------------------------------------------------

/** Operator: replaces the tiers. Tier 0 must start at 0 (every org is in some tier); minimums rise with the tier. */
export async function replaceTiers(deps: Deps, input: { tiers: unknown }, actor: Actor): Promise<ApiTier[]> {
  if (!Array.isArray(input.tiers) || input.tiers.length === 0) throw invalid('tiers', 'must list at least one tier');
  if (input.tiers.length > limits.api_tiers_max) throw invalid('tiers', `at most ${limits.api_tiers_max} tiers`);
  const tiers: ApiTier[] = input.tiers.map((raw, i) => {
    const t = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    return {
      tier: v.integerIn(`tiers[${i}].tier`, t.tier, 0, limits.api_tiers_max),
      purchased_micros_min: v.amountMicros(`tiers[${i}].purchased_micros_min`, t.purchased_micros_min),
      requests_per_minute: v.integerIn(`tiers[${i}].requests_per_minute`, t.requests_per_minute, 1, limits.plan_requests_per_minute_max),
      input_tokens_per_minute: v.integerIn(`tiers[${i}].input_tokens_per_minute`, t.input_tokens_per_minute, 1, limits.plan_tokens_per_minute_max),
      output_tokens_per_minute: v.integerIn(`tiers[${i}].output_tokens_per_minute`, t.output_tokens_per_minute, 1, limits.plan_tokens_per_minute_max),
    };
  });
  const sorted = checkedTierTable(tiers);
  const now_ms = deps.clock.now_ms();
  await deps.store.transaction(async (tx) => {
    await tx.orgs.replaceTiers(sorted);
    await tx.insertAudit([
      {
        account_id: null,
        actor: actor.id,
        action: 'api_tiers.updated',
        request_id: actor.request_id,
        details: { tiers: sorted.length },
        created_at_ms: now_ms,
      },
    ]);
  });
  return sorted;
}
