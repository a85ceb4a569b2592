// Accounts, users, subscriptions and extra-usage settings. One transaction each.
import { cycleAt } from '../domain/cycles';
import { limits } from '../domain/limits';
import { formatUsd } from '../domain/money';
import { AppError, invalid, notFound } from '../domain/refusals';
import { planStatusAt } from '../domain/wallet';
import type { Actor, Deps } from './deps';
import { requestHash } from './hash';
import { firstCallWithKey, keyDetails, type Replayable } from './idempotency';
import { sendDueLapseNotice } from './lapse';
import { hashPassword } from './passwords';
import type { Plan } from '../domain/catalog';
import type { AccountRecord, InvitationRecord, Role, StoreTx, UserRecord } from './ports';
import { wholeCentsProblem } from '../domain/purchase';
import { planExtraUsageChange } from '../domain/settings';
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

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'expired';

export function invitationStatus(invitation: InvitationRecord, now_ms: number): InvitationStatus {
  if (invitation.accepted_at_ms !== null) return 'accepted';
  if (invitation.declined_at_ms !== null) return 'declined';
  return invitation.expires_at_ms <= now_ms ? 'expired' : 'pending';
}

/**
 * POST members: an invitation to `email` (SPEC §1.2). Nobody is added until the invited user
 * accepts. Whether a user with this email exists is never looked up here, so the answer (and
 * its timing) is the same for a registered and an unregistered email. Inviting an open
 * invitation's email again renews it. Refused: a member already, every seat taken (the owner
 * sees both in the members list anyway), or invitations_pending_per_account_max open.
 */
export async function inviteMember(deps: Deps, account_id: string, input: { email: unknown; role: unknown }, actor: Actor): Promise<InvitationRecord> {
  const email = v.email('email', input.email);
  const role = v.text('role', input.role) as Role;
  if (!['owner', 'billing', 'member'].includes(role)) throw invalid('role', 'must be owner, billing or member');
  const catalog = await deps.catalog.get();
  const found = await deps.store.getAccount(account_id);
  if (!found) throw notFound('account', account_id);
  // Early answers for the owner; accepting checks the seats again under the account lock.
  const members = await deps.store.listAccountMembers(account_id);
  if (members.some((m) => m.email === email)) throw new AppError('conflict', `${email} is already a member of account ${account_id}.`, { email });
  checkSeat(found, catalog.plans.get(found.plan_id ?? ''), members.length);
  return deps.store.transaction(async (tx) => {
    // The lock serialises invitations of one account, so the open-invitation bound holds.
    const { account } = await lockOne(tx, account_id);
    const now_ms = deps.clock.now_ms();
    const pending = await tx.countPendingInvitations(account_id, now_ms, email);
    if (pending >= limits.invitations_pending_per_account_max) {
      throw new AppError('conflict', `Account ${account_id} has ${pending} open invitations, the most it may have; wait for answers or let some expire.`, {
        pending_invitations: pending,
        pending_invitations_max: limits.invitations_pending_per_account_max,
      });
    }
    const invitation = await tx.upsertInvitation({
      id: deps.ids.next('inv'),
      account_id,
      email,
      role,
      invited_by: actor.id,
      created_at_ms: now_ms,
      expires_at_ms: now_ms + limits.invitation_ttl_ms,
      accepted_at_ms: null,
      declined_at_ms: null,
      accepted_by: null,
    });
    const expires_at = new Date(invitation.expires_at_ms).toISOString();
    // The email to the invitee goes through the outbox, like every other notification.
    await tx.insertOutbox([
      {
        account_id,
        type: 'member.invited',
        payload: { invitation_id: invitation.id, email, role, account_name: account.name, expires_at },
        created_at_ms: now_ms,
      },
    ]);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'member.invited',
        request_id: actor.request_id,
        details: { invitation_id: invitation.id, email, role, expires_at },
        created_at_ms: now_ms,
      },
    ]);
    return invitation;
  });
}

/** A team plan has a seat per member: one more member needs a free seat. */
function checkSeat(account: AccountRecord, plan: Plan | undefined, members: number): void {
  if (plan?.per_seat && members >= account.seats) {
    throw new AppError(
      'conflict',
      `All ${account.seats} seats of this ${plan.name} account are taken. Add seats with PUT /v1/accounts/${account.id}/subscription first.`,
      { seats: account.seats, members },
    );
  }
}

/** Who answers an invitation: the signed-in user it was sent to. */
export interface Invitee {
  user_id: string;
  email: string;
}

/**
 * The invitation, if `invitee` may answer it. Another user's invitation is not found, exactly
 * like one that does not exist: the answer tells nobody else that it exists or where it leads.
 */
async function invitationFor(deps: Deps, invitation_id: string, invitee: Invitee): Promise<InvitationRecord> {
  const invitation = await deps.store.getInvitation(invitation_id);
  if (!invitation || invitation.email !== invitee.email.toLowerCase()) throw notFound('invitation', invitation_id);
  return invitation;
}

function requirePending(invitation: InvitationRecord, now_ms: number): void {
  const status = invitationStatus(invitation, now_ms);
  if (status !== 'pending')
    throw new AppError(
      'conflict',
      `Invitation ${invitation.id} is ${status}; only a pending invitation can be answered.${status === 'expired' ? ' Ask for a new one.' : ''}`,
      { status },
    );
}

/** Accept: the membership is made under the account lock, where the seats are counted. */
export async function acceptInvitation(deps: Deps, invitation_id: string, invitee: Invitee, actor: Actor): Promise<InvitationRecord> {
  const found = await invitationFor(deps, invitation_id, invitee);
  const catalog = await deps.catalog.get();
  return deps.store.transaction(async (tx) => {
    // Lock order: the account, then the invitation (inviting takes the account lock too).
    const { account } = await lockOne(tx, found.account_id);
    const invitation = await tx.lockInvitation(invitation_id);
    if (!invitation) throw notFound('invitation', invitation_id);
    const now_ms = deps.clock.now_ms();
    requirePending(invitation, now_ms);
    const members = await tx.memberUserIds(account.id);
    if (members.includes(invitee.user_id)) throw new AppError('conflict', `You are already a member of account ${account.id}.`, { account_id: account.id });
    checkSeat(account, catalog.plans.get(account.plan_id ?? ''), members.length);
    await tx.insertMembership(account.id, invitee.user_id, invitation.role, now_ms);
    invitation.accepted_at_ms = now_ms;
    invitation.accepted_by = invitee.user_id;
    await tx.updateInvitation(invitation);
    await tx.insertOutbox([
      {
        account_id: account.id,
        type: 'member.joined',
        payload: { invitation_id, user_id: invitee.user_id, email: invitation.email, role: invitation.role },
        created_at_ms: now_ms,
      },
    ]);
    await tx.insertAudit([
      {
        account_id: account.id,
        actor: actor.id,
        action: 'member.added',
        request_id: actor.request_id,
        details: { invitation_id, user_id: invitee.user_id, role: invitation.role, invited_by: invitation.invited_by },
        created_at_ms: now_ms,
      },
    ]);
    return invitation;
  });
}

export async function declineInvitation(deps: Deps, invitation_id: string, invitee: Invitee, actor: Actor): Promise<InvitationRecord> {
  await invitationFor(deps, invitation_id, invitee);
  return deps.store.transaction(async (tx) => {
    const invitation = await tx.lockInvitation(invitation_id);
    if (!invitation) throw notFound('invitation', invitation_id);
    const now_ms = deps.clock.now_ms();
    requirePending(invitation, now_ms);
    invitation.declined_at_ms = now_ms;
    await tx.updateInvitation(invitation);
    await tx.insertAudit([
      {
        account_id: invitation.account_id,
        actor: actor.id,
        action: 'member.invitation_declined',
        request_id: actor.request_id,
        details: { invitation_id, email: invitation.email },
        created_at_ms: now_ms,
      },
    ]);
    return invitation;
  });
}

/** The signed-in user's pending invitations (matched by their email), oldest first. */
export function listInvitations(deps: Deps, invitee: Invitee, limit: number, after_id?: string) {
  return deps.store.listPendingInvitations(invitee.email, deps.clock.now_ms(), limit, after_id);
}

async function lockOne(tx: StoreTx, account_id: string) {
  const locked = (await tx.lockAccounts([account_id])).get(account_id);
  if (!locked) throw notFound('account', account_id);
  return locked;
}

/**
 * PUT subscription: change plan or seats. On a lapsed account it starts a new subscription
 * (a new cycle anchor, now); on a cancelling one it withdraws the cancellation.
 */
export async function changeSubscription(
  deps: Deps,
  account_id: string,
  input: { plan: unknown; seats?: unknown },
  actor: Actor,
  idempotency_key_in?: unknown,
): Promise<Replayable<AccountRecord>> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
  const plan_id = v.text('plan', input.plan);
  const catalog = await deps.catalog.get();
  const plan = catalog.plans.get(plan_id);
  if (!plan) throw invalid('plan', `unknown plan "${plan_id}"; plans: ${[...catalog.plans.keys()].join(', ')}`);
  const seats = input.seats === undefined ? undefined : v.integerIn('seats', input.seats, 1, limits.seats_max);
  if (!plan.per_seat && seats !== undefined && seats !== 1) throw invalid('seats', `the ${plan.name} plan has one seat`);
  const request_hash = requestHash({ plan: plan_id, seats });
  return deps.store.transaction(async (tx) => {
    const { account } = await lockOne(tx, account_id);
    if (await firstCallWithKey(tx, account_id, 'subscription.changed', idempotency_key, request_hash, 'subscription change'))
      return { ...account, replayed: true };
    if (account.kind !== 'plan') throw invalid('account_id', 'API organizations have no plan');
    const now_ms = deps.clock.now_ms();
    const before = { plan: account.plan_id, seats: account.seats, status: planStatusAt(account, now_ms) };
    if (before.status === 'lapsed') account.anchor_ms = now_ms;
    account.plan_id = plan_id;
    account.seats = plan.per_seat ? (seats ?? account.seats) : 1;
    account.cancel_at_ms = null;
    await tx.updateAccount(account_id, { plan_id, seats: account.seats, cancel_at_ms: null, anchor_ms: account.anchor_ms });
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'subscription.changed',
        request_id: actor.request_id,
        details: { before, after: { plan: plan_id, seats: account.seats }, ...keyDetails(idempotency_key, request_hash) },
        created_at_ms: now_ms,
      },
    ]);
    return { ...account, replayed: false };
  });
}

/** DELETE subscription: cancels at the end of the current cycle and warns the owners. */
export async function cancelSubscription(deps: Deps, account_id: string, actor: Actor): Promise<AccountRecord> {
  return deps.store.transaction(async (tx) => {
    const locked = await lockOne(tx, account_id);
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
 * PATCH extra-usage settings. Rules: enabling extra usage while no limit is set sets the $50
 * default, unless the same request sets a limit (null = unlimited, an explicit choice);
 * auto-reload needs an amount ≥ the minimum purchase and a threshold.
 */
export async function updateExtraUsage(
  deps: Deps,
  account_id: string,
  patch: ExtraUsagePatch,
  actor: Actor,
  idempotency_key_in?: unknown,
): Promise<Replayable<AccountRecord>> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
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
  if (reload_amount !== undefined && (reload_amount < deps.settings.purchase_micros_min || reload_amount > deps.settings.purchase_micros_max)) {
    throw invalid(
      'auto_reload.amount_micros',
      `must be between ${deps.settings.purchase_micros_min} (${formatUsd(deps.settings.purchase_micros_min)}) and ${deps.settings.purchase_micros_max}`,
    );
  }
  const cents = reload_amount === undefined ? null : wholeCentsProblem(reload_amount);
  if (cents) throw invalid('auto_reload.amount_micros', cents);
  const request_hash = requestHash({ enabled, limit: has_limit ? limit : undefined, reload_enabled, reload_amount, reload_threshold });
  return deps.store.transaction(async (tx) => {
    const { account } = await lockOne(tx, account_id);
    if (await firstCallWithKey(tx, account_id, 'extra_usage.updated', idempotency_key, request_hash, 'extra-usage change'))
      return { ...account, replayed: true };
    const now_ms = deps.clock.now_ms();
    const before = { enabled: account.extra_usage_enabled, limit: account.monthly_spend_limit_micros, auto_reload: { ...account.auto_reload } };
    const plan = planExtraUsageChange(account, {
      ...(enabled !== undefined ? { enabled } : {}),
      ...(has_limit ? { monthly_spend_limit_micros: limit ?? null } : {}),
      auto_reload: {
        ...(reload_enabled !== undefined ? { enabled: reload_enabled } : {}),
        ...(reload_amount !== undefined ? { amount_micros: reload_amount } : {}),
        ...(reload_threshold !== undefined ? { threshold_micros: reload_threshold } : {}),
      },
    });
    if (!plan.ok) throw plan.error;
    await tx.updateAccount(account_id, plan.changes);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'extra_usage.updated',
        request_id: actor.request_id,
        details: {
          before,
          after: { enabled: account.extra_usage_enabled, limit: account.monthly_spend_limit_micros, auto_reload: account.auto_reload },
          ...keyDetails(idempotency_key, request_hash),
        },
        created_at_ms: now_ms,
      },
    ]);
    return { ...account, replayed: false };
  });
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
