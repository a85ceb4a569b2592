// A member's role changed, a member removed, a member leaving (SPEC §1.2), for accounts and API
// organizations alike: only the owner (an org's admin) may change or remove others, anyone may
// leave, the last owner (admin) can neither be removed nor demoted, a removed member's access
// ends at their next request, and a team plan's seat comes free.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, withoutIds, type Api } from '../fixtures/http';

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`members: roles and removal (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    const call = (...args: Parameters<Api['call']>) => api.call(...args);
    /** A registered user, signed in. */
    const person = async (who: string) => {
      const user = await api.user(email(who));
      return { ...user, token: await api.signIn(user.email) };
    };

    before(async () => {
      api = await apiHarness(await engine.open());
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    describe('an account', () => {
      it('the owner gives a member the billing role: 200 with the role now, and the member may then add a card', async () => {
        const a = await api.account({ team: true });
        assertError(await call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: a.member!.token, body: { token: 'tok_visa' } }), 403, 'forbidden');
        const r = await call('PATCH', `/v1/accounts/${a.id}/members/${a.member!.id}`, { token: a.owner.token, body: { role: 'billing' } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, { account_id: a.id, user_id: a.member!.id, role: 'billing' });
        assert.equal((await call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: a.member!.token, body: { token: 'tok_visa' } })).status, 201);
        const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: a.owner.token });
        assert.equal(members.body.data.find((m: { user_id: string }) => m.user_id === a.member!.id).role, 'billing');
      });

      it('only the owner changes or removes others (403 with the role needed); a role of the other kind is 400 naming the field', async () => {
        const a = await api.account({ team: true });
        const denied = assertError(
          await call('PATCH', `/v1/accounts/${a.id}/members/${a.member!.id}`, { token: a.billing!.token, body: { role: 'owner' } }),
          403,
          'forbidden',
        );
        assert.equal(denied.required_role, 'owner');
        assertError(await call('DELETE', `/v1/accounts/${a.id}/members/${a.billing!.id}`, { token: a.member!.token }), 403, 'forbidden');
        const wrong = assertError(
          await call('PATCH', `/v1/accounts/${a.id}/members/${a.member!.id}`, { token: a.owner.token, body: { role: 'admin' } }),
          400,
          'invalid_request',
        );
        assert.equal(wrong.field, 'role');
        const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: a.owner.token });
        assert.deepEqual(members.body.data.map((m: { role: string }) => m.role).sort(), ['billing', 'member', 'owner'], 'nothing changed');
      });

      it('the only owner can be neither removed nor made billing (409 with the figures); with a second owner, both can', async () => {
        const a = await api.account({ team: true });
        const demoted = assertError(
          await call('PATCH', `/v1/accounts/${a.id}/members/${a.owner.id}`, { token: a.owner.token, body: { role: 'billing' } }),
          409,
          'conflict',
        );
        assert.deepEqual([demoted.role, demoted.members_with_role], ['owner', 1]);
        assert.match(demoted.message, /only owner.*Give another member the owner role first/);
        assertError(await call('DELETE', `/v1/accounts/${a.id}/members/${a.owner.id}`, { token: a.owner.token }), 409, 'conflict');
        assert.equal((await call('PATCH', `/v1/accounts/${a.id}/members/${a.billing!.id}`, { token: a.owner.token, body: { role: 'owner' } })).status, 200);
        const left = await call('DELETE', `/v1/accounts/${a.id}/members/${a.owner.id}`, { token: a.owner.token });
        assert.equal(left.status, 200, left.text);
        assert.deepEqual(left.body, { account_id: a.id, user_id: a.owner.id, role: null });
        assertError(await call('GET', `/v1/accounts/${a.id}`, { token: a.owner.token }), 404, 'not_found');
      });

      it('a removed member is refused at their next request, exactly as someone who never belonged; their seat comes free', async () => {
        const a = await api.account({ plan: 'team', seats: 3, team: true });
        assert.equal((await call('GET', `/v1/accounts/${a.id}`, { token: a.member!.token })).status, 200);
        const newcomer = await person('newcomer');
        assertError(
          await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: newcomer.email, role: 'member' } }),
          409,
          'conflict',
        );
        const removed = await call('DELETE', `/v1/accounts/${a.id}/members/${a.member!.id}`, { token: a.owner.token });
        assert.equal(removed.status, 200, removed.text);
        const theirs = assertError(await call('GET', `/v1/accounts/${a.id}`, { token: a.member!.token }), 404, 'not_found');
        const never = assertError(await call('GET', `/v1/accounts/acct_never0001`, { token: a.member!.token }), 404, 'not_found');
        assert.equal(theirs.message.replace(a.id, 'X'), never.message.replace('acct_never0001', 'X'));
        const invited = await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: newcomer.email, role: 'member' } });
        assert.equal(invited.status, 202, invited.text);
        assert.equal((await call('POST', `/v1/invitations/${invited.body.id}/accept`, { token: newcomer.token })).status, 200);
      });

      it('a member leaves by removing themselves; someone not a member is 404, the same as a user id never issued', async () => {
        const a = await api.account({ team: true });
        const gone = await call('DELETE', `/v1/accounts/${a.id}/members/${a.member!.id}`, { token: a.member!.token });
        assert.equal(gone.status, 200, gone.text);
        const again = await call('DELETE', `/v1/accounts/${a.id}/members/${a.member!.id}`, { token: a.owner.token });
        const never = await call('DELETE', `/v1/accounts/${a.id}/members/user_never0001`, { token: a.owner.token });
        assertError(again, 404, 'not_found');
        assert.deepEqual(withoutIds(again, a.member!.id), withoutIds(never, 'user_never0001'));
        const audit = await api.tb.store.listAudit({ account_id: a.id, limit: 50 });
        assert.ok(
          audit.some((e: { action: string }) => e.action === 'member.removed'),
          'the removal is in the audit log',
        );
      });
    });

    describe('at the same time', () => {
      /** One change went through; the other was refused: the last-owner rule (409), or its caller was no longer an owner (403) or a member (404) when it ran. */
      const assertOneRefused = (x: { status: number; text: string }, y: { status: number; text: string }, round: number) => {
        const statuses = [x.status, y.status].sort();
        assert.ok(statuses[0] === 200 && [403, 404, 409].includes(statuses[1]!), `round ${round}: ${x.status} ${x.text} | ${y.status} ${y.text}`);
      };
      it('two owners removing each other at once: exactly one goes, the other is refused (409, or as no longer an owner), and an owner is left (10 rounds)', async () => {
        for (let round = 0; round < 10; round++) {
          const a = await api.account({ team: true });
          assert.equal((await call('PATCH', `/v1/accounts/${a.id}/members/${a.billing!.id}`, { token: a.owner.token, body: { role: 'owner' } })).status, 200);
          const second = a.billing!;
          const [x, y] = await Promise.all([
            call('DELETE', `/v1/accounts/${a.id}/members/${second.id}`, { token: a.owner.token }),
            call('DELETE', `/v1/accounts/${a.id}/members/${a.owner.id}`, { token: second.token }),
          ]);
          assertOneRefused(x, y, round);
          const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: api.operator });
          assert.equal(members.body.data.filter((m: { role: string }) => m.role === 'owner').length, 1, `round ${round}`);
        }
      });

      it('a caller checked as owner by the route but removed before its change runs is refused under the lock, and nothing changes', async () => {
        const a = await api.account({ team: true });
        assert.equal((await call('PATCH', `/v1/accounts/${a.id}/members/${a.billing!.id}`, { token: a.owner.token, body: { role: 'owner' } })).status, 200);
        assert.equal((await call('DELETE', `/v1/accounts/${a.id}/members/${a.billing!.id}`, { token: a.owner.token })).status, 200);
        // What the route saw a moment earlier: an owner. The use case reads the role again.
        const stale = { role: 'owner' as const, user_id: a.billing!.id };
        const change = { kind: 'plan' as const, account_id: a.id, user_id: a.member!.id, change: { remove: true as const } };
        await assert.rejects(
          api.tb.changeMember(change, stale, { id: `user:${a.billing!.id}`, request_id: null }),
          (e: { type?: string }) => e.type === 'not_found',
        );
        const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: api.operator });
        assert.ok(
          members.body.data.some((m: { user_id: string }) => m.user_id === a.member!.id),
          'the member they tried to remove is still there',
        );
      });

      it('two admins demoting each other at once: an org always keeps one admin (10 rounds)', async () => {
        for (let round = 0; round < 10; round++) {
          const admin_email = email('race-admin');
          const created = await call('POST', '/v1/orgs', { token: api.operator, body: { name: `Race ${round}`, admin_email, admin_password: PASSWORD } });
          const first = { id: created.body.admin.id as string, token: await api.signIn(admin_email) };
          const second = await person('race-second');
          await api.join('api_org', created.body.id, second, 'admin');
          const [x, y] = await Promise.all([
            call('PATCH', `/v1/orgs/${created.body.id}/members/${second.id}`, { token: first.token, body: { role: 'developer' } }),
            call('PATCH', `/v1/orgs/${created.body.id}/members/${first.id}`, { token: second.token, body: { role: 'developer' } }),
          ]);
          assertOneRefused(x, y, round);
          const members = await call('GET', `/v1/orgs/${created.body.id}/members`, { token: api.operator });
          assert.equal(members.body.data.filter((m: { role: string }) => m.role === 'admin').length, 1, `round ${round}`);
        }
      });

      it('the last seat taken by an acceptance and removed by a seat change at once: never both, members never above seats (10 rounds)', async () => {
        for (let round = 0; round < 10; round++) {
          const a = await api.account({ plan: 'team', seats: 3 });
          const joiner = await person('seat-race');
          const invited = await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: joiner.email, role: 'member' } });
          assert.equal(invited.status, 202, invited.text);
          const [accept, shrink] = await Promise.all([
            call('POST', `/v1/invitations/${invited.body.id}/accept`, { token: joiner.token }),
            call('PUT', `/v1/accounts/${a.id}/subscription`, { token: a.owner.token, body: { plan: 'team', seats: 1 } }),
          ]);
          assert.deepEqual([accept.status, shrink.status].sort(), [200, 409], `round ${round}: ${accept.text} | ${shrink.text}`);
          const account = await call('GET', `/v1/accounts/${a.id}`, { token: api.operator });
          const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: api.operator });
          assert.ok(members.body.data.length <= account.body.seats, `round ${round}: ${members.body.data.length} members, ${account.body.seats} seats`);
        }
      });
    });

    describe('an API organization', () => {
      let org_id: string;
      const people = {} as Record<'admin' | 'billing' | 'developer', { id: string; email: string; token: string }>;

      before(async () => {
        const admin_email = email('org-admin');
        const created = await call('POST', '/v1/orgs', { token: api.operator, body: { name: 'Members Org', admin_email, admin_password: PASSWORD } });
        assert.equal(created.status, 201, created.text);
        org_id = created.body.id;
        people.admin = { id: created.body.admin.id, email: admin_email, token: await api.signIn(admin_email) };
        for (const role of ['billing', 'developer'] as const) {
          people[role] = await person(`org-${role}`);
          await api.join('api_org', org_id, people[role], role);
        }
      });

      it('the admin makes the developer an admin; the developer may then create keys', async () => {
        assertError(await call('POST', `/v1/orgs/${org_id}/keys`, { token: people.developer.token, body: { name: 'k' } }), 403, 'forbidden');
        const r = await call('PATCH', `/v1/orgs/${org_id}/members/${people.developer.id}`, { token: people.admin.token, body: { role: 'admin' } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, { account_id: org_id, user_id: people.developer.id, role: 'admin' });
        assert.equal((await call('POST', `/v1/orgs/${org_id}/keys`, { token: people.developer.token, body: { name: 'k' } })).status, 201);
        assert.equal(
          (await call('PATCH', `/v1/orgs/${org_id}/members/${people.developer.id}`, { token: people.admin.token, body: { role: 'developer' } })).status,
          200,
        );
      });

      it('billing may not change roles (403); an account role is 400; the only admin is refused 409', async () => {
        assertError(
          await call('PATCH', `/v1/orgs/${org_id}/members/${people.developer.id}`, { token: people.billing.token, body: { role: 'billing' } }),
          403,
          'forbidden',
        );
        assert.equal(
          assertError(
            await call('PATCH', `/v1/orgs/${org_id}/members/${people.developer.id}`, { token: people.admin.token, body: { role: 'owner' } }),
            400,
            'invalid_request',
          ).field,
          'role',
        );
        const last = assertError(await call('DELETE', `/v1/orgs/${org_id}/members/${people.admin.id}`, { token: people.admin.token }), 409, 'conflict');
        assert.deepEqual([last.role, last.members_with_role], ['admin', 1]);
        assertError(
          await call('PATCH', `/v1/orgs/${org_id}/members/${people.admin.id}`, { token: people.admin.token, body: { role: 'developer' } }),
          409,
          'conflict',
        );
      });

      it("a removed developer's next request is 404; an account's member route does not reach an org (and the other way round)", async () => {
        const a = await api.account({ team: true });
        assertError(await call('DELETE', `/v1/accounts/${org_id}/members/${people.billing.id}`, { token: api.operator }), 404, 'not_found');
        assertError(await call('DELETE', `/v1/orgs/${a.id}/members/${a.member!.id}`, { token: api.operator }), 404, 'not_found');
        assert.equal((await call('GET', `/v1/orgs/${org_id}`, { token: people.developer.token })).status, 200);
        const removed = await call('DELETE', `/v1/orgs/${org_id}/members/${people.developer.id}`, { token: people.admin.token });
        assert.equal(removed.status, 200, removed.text);
        assertError(await call('GET', `/v1/orgs/${org_id}`, { token: people.developer.token }), 404, 'not_found');
        const members = await call('GET', `/v1/orgs/${org_id}/members`, { token: people.admin.token });
        assert.deepEqual(members.body.data.map((m: { role: string }) => m.role).sort(), ['admin', 'billing']);
      });
    });
  });
}
