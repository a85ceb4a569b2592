// Members of accounts and of API organizations (SPEC §1.2): invitations sent, accepted and
// declined; a member's role changed; a member removed, or leaving. Both kinds work the same
// way; what differs (the roles, a team plan's seats, the table) follows the account's kind.
// One transaction each, under the account's lock (the seats and the last owner are counted
// there). Who may call is checked by the route (owner of an account, admin of an org).
import { limits } from '../domain/limits';
import { decideMemberChange, kindNoun, managerRole, mayChangeMember, rolesOf, type AccountKind, type MemberChange, type MemberRole } from '../domain/members';
import { AppError, invalid, notFound } from '../domain/refusals';
import { checkSeat } from '../domain/subscription';
import type { Actor, Deps } from './deps';
import type { AccountRecord, InvitationRecord, StoreTx } from './ports';
import { pageCursor, pageLimit, pageOf, type PageRequest } from './reads';
import { lockAccount } from './locking';
import * as v from './validate';

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'expired';

export function invitationStatus(invitation: InvitationRecord, now_ms: number): InvitationStatus {
  if (invitation.accepted_at_ms !== null) return 'accepted';
  if (invitation.declined_at_ms !== null) return 'declined';
  return invitation.expires_at_ms <= now_ms ? 'expired' : 'pending';
}

function missing(kind: AccountKind, id: string): AppError {
  return notFound(kindNoun(kind), id);
}

function memberRole(kind: AccountKind, value: unknown, field = 'role'): MemberRole {
  const role = v.text(field, value);
  const roles = rolesOf(kind);
  if (!(roles as readonly string[]).includes(role)) throw invalid(field, `must be one of ${roles.join(', ')} (the roles of an ${kindNoun(kind)})`);
  return role as MemberRole;
}

/** The account of the expected kind, or not found (an org's id on an account route is not found, and the other way round). */
async function accountOf(deps: Deps, account_id: string, kind: AccountKind): Promise<AccountRecord> {
  const account = await deps.store.getAccount(account_id);
  if (!account || account.kind !== kind) throw missing(kind, account_id);
  return account;
}

async function membersWithEmail(deps: Deps, account: AccountRecord) {
  return account.kind === 'api_org' ? deps.store.orgs.listMembers(account.id) : deps.store.listAccountMembers(account.id);
}

/**
 * POST members: an invitation to `email` (SPEC §1.2). Nobody is added until the invited user
 * accepts. Whether a user with this email exists is never looked up here, so the answer (and
 * its timing) is the same for a registered and an unregistered email. Inviting an open
 * invitation's email again renews it. Refused: a member already, every seat taken (the owner
 * sees both in the members list anyway), or invitations_pending_per_account_max open.
 */
export async function inviteMember(
  deps: Deps,
  kind: AccountKind,
  account_id: string,
  input: { email: unknown; role: unknown },
  actor: Actor,
): Promise<InvitationRecord> {
  const email = v.email('email', input.email);
  const role = memberRole(kind, input.role);
  const catalog = await deps.catalog.get();
  const found = await accountOf(deps, account_id, kind);
  // Early answers for the owner; accepting checks the seats again under the account lock.
  const members = await membersWithEmail(deps, found);
  if (members.some((m) => m.email === email)) throw new AppError('conflict', `${email} is already a member of ${kindNoun(kind)} ${account_id}.`, { email });
  const no_seat = checkSeat(found, catalog.plans.get(found.plan_id ?? ''), members.length);
  if (no_seat) throw AppError.from(no_seat);
  return deps.store.transaction(async (tx) => {
    // The lock serialises invitations of one account, so the open-invitation bound holds.
    const { account } = await lockAccount(tx, account_id, kind);
    const now_ms = deps.clock.now_ms();
    const pending = await tx.countPendingInvitations(account_id, now_ms, email);
    if (pending >= limits.invitations_pending_per_account_max) {
      throw new AppError(
        'conflict',
        `${cap(kindNoun(kind))} ${account_id} has ${pending} open invitations, the most it may have; wait for answers or let some expire.`,
        {
          pending_invitations: pending,
          pending_invitations_max: limits.invitations_pending_per_account_max,
        },
      );
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
        payload: { invitation_id: invitation.id, email, role, account_name: account.name, account_kind: kind, expires_at },
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

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

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
    const { account } = await lockAccount(tx, found.account_id);
    const invitation = await tx.lockInvitation(invitation_id);
    if (!invitation) throw notFound('invitation', invitation_id);
    const now_ms = deps.clock.now_ms();
    requirePending(invitation, now_ms);
    const kind = account.kind;
    const members = await tx.memberRoles(account.id, kind);
    if (members.some((m) => m.user_id === invitee.user_id))
      throw new AppError('conflict', `You are already a member of ${kindNoun(kind)} ${account.id}.`, { account_id: account.id });
    const no_seat = kind === 'plan' ? checkSeat(account, catalog.plans.get(account.plan_id ?? ''), members.length) : null;
    if (no_seat) throw AppError.from(no_seat);
    await tx.putMember(account.id, kind, invitee.user_id, invitation.role, now_ms);
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

/** The signed-in user's pending invitations (matched by their email), oldest first, paged like every list. */
export async function listInvitations(deps: Deps, invitee: Invitee, query: PageRequest) {
  const limit = pageLimit(query);
  const rows = await deps.store.listPendingInvitations(invitee.email, deps.clock.now_ms(), limit + 1, pageCursor(query));
  return pageOf(rows, limit, (r) => r.invitation.id);
}

export interface MemberChangeInput {
  kind: AccountKind;
  account_id: string;
  user_id: string;
  /** PATCH: `{role}`; DELETE: no body. */
  change: { remove: true } | { role: unknown };
}

function checkMayChange(
  kind: AccountKind,
  account_id: string,
  role: MemberRole | 'operator',
  caller_user_id: string | null,
  user_id: string,
  change: MemberChange,
) {
  if (mayChangeMember(kind, role, caller_user_id, user_id, change)) return;
  const manager = managerRole(kind);
  throw new AppError(
    'forbidden',
    `This needs the ${manager} role on ${kindNoun(kind)} ${account_id}${change.kind === 'remove' ? ' (anyone may remove themselves)' : ''}; you are ${role}.`,
    { role, required_role: manager },
  );
}

/**
 * PATCH members/{user_id} (a new role) or DELETE members/{user_id} (removed, or leaving). A
 * member who is not there is not found; the last owner (admin) is refused with `conflict`
 * (domain/members.ts). A removed member's access ends at their next request: every route reads
 * the membership. Their holds and usage stay the account's.
 */
export async function changeMember(
  deps: Deps,
  input: MemberChangeInput,
  caller: { role: MemberRole | 'operator'; user_id: string | null },
  actor: Actor,
): Promise<{ user_id: string; role: MemberRole | null }> {
  const { kind, account_id, user_id } = input;
  const change: MemberChange = 'remove' in input.change ? { kind: 'remove' } : { kind: 'role', role: memberRole(kind, input.change.role) };
  checkMayChange(kind, account_id, caller.role, caller.user_id, user_id, change);
  return deps.store.transaction(async (tx) => {
    await lockAccount(tx, account_id, kind);
    const members = await tx.memberRoles(account_id, kind);
    // The caller's role again, under the lock: someone removed or demoted a moment ago (by a
    // change that committed after the route's check) may no longer make this change.
    if (caller.role !== 'operator') {
      const now = members.find((m) => m.user_id === caller.user_id);
      if (!now) throw missing(kind, account_id);
      checkMayChange(kind, account_id, now.role, caller.user_id, user_id, change);
    }
    const target = members.find((m) => m.user_id === user_id);
    if (!target) throw notFound('member', user_id);
    const refused = decideMemberChange({ account_kind: kind, account_id, members, user_id, change });
    if (refused) throw AppError.from(refused);
    const now_ms = deps.clock.now_ms();
    if (change.kind === 'remove') await tx.removeMember(account_id, kind, user_id);
    else if (change.role !== target.role) await tx.putMember(account_id, kind, user_id, change.role, now_ms);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: change.kind === 'remove' ? 'member.removed' : 'member.role_changed',
        request_id: actor.request_id,
        details: change.kind === 'remove' ? { user_id, role: target.role } : { user_id, before: target.role, after: change.role },
        created_at_ms: now_ms,
      },
    ]);
    return { user_id, role: change.kind === 'remove' ? null : change.role };
  });
}
