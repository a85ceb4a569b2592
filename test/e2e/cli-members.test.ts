// `tokenbank members list|invite|role|remove` and `tokenbank invitations list|accept|decline` end
// to end (SPEC §1.2): a real HTTP server on each database engine and the CLI as a child process,
// one HOME per person. A person joins only by accepting; the only owner (an organization's only
// admin) is refused with the API's words and exit 1; --json is the API's object; a bad role is
// a usage error (exit 2) that changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, assertExit, runCli, type Run } from '../fixtures/cli';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, email, type Api } from '../fixtures/http';

after(closeAll);

interface Person {
  id: string;
  email: string;
  token: string;
}

for (const engine of databaseEngines()) {
  describe(`tokenbank members and invitations against a running server (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let url = '';
    let work = '';

    /** The CLI run as `who`, with a HOME of their own and their token. */
    function cli(who: Person, args: string[]): Promise<Run> {
      const home = join(work, who.id);
      mkdirSync(home, { recursive: true });
      return runCli(args, { url, home, env: { TOKENBANK_TOKEN: who.token } });
    }
    const http = (method: string, path: string, who: Person | string, body?: unknown) =>
      apiCall(url, method, path, typeof who === 'string' ? who : who.token, body);
    /** A registered user who belongs to nothing yet, signed in. */
    const person = async (name: string): Promise<Person> => {
      const user = await api.user(email(name));
      return { id: user.id, email: user.email, token: await api.signIn(user.email) };
    };
    const roles = async (path: string, who: Person) =>
      Object.fromEntries((await http('GET', path, who)).data.map((m: { email: string; role: string }) => [m.email, m.role]));

    before(async () => {
      work = mkdtempSync(join(tmpdir(), `tokenbank-cli-members-${engine.name}-`));
      api = await apiHarness(await engine.open());
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
      rmSync(work, { recursive: true, force: true });
    });

    it('invite → the invitee lists and accepts → members shows them → another role → removed', async () => {
      const a = await api.account({ plan: 'team', seats: 3 });
      const owner: Person = a.owner;
      const name = (await http('GET', `/v1/accounts/${a.id}`, owner)).name as string;
      const ada = await person('ada');

      const invited = await cli(owner, ['members', 'invite', ada.email, '--role', 'billing']);
      assertExit(invited, 0, 'members invite');
      assert.match(invited.stdout, new RegExp(`^Account: ${esc(name)} \\(${a.id}\\) · team plan · you are owner\n`));
      const invitation_id = invited.stdout.match(
        new RegExp(`✓ Invited ${esc(ada.email)} as billing to ${esc(name)}: they join when they accept \\(tokenbank invitations accept (inv_\\w+)\\)\\.`),
      )?.[1];
      assert.ok(invitation_id, invited.stdout);
      assert.equal((await roles(`/v1/accounts/${a.id}/members`, owner))[ada.email], undefined, 'inviting adds nobody');

      const pending = await cli(ada, ['invitations']);
      assertExit(pending, 0, 'invitations');
      assert.match(pending.stdout, /ID\s+ACCOUNT\s+KIND\s+ROLE\s+EXPIRES/);
      assert.match(pending.stdout, new RegExp(`${invitation_id}\\s+${esc(name)} \\(${a.id}\\)\\s+account\\s+billing\\s+\\w{3} \\d+, \\d\\d:\\d\\d`));
      const listed = await cli(ada, ['invitations', 'list', '--json']);
      assertExit(listed, 0, 'invitations list --json');
      assert.deepEqual(JSON.parse(listed.stdout), await http('GET', '/v1/invitations', ada));

      const accepted = await cli(ada, ['invitations', 'accept', invitation_id!]);
      assertExit(accepted, 0, 'invitations accept');
      assert.match(accepted.stdout, new RegExp(`✓ You joined ${esc(name)} \\(${a.id}\\) as billing\\.`));
      assert.equal((await cli(ada, ['invitations'])).stdout.trim(), 'No pending invitation.');

      const members = await cli(owner, ['members']);
      assertExit(members, 0, 'members');
      assert.match(members.stdout, new RegExp(`^Account: ${esc(name)} \\(${a.id}\\)`));
      assert.match(members.stdout, /ID\s+EMAIL\s+ROLE/);
      assert.match(members.stdout, new RegExp(`${ada.id}\\s+${esc(ada.email)}\\s+billing`));
      assert.match(members.stdout, new RegExp(`${owner.id}\\s+${esc(owner.email)}\\s+owner`));
      const as_json = await cli(owner, ['members', 'list', '--json']);
      assertExit(as_json, 0, 'members list --json');
      assert.deepEqual(JSON.parse(as_json.stdout), await http('GET', `/v1/accounts/${a.id}/members`, owner));

      const changed = await cli(owner, ['members', 'role', ada.email.toUpperCase(), 'member']);
      assertExit(changed, 0, 'members role (by email, any case)');
      assert.match(changed.stdout, new RegExp(`✓ ${esc(ada.email)} is now member in ${esc(name)} \\(was billing\\)\\.`));
      assert.equal((await roles(`/v1/accounts/${a.id}/members`, owner))[ada.email], 'member');
      const by_id = await cli(owner, ['members', 'role', ada.id, 'billing', '--json']);
      assertExit(by_id, 0, 'members role (by user id) --json');
      assert.deepEqual(JSON.parse(by_id.stdout), { account_id: a.id, user_id: ada.id, role: 'billing' });

      const bad_role = await cli(owner, ['members', 'role', ada.email, 'admin']);
      assertExit(bad_role, 2, 'an organization role for an account');
      assert.match(bad_role.stderr, /<role>: "admin" is not a role of an account; its roles: owner, billing, member/);
      const ghost = await cli(owner, ['members', 'remove', 'ghost@example.com']);
      assertExit(ghost, 1, 'someone who is not a member');
      assert.match(ghost.stderr, new RegExp(`error: not_found: No member "ghost@example.com" in the account ${esc(name)} \\(${a.id}\\)\\.`));
      assert.equal((await roles(`/v1/accounts/${a.id}/members`, owner))[ada.email], 'billing', 'nothing changed');

      const removed = await cli(owner, ['members', 'remove', ada.email]);
      assertExit(removed, 0, 'members remove');
      assert.match(removed.stdout, new RegExp(`✓ Removed ${esc(ada.email)} \\(billing\\) from ${esc(name)}\\.`));
      assert.deepEqual(Object.keys(await roles(`/v1/accounts/${a.id}/members`, owner)), [owner.email]);
      assertExit(await cli(ada, ['members', '--account', a.id]), 1, 'a removed member no longer sees the account');
    });

    it("the only owner's removal and demotion are refused in the API's words (exit 1); a member leaves; an invitation declined", async () => {
      const a = await api.account({ plan: 'team', seats: 3 });
      const owner: Person = a.owner;
      const name = (await http('GET', `/v1/accounts/${a.id}`, owner)).name as string;

      const refused = await cli(owner, ['members', 'remove', owner.email]);
      assertExit(refused, 1, 'the only owner removes themselves');
      const words = await fetch(new URL(`/v1/accounts/${a.id}/members/${owner.id}`, url), { method: 'DELETE', headers: { authorization: `Bearer ${owner.token}` } });
      assert.equal(words.status, 409);
      const message = ((await words.json()) as { error: { message: string } }).error.message;
      assert.match(message, /only owner/);
      assert.ok(refused.stderr.includes(`error: conflict: ${message}\n`), refused.stderr);
      assert.match(refused.stderr, /hint: Run `tokenbank members role <email\|user_id> owner` for another member, then try again\./);
      const demoted = await cli(owner, ['members', 'role', owner.id, 'billing']);
      assertExit(demoted, 1, 'the only owner made billing');
      assert.match(demoted.stderr, /error: conflict: .*only owner.*cannot be made billing/);
      assert.deepEqual(await roles(`/v1/accounts/${a.id}/members`, owner), { [owner.email]: 'owner' }, 'nothing changed');

      const bo = await person('bo');
      const cy = await person('cy');
      const to_bo = await http('POST', `/v1/accounts/${a.id}/members`, owner, { email: bo.email, role: 'member' });
      const to_cy = JSON.parse((await cli(owner, ['members', 'invite', cy.email, '--json'])).stdout);
      assert.deepEqual([to_cy.email, to_cy.role, to_cy.status, to_cy.account_id], [cy.email, 'member', 'pending', a.id], 'the default role is member');

      const declined = await cli(cy, ['invitations', 'decline', to_cy.id]);
      assertExit(declined, 0, 'invitations decline');
      assert.match(declined.stdout, new RegExp(`✓ Declined the invitation to ${esc(name)} \\(${a.id}\\) as member\\.`));
      assert.deepEqual((await http('GET', '/v1/invitations', cy)).data, []);
      const again = await cli(cy, ['invitations', 'accept', to_cy.id]);
      assertExit(again, 1, 'accepting a declined invitation');
      assert.match(again.stderr, /^error: \w+: /);
      assert.equal((await roles(`/v1/accounts/${a.id}/members`, owner))[cy.email], undefined);

      const joined = await cli(bo, ['invitations', 'accept', to_bo.id, '--json']);
      assertExit(joined, 0, 'invitations accept --json');
      assert.deepEqual([JSON.parse(joined.stdout).id, JSON.parse(joined.stdout).status], [to_bo.id, 'accepted']);
      const not_allowed = await cli(bo, ['members', 'remove', owner.email]);
      assertExit(not_allowed, 1, 'a member removes the owner');
      assert.match(not_allowed.stderr, /error: forbidden: This needs the owner role on account .*; you are member\.\n/);
      assert.match(not_allowed.stderr, /hint: Ask an owner of the account for the owner role/);
      assertExit(await cli(bo, ['members', 'invite', email('dee')]), 1, 'a member invites');
      assert.deepEqual(Object.keys(await roles(`/v1/accounts/${a.id}/members`, owner)).sort(), [bo.email, owner.email].sort(), 'nothing changed');
      const left = await cli(bo, ['members', 'remove', bo.email]);
      assertExit(left, 0, 'a member leaves');
      assert.match(left.stdout, new RegExp(`✓ You left ${esc(name)} \\(${a.id}\\)`));
      assert.equal((await roles(`/v1/accounts/${a.id}/members`, owner))[bo.email], undefined);
      const not_owner = await cli(bo, ['members']);
      assertExit(not_owner, 1, 'after leaving, bo belongs to no account');
    });

    it('--org: an organization is invited to (developer by default), listed, given another role and left; its only admin is refused', async () => {
      const admin = await person('admin');
      const org = await http('POST', '/v1/orgs', api.operator, { name: `Acme API ${engine.name}`, admin_email: admin.email });
      const dev = await person('dev');

      assertExit(await cli(admin, ['members', 'invite', dev.email, '--org', org.id, '--role', 'owner']), 2, 'an account role for an organization');
      const invited = await cli(admin, ['members', 'invite', dev.email, '--org', org.id]);
      assertExit(invited, 0, 'members invite --org');
      assert.match(invited.stdout, new RegExp(`^Organization: ${esc(org.name)} \\(${org.id}\\)\n`));
      const invitation_id = invited.stdout.match(new RegExp(`✓ Invited ${esc(dev.email)} as developer to ${esc(org.name)}: .*accept (inv_\\w+)\\)\\.`))?.[1];
      assert.ok(invitation_id, invited.stdout);

      const pending = await cli(dev, ['invitations']);
      assert.match(pending.stdout, new RegExp(`${invitation_id}\\s+${esc(org.name)} \\(${org.id}\\)\\s+API organization\\s+developer`));
      const accepted = await cli(dev, ['invitations', 'accept', invitation_id!]);
      assertExit(accepted, 0, 'invitations accept (an organization)');
      assert.match(accepted.stderr, new RegExp(`tokenbank orgs show ${org.id}`));

      const members = await cli(admin, ['members', '--org', org.id]);
      assertExit(members, 0, 'members --org');
      assert.match(members.stdout, new RegExp(`^Organization: ${esc(org.name)} \\(${org.id}\\)\n`));
      assert.match(members.stdout, new RegExp(`${dev.id}\\s+${esc(dev.email)}\\s+developer`));
      assert.match(members.stdout, new RegExp(`${admin.id}\\s+${esc(admin.email)}\\s+admin`));
      assert.deepEqual(JSON.parse((await cli(admin, ['members', '--org', org.id, '--json'])).stdout), await http('GET', `/v1/orgs/${org.id}/members`, admin));

      const changed = await cli(admin, ['members', 'role', dev.email, 'billing', '--org', org.id]);
      assertExit(changed, 0, 'members role --org');
      assert.equal((await roles(`/v1/orgs/${org.id}/members`, admin))[dev.email], 'billing');

      const refused = await cli(admin, ['members', 'remove', admin.email, '--org', org.id]);
      assertExit(refused, 1, 'the only admin leaves');
      assert.match(refused.stderr, /error: conflict: This is the only admin of organization .*Give another member the admin role first\./);
      assert.ok(refused.stderr.includes(`tokenbank members role <email|user_id> admin --org ${org.id}`), refused.stderr);

      const left = await cli(dev, ['members', 'remove', dev.id, '--org', org.id, '--json']);
      assertExit(left, 0, 'a member of the organization leaves (--json)');
      assert.deepEqual(JSON.parse(left.stdout), { account_id: org.id, user_id: dev.id, role: null });
      assert.deepEqual(await roles(`/v1/orgs/${org.id}/members`, admin), { [admin.email]: 'admin' });
    });
  });
}

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
