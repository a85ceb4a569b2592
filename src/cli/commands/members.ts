// `members list|invite|role|remove` and `invitations list|accept|decline` (SPEC §1.2): who
// belongs to an account (or, with --org, to an API organization) with which role, and the
// signed-in user's side of an invitation. A person joins only by accepting: `members invite`
// adds nobody. Every members output first says which account or organization it shows. The
// rules (who may change whom, the only owner) are the API's; the CLI prints its refusals.
import type { Command } from 'commander';
import type { InvitationBody } from '../../contract/members';
import { limits } from '../../domain/limits';
import { rolesOf, type AccountKind, type MemberRole } from '../../domain/members';
import type { OrgRole } from '../../domain/orgs';
import type { Role } from '../../domain/records';
import type { Ctx } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import { shortDateTime } from '../format';
import { examples, group, type Kit } from '../kit';
import { renderTable } from '../output';
import { orgOf, printOrgLine } from './orgs';

/** What a members command speaks about: the active account, or the organization of --org. */
interface Target {
  kind: AccountKind;
  id: string;
  name: string;
  /** The `--org …` to repeat in a hint, or '' for an account. */
  flag: string;
}

/** The target, its line printed first unless `quiet` (--json prints only the API's object on stdout). */
async function targetOf(ctx: Ctx, org: string | undefined, quiet = false): Promise<Target> {
  if (org === undefined) {
    const account = await ctx.account();
    if (!quiet) ctx.printAccount(account);
    return { kind: 'plan', id: account.id, name: account.name, flag: '' };
  }
  const id = await orgOf(ctx, org);
  const found = await ctx.api.call('GET /v1/orgs/{id}', { params: { id } });
  if (!quiet) printOrgLine(ctx, found);
  return { kind: 'api_org', id, name: found.name, flag: ` --org ${id}` };
}

/** The role as typed, checked against the roles of the target's kind before any change is asked for. */
function roleOf(kind: AccountKind, where: string, given: string): MemberRole {
  const roles = rolesOf(kind);
  const role = roles.find((r) => r === given.trim().toLowerCase());
  if (!role) {
    const noun = kind === 'api_org' ? 'an organization' : 'an account';
    const other = kind === 'api_org' ? '' : ' (admin and developer are organization roles: add --org <id>)';
    throw usageError(`${where}: "${given}" is not a role of ${noun}; its roles: ${roles.join(', ')}${other}.`);
  }
  return role;
}

interface MemberRow {
  user_id: string;
  email: string;
  role: string;
}

async function membersOf(ctx: Ctx, t: Target) {
  return t.kind === 'api_org'
    ? ctx.api.call('GET /v1/orgs/{id}/members', { params: { id: t.id } })
    : ctx.api.call('GET /v1/accounts/{id}/members', { params: { id: t.id } });
}

/** A member by user id, or by email (any case); someone not among the members is a clear error naming them. */
async function memberOf(ctx: Ctx, t: Target, who: string): Promise<MemberRow> {
  const value = who.trim();
  if (value === '') throw usageError('<email|user_id>: must not be empty');
  const page = await membersOf(ctx, t);
  const rows: MemberRow[] = page.data;
  const found = rows.find((m) => m.user_id === value) ?? rows.find((m) => m.email.toLowerCase() === value.toLowerCase());
  if (!found) {
    const noun = t.kind === 'api_org' ? 'organization' : 'account';
    throw new CliError(
      'not_found',
      `No member "${value}" in the ${noun} ${t.name} (${t.id}).`,
      EXIT.failed,
      `Run \`tokenbank members${t.flag}\` to list them (someone invited appears once they accept).`,
    );
  }
  return found;
}

export function register(program: Command, kit: Kit): void {
  const members = registerMembers(program, kit);
  registerMemberChanges(members, kit);
  registerInvitations(program, kit);
}

/** `members [list]` and `members invite`; returns the group for the changes. */
function registerMembers(program: Command, kit: Kit): Command {
  const members = program.command('members').description("An account's members and their roles (--org: an API organization's)");
  examples(members, [
    'tokenbank members',
    'tokenbank members invite ada@example.com --role billing',
    'tokenbank members role ada@example.com owner',
    'tokenbank members remove ada@example.com',
    'tokenbank members --org org_…',
  ]);

  const list = members
    .command('list', { isDefault: true })
    .description('The members of the active account (ID, EMAIL, ROLE), or of an organization with --org')
    .option('--org <id>', "an API organization's members instead")
    .option('--json', "print the API's list")
    .action(async (options: { org?: string; json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      if (options.json) return ctx.out.json(await membersOf(ctx, await targetOf(ctx, options.org, true)));
      const t = await targetOf(ctx, options.org);
      const page = await membersOf(ctx, t);
      const rows = (page.data as MemberRow[]).map((m) => [m.user_id, m.email, m.role]);
      if (rows.length === 0) return ctx.out.line('No members.');
      ctx.out.line(renderTable(['ID', 'EMAIL', 'ROLE'], rows, { style: ctx.out.style }));
    });
  examples(list, ['tokenbank members', 'tokenbank members list --account "Acme Inc" --json', 'tokenbank members --org org_…']);

  const invite = members
    .command('invite')
    .description('Invite someone by email; they join when they accept')
    .argument('<email>', 'whom to invite')
    .option('--role <role>', 'owner, billing or member (default member); with --org: admin, billing or developer (default developer)')
    .option('--org <id>', 'invite to an API organization instead')
    .option('--json', "print the API's invitation")
    .action(async (email: string, options: { role?: string; org?: string; json?: boolean }, command: Command) => {
      if (email.trim() === '') throw usageError('<email>: must not be empty');
      const kind: AccountKind = options.org === undefined ? 'plan' : 'api_org';
      const role = roleOf(kind, '--role', options.role ?? (kind === 'api_org' ? 'developer' : 'member'));
      const ctx = kit.context(command);
      const t = await targetOf(ctx, options.org, options.json);
      const body = { email: email.trim(), role };
      const invitation =
        t.kind === 'api_org'
          ? await ctx.api.call('POST /v1/orgs/{id}/members', { params: { id: t.id }, body: body as { email: string; role: OrgRole } })
          : await ctx.api.call('POST /v1/accounts/{id}/members', { params: { id: t.id }, body: body as { email: string; role: Role } });
      if (options.json) return ctx.out.json(invitation);
      ctx.out.line(
        `${ctx.out.style.green('✓')} Invited ${invitation.email} as ${invitation.role} to ${t.name}: they join when they accept (tokenbank invitations accept ${invitation.id}).`,
      );
      ctx.out.line(ctx.out.style.dim(`Invitation ${invitation.id} · expires ${shortDateTime(invitation.expires_at)}`));
    });
  examples(invite, [
    'tokenbank members invite ada@example.com',
    'tokenbank members invite ada@example.com --role billing --json',
    'tokenbank members invite dev@acme.test --org org_… --role admin',
  ]);

  return members;
}

/** `members role` and `members remove`: a member found by email or user id, then changed. */
function registerMemberChanges(members: Command, kit: Kit): void {
  const role = members
    .command('role')
    .description('Give a member another role (the owner; an organization: an admin)')
    .argument('<email|user_id>', 'the member')
    .argument('<role>', 'owner, billing or member; with --org: admin, billing or developer')
    .option('--org <id>', 'a member of an API organization instead')
    .option('--json', "print the API's answer")
    .action(async (who: string, given: string, options: { org?: string; json?: boolean }, command: Command) => {
      const new_role = roleOf(options.org === undefined ? 'plan' : 'api_org', '<role>', given);
      const ctx = kit.context(command);
      const t = await targetOf(ctx, options.org, options.json);
      const member = await memberOf(ctx, t, who);
      const params = { id: t.id, user_id: member.user_id };
      const changed =
        t.kind === 'api_org'
          ? await ctx.api.call('PATCH /v1/orgs/{id}/members/{user_id}', { params, body: { role: new_role as OrgRole } })
          : await ctx.api.call('PATCH /v1/accounts/{id}/members/{user_id}', { params, body: { role: new_role as Role } });
      if (options.json) return ctx.out.json(changed);
      ctx.out.line(`${ctx.out.style.green('✓')} ${member.email} is now ${changed.role} in ${t.name} (was ${member.role}).`);
    });
  examples(role, ['tokenbank members role ada@example.com billing', 'tokenbank members role user_… admin --org org_…']);

  const remove = members
    .command('remove')
    .description('Remove a member (the owner; an organization: an admin), or leave: anyone may remove themselves')
    .argument('<email|user_id>', 'the member (your own email or id: you leave)')
    .option('--org <id>', 'a member of an API organization instead')
    .option('--json', "print the API's answer")
    .action(async (who: string, options: { org?: string; json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const t = await targetOf(ctx, options.org, options.json);
      const member = await memberOf(ctx, t, who);
      const params = { id: t.id, user_id: member.user_id };
      const removed =
        t.kind === 'api_org'
          ? await ctx.api.call('DELETE /v1/orgs/{id}/members/{user_id}', { params })
          : await ctx.api.call('DELETE /v1/accounts/{id}/members/{user_id}', { params });
      if (options.json) return ctx.out.json(removed);
      const me = await ctx.api.call('GET /v1/me');
      if (me.user?.id === member.user_id) {
        ctx.out.line(`${ctx.out.style.green('✓')} You left ${t.name} (${t.id}); you are no longer a member.`);
        if (t.kind === 'plan') ctx.out.note('Choose another account with `tokenbank accounts use <id|name>`.');
      } else {
        ctx.out.line(`${ctx.out.style.green('✓')} Removed ${member.email} (${member.role}) from ${t.name}.`);
      }
    });
  examples(remove, [
    'tokenbank members remove ada@example.com',
    'tokenbank members remove me@example.com   # leave the account',
    'tokenbank members remove user_… --org org_…',
  ]);
}

const KIND_LABEL: Record<NonNullable<InvitationBody['account_kind']>, string> = { plan: 'account', api_org: 'API organization' };

async function pendingInvitations(ctx: Ctx) {
  return ctx.api.call('GET /v1/invitations', { query: { limit: String(limits.page_size_max) } });
}

function registerInvitations(program: Command, kit: Kit): void {
  const invitations = program.command('invitations').description('Invitations to your email: list, accept or decline them');
  examples(invitations, ['tokenbank invitations', 'tokenbank invitations accept inv_…', 'tokenbank invitations decline inv_…']);

  const list = invitations
    .command('list', { isDefault: true })
    .description('Your pending invitations (ID, ACCOUNT, KIND, ROLE, EXPIRES)')
    .option('--json', "print the API's list")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const page = await pendingInvitations(ctx);
      if (options.json) return ctx.out.json(page);
      if (page.data.length === 0) return ctx.out.line('No pending invitation.');
      ctx.out.line(`${ctx.out.style.dim('Invitations to:')} ${page.data[0]!.email}`);
      const rows = page.data.map((i) => [
        i.id,
        `${i.account_name ?? '—'} (${i.account_id})`,
        i.account_kind ? KIND_LABEL[i.account_kind] : '—',
        i.role,
        shortDateTime(i.expires_at),
      ]);
      ctx.out.line(renderTable(['ID', 'ACCOUNT', 'KIND', 'ROLE', 'EXPIRES'], rows, { style: ctx.out.style }));
      if (page.has_more) ctx.out.note(`Showing the first ${page.data.length}; there are more.`);
      ctx.out.line(ctx.out.style.dim('\nAnswer with `tokenbank invitations accept <id>` or `tokenbank invitations decline <id>`.'));
    });
  examples(list, ['tokenbank invitations', 'tokenbank invitations list --json']);

  const accept = invitations
    .command('accept')
    .description('Accept an invitation: you become a member with its role')
    .argument('<id>', 'the invitation (inv_…)')
    .option('--json', "print the API's invitation")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const { invitation, known } = await answer(ctx, id, 'accept');
      if (options.json) return ctx.out.json(invitation);
      const where = known?.account_name ? `${known.account_name} (${invitation.account_id})` : invitation.account_id;
      ctx.out.line(`${ctx.out.style.green('✓')} You joined ${where} as ${invitation.role}.`);
      ctx.out.note(
        known?.account_kind === 'api_org'
          ? `See it with \`tokenbank orgs show ${invitation.account_id}\`.`
          : `Make it the active account with \`tokenbank accounts use ${invitation.account_id}\`.`,
      );
    });
  examples(accept, ['tokenbank invitations accept inv_…', 'tokenbank invitations accept inv_… --json']);

  const decline = invitations
    .command('decline')
    .description('Decline an invitation: you do not join, and it is no longer pending')
    .argument('<id>', 'the invitation (inv_…)')
    .option('--json', "print the API's invitation")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const { invitation, known } = await answer(ctx, id, 'decline');
      if (options.json) return ctx.out.json(invitation);
      const where = known?.account_name ? `${known.account_name} (${invitation.account_id})` : invitation.account_id;
      ctx.out.line(`${ctx.out.style.green('✓')} Declined the invitation to ${where} as ${invitation.role}.`);
    });
  examples(decline, ['tokenbank invitations decline inv_…']);
}

/**
 * Accepts or declines; the pending list is read first only to name the account in the answer
 * (the API's answer carries its id). An invitation not in the list still goes to the API, which
 * says why it cannot be answered.
 */
async function answer(ctx: Ctx, given: string, verb: 'accept' | 'decline'): Promise<{ invitation: InvitationBody; known: InvitationBody | undefined }> {
  const id = given.trim();
  if (id === '') throw usageError('<id>: must not be empty');
  const known = (await pendingInvitations(ctx)).data.find((i) => i.id === id);
  const invitation =
    verb === 'accept'
      ? await ctx.api.call('POST /v1/invitations/{id}/accept', { params: { id } })
      : await ctx.api.call('POST /v1/invitations/{id}/decline', { params: { id } });
  return { invitation, known };
}
