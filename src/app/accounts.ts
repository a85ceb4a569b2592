// Accounts, users, subscriptions and extra-usage settings. One transaction each.
import { cycleAt } from '../domain/cycles';
import { limits } from '../domain/limits';
import { AppError, invalid, notFound } from '../domain/refusals';
import { planStatusAt } from '../domain/wallet';
import type { Actor, Deps } from './deps';
import { requestHash } from './hash';
import { firstAnswer, firstCallWithKey, keyDetailsWithAnswer, type Replayable } from './idempotency';
import { sendDueLapseNotice } from './lapse';
import { hashPassword } from './passwords';
import type { AccountRecord, InvitationRecord, LockedAccount, Role, StoreTx, UserRecord } from './ports';
import { planExtraUsageChange, type ExtraUsageChange } from '../domain/settings';
import { planSubscriptionChange } from '../domain/subscription';
import { isPaidPlan } from '../domain/catalog';
import { refundableFigures } from '../domain/refunds';
import { accountView } from './account-view';
import { catalogPlan } from './catalog-plan';
import { extraUsageView, withForecast, type AccountView, type ExtraUsageAnswer, type ExtraUsageView } from './reads';
import { lockAccount } from './locking';
import * as v from './validate';

export interface CreateAccountInput {
  name: unknown;
  plan: unknown;
  owner_email: unknown;
  owner_password?: unknown;
  seats?: unknown;
  kind?: 'plan' | 'api_org';
}

export async function createAccount(
  deps: Deps,
  input: CreateAccountInput,
  actor: Actor,
): Promise<{ account: AccountRecord; owner: UserRecord; created_user: boolean }> {
  const name = v.text('name', input.name, limits.name_length_max);
  const plan_id = v.text('plan', input.plan);
  const owner_email = v.email('owner_email', input.owner_email);
  const seats = input.seats === undefined ? 1 : v.integerIn('seats', input.seats, 1, limits.seats_max);
  const catalog = await deps.catalog.get();
  const plan = catalog.plans.get(plan_id);
  if (!plan) throw invalid('plan', `unknown plan "${plan_id}"; plans: ${[...catalog.plans.keys()].join(', ')}`);
  if (!plan.per_seat && seats !== 1) throw invalid('seats', `the ${plan.name} plan has one seat`);
  const existing = await deps.store.findUserByEmail(owner_email);
  let password_hash: string | null = null;
  if (!existing) {
    const password = v.text('owner_password', input.owner_password, 200);
    if (password.length < limits.password_length_min) throw invalid('owner_password', `must be at least ${limits.password_length_min} characters`);
    password_hash = await hashPassword(password);
  }
  const now_ms = deps.clock.now_ms();
  const account: AccountRecord = {
    id: deps.ids.next('acct'),
    kind: input.kind ?? 'plan',
    name,
    plan_id,
    seats,
    anchor_ms: now_ms,
    cancel_at_ms: null,
    extra_usage_enabled: false,
    monthly_spend_limit_micros: null,
    auto_reload: { enabled: false, amount_micros: null, threshold_micros: null },
    has_payment_method: false,
    default_payment_method_id: null,
    created_at_ms: now_ms,
  };
  const owner: UserRecord = existing ?? { id: deps.ids.next('user'), email: owner_email, password_hash: password_hash!, created_at_ms: now_ms };
  await deps.store.transaction(async (tx) => {
    if (!existing) await tx.insertUser(owner);
    await tx.insertAccount(account, now_ms);
    await tx.insertMembership(account.id, owner.id, 'owner', now_ms);
    await tx.insertAudit([
      {
        account_id: account.id,
        actor: actor.id,
        action: 'account.created',
        request_id: actor.request_id,
        details: { name, plan: plan_id, seats, owner: owner.id },
        created_at_ms: now_ms,
      },
    ]);
  });
  return { account, owner, created_user: !existing };
}

/**
 * PUT subscription: change plan or seats (the rules: planSubscriptionChange). On a lapsed
 * account it starts a new subscription (a new cycle anchor, now); on a cancelling one it
 * withdraws the cancellation; a per-seat plan never gets fewer seats than members. Answers the
 * account view it wrote; a replay answers that same view.
 */
export async function changeSubscription(
  deps: Deps,
  account_id: string,
  input: { plan: unknown; seats?: unknown },
  actor: Actor,
  idempotency_key_in?: unknown,
): Promise<Replayable<{ answer: AccountView }>> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
  const plan_id = v.text('plan', input.plan);
  const catalog = await deps.catalog.get();
  const plan = catalog.plans.get(plan_id);
  if (!plan) throw invalid('plan', `unknown plan "${plan_id}"; plans: ${[...catalog.plans.keys()].join(', ')}`);
  const seats = input.seats === undefined ? undefined : v.integerIn('seats', input.seats, 1, limits.seats_max);
  if (!plan.per_seat && seats !== undefined && seats !== 1) throw invalid('seats', `the ${plan.name} plan has one seat`);
  const request_hash = requestHash({ plan: plan_id, seats });
  return deps.store.transaction(async (tx) => {
    const locked = await lockAccount(tx, account_id);
    const { account } = locked;
    const first = await firstCallWithKey(tx, account_id, 'subscription.changed', idempotency_key, request_hash, 'subscription change');
    if (first) return { answer: firstAnswer<AccountView>(first) ?? accountView(locked, catalogPlan(catalog, account), deps.clock.now_ms()), replayed: true };
    if (account.kind !== 'plan') throw invalid('account_id', 'API organizations have no plan');
    const now_ms = deps.clock.now_ms();
    const members = (await tx.memberRoles(account_id, 'plan')).length;
    const decided = planSubscriptionChange(account, plan, seats, members, now_ms);
    if (!decided.ok) throw AppError.from(decided.refusal);
    const { before, changes } = decided.change;
    Object.assign(account, changes);
    await tx.updateAccount(account_id, changes);
    const answer = accountView(locked, plan, now_ms);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'subscription.changed',
        request_id: actor.request_id,
        details: { before, after: { plan: plan_id, seats: account.seats }, ...keyDetailsWithAnswer(idempotency_key, request_hash, answer) },
        created_at_ms: now_ms,
      },
    ]);
    return { answer, replayed: false };
  });
}

/** DELETE subscription: cancels at the end of the current cycle and warns the owners. */
export async function cancelSubscription(deps: Deps, account_id: string, actor: Actor): Promise<AccountRecord> {
  return deps.store.transaction(async (tx) => {
    const locked = await lockAccount(tx, account_id);
    const { account } = locked;
    const now_ms = deps.clock.now_ms();
    if (planStatusAt(account, now_ms) === 'lapsed') throw new AppError('conflict', 'The subscription has already lapsed.', { plan_status: 'lapsed' });
    const cycle = cycleAt(account.anchor_ms, now_ms);
    account.cancel_at_ms = cycle.end_ms;
    await tx.updateAccount(account_id, { cancel_at_ms: cycle.end_ms });
    // The warning is the lapse notices' one definition: at once when the end is within the notice period, else by the job.
    await sendDueLapseNotice(tx, deps, locked, now_ms);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'subscription.cancelled',
        request_id: actor.request_id,
        details: { cancel_at: new Date(cycle.end_ms).toISOString() },
        created_at_ms: now_ms,
      },
    ]);
    return account;
  });
}

export interface ExtraUsagePatch {
  enabled?: unknown;
  monthly_spend_limit_micros?: unknown;
  auto_reload?: { enabled?: unknown; amount_micros?: unknown; threshold_micros?: unknown };
}

/**
 * PATCH extra-usage settings (the rules: planExtraUsageChange). Answers the extra-usage view it
 * wrote; a replay answers that same view.
 */
export async function updateExtraUsage(
  deps: Deps,
  account_id: string,
  patch: ExtraUsagePatch,
  actor: Actor,
  idempotency_key_in?: unknown,
): Promise<Replayable<{ answer: ExtraUsageAnswer }>> {
  const catalog = await deps.catalog.get();
  const changed = await changeExtraUsage(deps, account_id, patch, actor, idempotency_key_in, async (tx, locked, now_ms) => {
    const purchases = await tx.refundablePurchases(account_id);
    const plan = catalogPlan(catalog, locked.account);
    return extraUsageView(locked, now_ms, {
      refundable_micros: refundableFigures(locked.wallet, purchases, now_ms).refundable_micros,
      paid_plan: plan !== undefined && isPaidPlan(plan),
    });
  });
  // The settings are the change's (a replay answers the first call's); the forecast is taken now, after the transaction.
  return { ...changed, answer: await withForecast(deps, account_id, changed.answer, deps.clock.now_ms()) };
}

/** How a settings change's answer is made from the account as the change left it, in its transaction. */
export type SettingsAnswer<T extends object> = (tx: StoreTx, locked: LockedAccount, now_ms: number) => Promise<T>;

/**
 * The settings change of an account or an API organization. Rules: enabling extra usage while
 * no limit is set sets the $50 default, unless the same request sets a limit (null = unlimited,
 * an explicit choice); auto-reload needs an amount within the purchase bounds and a threshold.
 * The answer (`answerOf`) is kept in the audit entry, so a replay answers it unchanged.
 */
export async function changeExtraUsage<T extends object>(
  deps: Deps,
  account_id: string,
  patch: ExtraUsagePatch,
  actor: Actor,
  idempotency_key_in: unknown,
  answerOf: SettingsAnswer<T>,
): Promise<Replayable<{ answer: T }>> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
  const change = parseExtraUsagePatch(patch);
  const request_hash = requestHash({
    enabled: change.enabled,
    limit: change.monthly_spend_limit_micros,
    reload_enabled: change.auto_reload.enabled,
    reload_amount: change.auto_reload.amount_micros,
    reload_threshold: change.auto_reload.threshold_micros,
  });
  return deps.store.transaction(async (tx) => {
    const locked = await lockAccount(tx, account_id);
    const { account } = locked;
    const first = await firstCallWithKey(tx, account_id, 'extra_usage.updated', idempotency_key, request_hash, 'extra-usage change');
    if (first) return { answer: firstAnswer<T>(first) ?? (await answerOf(tx, locked, deps.clock.now_ms())), replayed: true };
    const now_ms = deps.clock.now_ms();
    const before = { enabled: account.extra_usage_enabled, limit: account.monthly_spend_limit_micros, auto_reload: { ...account.auto_reload } };
    const plan = planExtraUsageChange(account, change, deps.settings);
    if (!plan.ok) throw plan.error;
    await tx.updateAccount(account_id, plan.changes);
    const answer = await answerOf(tx, locked, now_ms);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'extra_usage.updated',
        request_id: actor.request_id,
        details: {
          before,
          after: { enabled: account.extra_usage_enabled, limit: account.monthly_spend_limit_micros, auto_reload: account.auto_reload },
          ...keyDetailsWithAnswer(idempotency_key, request_hash, answer),
        },
        created_at_ms: now_ms,
      },
    ]);
    return { answer, replayed: false };
  });
}

/** The patch's fields, each checked on its own (the rules between them are the domain's). */
function parseExtraUsagePatch(patch: ExtraUsagePatch): ExtraUsageChange & { auto_reload: NonNullable<ExtraUsageChange['auto_reload']> } {
  if (typeof patch !== 'object' || patch === null) throw invalid('body', 'must be an object');
  const enabled = patch.enabled === undefined ? undefined : bool('enabled', patch.enabled);
  const has_limit = 'monthly_spend_limit_micros' in patch && patch.monthly_spend_limit_micros !== undefined;
  const limit = !has_limit
    ? undefined
    : patch.monthly_spend_limit_micros === null
      ? null
      : v.amountMicros('monthly_spend_limit_micros', patch.monthly_spend_limit_micros);
  const reload = patch.auto_reload;
  if (reload !== undefined && (typeof reload !== 'object' || reload === null)) throw invalid('auto_reload', 'must be an object');
  const reload_enabled = reload?.enabled === undefined ? undefined : bool('auto_reload.enabled', reload.enabled);
  const reload_amount = reload?.amount_micros === undefined ? undefined : v.amountMicros('auto_reload.amount_micros', reload.amount_micros);
  const reload_threshold = reload?.threshold_micros === undefined ? undefined : v.amountMicros('auto_reload.threshold_micros', reload.threshold_micros);
  return {
    ...(enabled !== undefined ? { enabled } : {}),
    ...(limit !== undefined ? { monthly_spend_limit_micros: limit } : {}),
    auto_reload: {
      ...(reload_enabled !== undefined ? { enabled: reload_enabled } : {}),
      ...(reload_amount !== undefined ? { amount_micros: reload_amount } : {}),
      ...(reload_threshold !== undefined ? { threshold_micros: reload_threshold } : {}),
    },
  };
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
