// Membership is an invitation the invited user accepts (issue 8, item 8; SPEC §1.2): nobody is
// added without consent, inviting answers the same whether or not the email is registered, only
// the invitee may answer, and accepting counts the seats under the account lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { limits } from '../../src/domain/limits';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, type Api } from '../fixtures/http';
import { OPERATOR } from '../fixtures/tokenbank';

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`invitations (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    const call = (...args: Parameters<Api['call']>) => api.call(...args);
    const invite = (account_id: string, token: string, invited: string, role = 'member') => call('POST', `/v1/accounts/${account_id}/members`, { token, body: { email: invited, role } });
    /** A registered user, signed in. */
    const registered = async (who: string) => {
      const user_email = email(who);
      const user = await api.user(user_email);
      return { ...user, token: await api.signIn(user_email) };
    };
    const accountsOf = async (token: string) => (await call('GET', '/v1/accounts', { token })).body.data.map((a: { id: string }) => a.id);

    before(async () => {
      api = await apiHarness(await engine.open());
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    it('inviting a registered user does not make them a member: the account appears only after they accept', async () => {
      const a = await api.account();
      const u = await registered('invitee');
      const sent = await invite(a.id, a.owner.token, u.email);
      assert.equal(sent.status, 202, sent.text);
      assert.deepEqual(await accountsOf(u.token), []);
      assertError(await call('GET', `/v1/accounts/${a.id}`, { token: u.token }), 404, 'not_found');
      assert.equal((await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token: u.token })).status, 200);
      assert.deepEqual(await accountsOf(u.token), [a.id]);
    });

    it('inviting answers 202 with one body shape whether or not the email is registered (request_id, id, email and times aside)', async () => {
      const a = await api.account();
      const u = await registered('known');
      const shape = (r: Awaited<ReturnType<typeof invite>>) => ({ status: r.status, keys: Object.keys(r.body).sort(), role: r.body.role, status_field: r.body.status, account_id: r.body.account_id, ttl_ms: Date.parse(r.body.expires_at) - Date.parse(r.body.created_at) });
      const known = await invite(a.id, a.owner.token, u.email);
      const unknown = await invite(a.id, a.owner.token, email('unknown'));
      assert.deepEqual(shape(known), shape(unknown));
      assert.deepEqual(shape(known), { status: 202, keys: ['account_id', 'created_at', 'email', 'expires_at', 'id', 'role', 'status'], role: 'member', status_field: 'pending', account_id: a.id, ttl_ms: limits.invitation_ttl_ms });
    });

    it('an invitation to an email not yet registered waits for its user: once they exist they see and accept it', async () => {
      const a = await api.account();
      const later = email('later');
      const sent = await invite(a.id, a.owner.token, later);
      await api.tb.createAccount({ name: 'Their own', plan: 'pro', owner_email: later, owner_password: PASSWORD }, OPERATOR);
      const token = await api.signIn(later);
      const mine = await call('GET', '/v1/invitations', { token });
      assert.deepEqual(mine.body.data.map((i: { id: string }) => i.id), [sent.body.id]);
      assert.equal((await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token })).status, 200);
    });

    it('only the invited user may answer: another user, the operator and the gateway cannot', async () => {
      const a = await api.account();
      const u = await registered('right');
      const other = await registered('wrong');
      const sent = await invite(a.id, a.owner.token, u.email);
      const ghost = 'inv_ghost00000001';
      for (const answer of ['accept', 'decline']) {
        const theirs = assertError(await call('POST', `/v1/invitations/${sent.body.id}/${answer}`, { token: other.token }), 404, 'not_found');
        const none = assertError(await call('POST', `/v1/invitations/${ghost}/${answer}`, { token: other.token }), 404, 'not_found');
        assert.equal(theirs.message.replace(sent.body.id, '<id>'), none.message.replace(ghost, '<id>'));
        assertError(await call('POST', `/v1/invitations/${sent.body.id}/${answer}`, { token: a.owner.token }), 404, 'not_found');
        assertError(await call('POST', `/v1/invitations/${sent.body.id}/${answer}`, { token: api.operator }), 403, 'forbidden');
        assertError(await call('POST', `/v1/invitations/${sent.body.id}/${answer}`, { token: api.service }), 403, 'forbidden');
      }
      assert.deepEqual((await call('GET', '/v1/invitations', { token: other.token })).body.data, []);
      assert.equal((await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token: u.token })).body.status, 'accepted');
    });

    it('accepting checks the seats: two invitations for the last seat of a Team account, one joins, the other is 409 conflict', async () => {
      const a = await api.account({ plan: 'team', seats: 2 });
      const [u, v] = [await registered('first'), await registered('second')];
      const [to_u, to_v] = [await invite(a.id, a.owner.token, u.email), await invite(a.id, a.owner.token, v.email)];
      assert.deepEqual([to_u.status, to_v.status], [202, 202], 'inviting does not take a seat');
      const answers = await Promise.all([call('POST', `/v1/invitations/${to_u.body.id}/accept`, { token: u.token }), call('POST', `/v1/invitations/${to_v.body.id}/accept`, { token: v.token })]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 409]);
      assertError(answers.find((r) => r.status === 409)!, 409, 'conflict', { seats: 2, members: 2 });
      const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: a.owner.token });
      assert.equal(members.body.data.length, 2);
    });

    it("the invitee's list pages like every list: ?limit=0 and a limit above page_size_max are refused 400 naming limit, not bent", async () => {
      const u = await registered('pager');
      for (let i = 0; i < 3; i++) {
        const a = await api.account();
        assert.equal((await invite(a.id, a.owner.token, u.email)).status, 202);
      }
      for (const bad of ['0', String(limits.page_size_max + 1)]) {
        const e = assertError(await call('GET', `/v1/invitations?limit=${bad}`, { token: u.token }), 400, 'invalid_request');
        assert.equal(e.field, 'limit');
      }
      const first = await call('GET', '/v1/invitations?limit=2', { token: u.token });
      assert.deepEqual([first.body.data.length, first.body.has_more], [2, true]);
      const rest = await call('GET', `/v1/invitations?limit=2&cursor=${first.body.next_cursor}`, { token: u.token });
      assert.deepEqual([rest.body.data.length, rest.body.has_more, rest.body.next_cursor], [1, false, null]);
    });

    it('an invitation expires after invitation_ttl_ms: no longer listed, accepting it is 409 conflict (expired)', async () => {
      const a = await api.account();
      const u = await registered('slow');
      const sent = await invite(a.id, a.owner.token, u.email);
      api.clock.advance(limits.invitation_ttl_ms);
      try {
        // Sessions last as long as invitations: sign in again at the later time.
        const [token, owner_token] = [await api.signIn(u.email), await api.signIn(a.owner.email)];
        assert.deepEqual((await call('GET', '/v1/invitations', { token })).body.data, []);
        assertError(await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token }), 409, 'conflict', { status: 'expired' });
        // Inviting again renews the same invitation.
        const again = await invite(a.id, owner_token, u.email);
        assert.equal(again.body.id, sent.body.id);
        assert.equal(again.body.status, 'pending');
        assert.equal((await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token })).status, 200);
      } finally {
        api.clock.advance(-limits.invitation_ttl_ms);
      }
    });

    it('a declined invitation cannot be accepted and adds nobody', async () => {
      const a = await api.account();
      const u = await registered('no');
      const sent = await invite(a.id, a.owner.token, u.email);
      const declined = await call('POST', `/v1/invitations/${sent.body.id}/decline`, { token: u.token });
      assert.deepEqual([declined.status, declined.body.status], [200, 'declined']);
      assertError(await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token: u.token }), 409, 'conflict', { status: 'declined' });
      assert.deepEqual(await accountsOf(u.token), []);
    });

    it('inviting an existing member is 409 conflict; a password in the body is refused (nobody is created by inviting)', async () => {
      const a = await api.account({ team: true });
      assertError(await invite(a.id, a.owner.token, a.member!.email), 409, 'conflict');
      assertError(await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: email('x'), role: 'member', password: PASSWORD } }), 400, 'invalid_request', { field: 'password' });
    });
  });
}
