// Members of an account or of an API organization (SPEC §1.2). Each kind has its own roles; a
// person joins either one by an invitation they accept. The rule that keeps someone in charge:
// the last owner of an account, or the last admin of an organization, can neither be removed
// nor given a lesser role (they hand the role to someone else first). Pure: the use cases load
// the members under the account's lock and write what these functions allow.
import { ORG_ROLES, type OrgRole } from './orgs';
import type { Role } from './records';
import { refusal, type Refusal } from './refusals';

export type AccountKind = 'plan' | 'api_org';
export const ACCOUNT_ROLES = ['owner', 'billing', 'member'] as const satisfies readonly Role[];
export type MemberRole = Role | OrgRole;

export interface MemberState {
  user_id: string;
  role: MemberRole;
}

/** The roles of one kind, most powerful first. */
export function rolesOf(kind: AccountKind): readonly MemberRole[] {
  return kind === 'api_org' ? ORG_ROLES : ACCOUNT_ROLES;
}

/** The role that manages members: an account's owner, an organization's admin. */
export function managerRole(kind: AccountKind): 'owner' | 'admin' {
  return kind === 'api_org' ? 'admin' : 'owner';
}

/** What a kind is called in words: an account, or an (API) organization. */
export const kindNoun = (kind: AccountKind) => (kind === 'api_org' ? 'organization' : 'account');

export type MemberChange = { kind: 'remove' } | { kind: 'role'; role: MemberRole };

/** Who may make `change` to `user_id`: the manager role (and the operator) any change; anyone may remove themselves (leave). */
export function mayChangeMember(
  kind: AccountKind,
  caller_role: MemberRole | 'operator',
  caller_user_id: string | null,
  user_id: string,
  change: MemberChange,
): boolean {
  if (caller_role === 'operator' || caller_role === managerRole(kind)) return true;
  return change.kind === 'remove' && caller_user_id === user_id;
}

/**
 * Whether `change` may be made to member `user_id` (who is one of `members`): refused when it
 * would leave the account or organization without anyone in the manager role.
 */
export function decideMemberChange(input: {
  account_kind: AccountKind;
  account_id: string;
  members: readonly MemberState[];
  user_id: string;
  change: MemberChange;
}): Refusal<'conflict'> | null {
  const { account_kind, account_id, members, user_id, change } = input;
  const manager = managerRole(account_kind);
  const target = members.find((m) => m.user_id === user_id);
  if (!target || target.role !== manager) return null;
  if (change.kind === 'role' && change.role === manager) return null;
  const managers = members.filter((m) => m.role === manager).length;
  if (managers > 1) return null;
  const what = change.kind === 'remove' ? 'removed' : `made ${change.role}`;
  return refusal(
    'conflict',
    `This is the only ${manager} of ${kindNoun(account_kind)} ${account_id}, so they cannot be ${what}. Give another member the ${manager} role first.`,
    { role: manager, members_with_role: managers },
  );
}
