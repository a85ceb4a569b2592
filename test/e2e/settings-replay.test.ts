// Settings and subscription changes over HTTP, on both engines: a replay with the first call's
// Idempotency-Key answers the first call's status and body even after another change came in
// between (README: "the same key with the same body returns the first result"), and changes
// nothing; the same key with another body is 409 naming the key and the first call; a team plan
// never gets fewer seats than members; an auto-reload amount is refused with its figures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, ISO, PASSWORD, type Api } from '../fixtures/http';

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`settings changes (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    const call = (...args: Parameters<Api['call']>) => api.call(...args);
    const key = (what: string) => ({ 'idempotency-key': `${what}-${Math.random()}` });

    before(async () => {
      api = await apiHarness(await engine.open());
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    /** First call with key K, another change without a key, then K again: the first answer, marked, and the other change stands. */
    async function replayAfterAnotherChange(method: string, url: string, token: string, first_body: unknown, other_body: unknown, read: string) {
      const headers = key('first');
      const first = await call(method, url, { token, body: first_body, headers });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const other = await call(method, url, { token, body: other_body });
      assert.equal(other.status, 200, other.text);
      assert.notDeepEqual(other.body, first.body, 'the other change answers other settings');
      const again = await call(method, url, { token, body: first_body, headers });
      assert.equal(again.status, first.status, 'the first status');
      assert.deepEqual(again.body, first.body, 'the first body, not the settings as they are now');
      assert.equal(again.headers['idempotent-replayed'], 'true');
      const now = await call('GET', read, { token });
      return { first: first.body, other: other.body, now: now.body };
    }

    describe('a replay answers the first result', () => {
      it('PATCH /v1/accounts/{id}/extra-usage', async () => {
        const a = await api.account();
        const url = `/v1/accounts/${a.id}/extra-usage`;
        const r = await replayAfterAnotherChange(
          'PATCH',
          url,
          a.owner.token,
          { monthly_spend_limit_micros: 30_000_000 },
          { monthly_spend_limit_micros: 70_000_000 },
          url,
        );
        assert.equal(r.first.monthly_spend_limit_micros, 30_000_000);
        assert.equal(r.now.monthly_spend_limit_micros, 70_000_000, 'the replay changed nothing');
      });

      it('PATCH /v1/orgs/{id}', async () => {
        const admin_email = email('replay-org');
        const org = await call('POST', '/v1/orgs', { token: api.operator, body: { name: 'Replay API', admin_email, admin_password: PASSWORD } });
        assert.equal(org.status, 201, org.text);
        const token = await api.signIn(admin_email);
        const url = `/v1/orgs/${org.body.id}`;
        const r = await replayAfterAnotherChange('PATCH', url, token, { monthly_limit_micros: 40_000_000 }, { monthly_limit_micros: null }, url);
        assert.equal(r.first.monthly_limit_micros, 40_000_000);
        assert.equal(r.first.role, 'admin');
        assert.equal(r.now.monthly_limit_micros, null, 'the replay changed nothing');
      });

      it('PUT /v1/accounts/{id}/subscription', async () => {
        const a = await api.account();
        const url = `/v1/accounts/${a.id}/subscription`;
        const r = await replayAfterAnotherChange('PUT', url, a.owner.token, { plan: 'max' }, { plan: 'pro' }, `/v1/accounts/${a.id}`);
        assert.equal(r.first.plan.id, 'max');
        assert.equal(r.now.plan.id, 'pro', 'the replay changed nothing');
      });
    });

    describe('409 idempotency_conflict', () => {
      it('the same key with another body names the key and the first call, and changes nothing', async () => {
        const a = await api.account();
        const url = `/v1/accounts/${a.id}/extra-usage`;
        const headers = key('conflict');
        const first = await call('PATCH', url, { token: a.owner.token, body: { monthly_spend_limit_micros: 30_000_000 }, headers });
        assert.equal(first.status, 200, first.text);
        const e = assertError(
          await call('PATCH', url, { token: a.owner.token, body: { monthly_spend_limit_micros: 90_000_000 }, headers }),
          409,
          'idempotency_conflict',
          {
            idempotency_key: headers['idempotency-key'],
          },
        );
        assert.equal(typeof e.first_audit_id, 'number');
        assert.match(e.first_at, ISO);
        assert.match(e.message, /Use a new key/);
        assert.equal((await call('GET', url, { token: a.owner.token })).body.monthly_spend_limit_micros, 30_000_000);
      });
    });

    describe('seats never below the members', () => {
      it('team with 3 members to 1 seat: 409 conflict with {seats, members} and the remedy; nothing changes; 3 seats is fine', async () => {
        const a = await api.account({ plan: 'team', seats: 3, team: true });
        const url = `/v1/accounts/${a.id}/subscription`;
        const e = assertError(await call('PUT', url, { token: a.owner.token, body: { plan: 'team', seats: 1 } }), 409, 'conflict', { seats: 1, members: 3 });
        assert.match(e.message, new RegExp(`remove members first: DELETE /v1/accounts/${a.id}/members/\\{user_id\\}`));
        assert.equal((await call('GET', `/v1/accounts/${a.id}`, { token: a.owner.token })).body.seats, 3, 'nothing changed');
        const ok = await call('PUT', url, { token: a.owner.token, body: { plan: 'team', seats: 3 } });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.body.seats, 3);
      });

      it('pro with 3 members to team without seats: the one seat carries over, so 409; with seats: 4, 200', async () => {
        const a = await api.account({ plan: 'pro', team: true });
        const url = `/v1/accounts/${a.id}/subscription`;
        assertError(await call('PUT', url, { token: a.owner.token, body: { plan: 'team' } }), 409, 'conflict', { seats: 1, members: 3 });
        const ok = await call('PUT', url, { token: a.owner.token, body: { plan: 'team', seats: 4 } });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual([ok.body.plan.id, ok.body.seats], ['team', 4]);
      });
    });

    describe('400 auto_reload.amount_micros', () => {
      it('above the maximum purchase: the figures and the bounds in dollars; nothing changes', async () => {
        const a = await api.account();
        const url = `/v1/accounts/${a.id}/extra-usage`;
        const body = { auto_reload: { enabled: true, amount_micros: 3_000_000_000, threshold_micros: 5_000_000 } };
        const e = assertError(await call('PATCH', url, { token: a.owner.token, body }), 400, 'invalid_request', {
          field: 'auto_reload.amount_micros',
          amount_micros: 3_000_000_000,
          min_micros: 5_000_000,
          max_micros: 2_500_000_000,
        });
        assert.match(e.message, /\$5\.00 and \$2,500\.00/);
        assert.equal((await call('GET', url, { token: a.owner.token })).body.auto_reload.enabled, false);
      });
    });
  });
}
