// The wire contract of members and invitations, for accounts and API organizations alike
// (SPEC §1.2): who belongs with which role, an invitation and its answer, a role changed or a
// member removed. Closed objects, like every other schema (./schemas.ts).
import { Type, type Static } from '@sinclair/typebox';
import { limits } from '../domain/limits';
import { Id, Page, Role, Timestamp } from './schemas';

const closed = { additionalProperties: false } as const;
const Str = Type.String();
const When = Timestamp;

export const InviteMemberRequest = Type.Object(
  { email: Type.String({ maxLength: limits.email_length_max }), role: Type.Union([Type.Literal('owner'), Type.Literal('billing'), Type.Literal('member')]) },
  closed,
);

export const Member = Type.Object({ user_id: Str, email: Str, role: Role }, closed);
export const MemberList = Page(Member, { account_id: Str });
/** Any member's role: an account's (owner, billing, member) or an API organization's (admin, billing, developer). */
const AnyRole = Type.Union([Role, Type.Literal('admin'), Type.Literal('developer')]);
const AccountKind = Type.Union([Type.Literal('plan'), Type.Literal('api_org')], { description: 'plan: an account; api_org: an API organization' });
export const Invitation = Type.Object(
  {
    id: Str,
    account_id: Str,
    email: Str,
    role: AnyRole,
    status: Str,
    created_at: When,
    expires_at: When,
    account_name: Type.Optional(Str),
    account_kind: Type.Optional(AccountKind),
  },
  closed,
);
export const MemberParams = Type.Object({ id: Id, user_id: Id }, closed);
export const MemberRoleRequest = Type.Object({ role: Role }, closed);
/** A member changed: their role now, or null when they were removed. */
export const MemberChanged = Type.Object(
  { account_id: Str, user_id: Str, role: Type.Union([AnyRole, Type.Null()], { description: 'the role now; null: no longer a member' }) },
  closed,
);
export const InvitationList = Page(Invitation);

export type InviteMemberRequestBody = Static<typeof InviteMemberRequest>;
export type InvitationBody = Static<typeof Invitation>;
export type InvitationListBody = Static<typeof InvitationList>;
export type MemberListBody = Static<typeof MemberList>;
export type MemberChangedBody = Static<typeof MemberChanged>;
