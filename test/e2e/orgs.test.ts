// API organizations over HTTP (issue 12, parts 1–3): create and read an org, its members and
// roles, its monthly limit; API keys (secret once, hash stored, list by prefix, revocation);
// API credits paying for API-key requests only, and never for an account's (both ways).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { OPERATOR } from '../fixtures/tokenbank';
import { apiHarness, assertError, email, PASSWORD, withoutIds, type Api, type TestAccount } from '../fixtures/http';

after(closeAll);

const HOLD = { model: 'claude-sonnet-4-5', input_tokens: 1000, max_output_tokens: 1000 } as const; // 3,000 + 15,000 = 18,000 held

for (const engine of databaseEngines()) {
  describe(`API organizations (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let acct: TestAccount;
    const people = {} as Record<'admin' | 'billing' | 'developer' | 'outsider', { id: string; email: string; token: string }>;
    let org_id: string;

    before(async () => {
      api = await apiHarness(await engine.open());
      acct = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const admin_email = email('org-admin');
      const created = await api.call('POST', '/v1/orgs', { token: api.operator, body: { name: 'Acme API', admin_email, admin_password: PASSWORD } });
      assert.equal(created.status, 201, created.text);
      org_id = created.body.id;
      people.admin = { id: created.body.admin.id, email: admin_email, token: await api.signIn(admin_email) };
      for (const role of ['billing', 'developer', 'outsider'] as const) {
        const user = await api.user(email(`org-${role}`));
        people[role] = { ...user, token: await api.signIn(user.email) };
        if (role !== 'outsider') {
          // A person joins an org as they join an account: invited, then accepting (SPEC §1.2).
          const invited = await api.call('POST', `/v1/orgs/${org_id}/members`, { token: people.admin.token, body: { email: user.email, role } });
          assert.equal(invited.status, 202, invited.text);
          const accepted = await api.call('POST', `/v1/invitations/${invited.body.id}/accept`, { token: people[role].token });
          assert.equal(accepted.status, 200, accepted.text);
        }
      }
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    describe('organizations', () => {
      it('201: created by the operator with no credits, tier 0 and its limits; kind api_org; the month is a calendar month', async () => {
        const r = await api.call('GET', `/v1/orgs/${org_id}`, { token: people.developer.token });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.kind, 'api_org');
        assert.equal(r.body.role, 'developer');
        assert.equal(r.body.credit_balance_micros, 0);
        assert.equal(r.body.available_micros, 0);
        assert.equal(r.body.monthly_limit_micros, null);
        assert.equal(r.body.tier.tier, 0);
        assert.deepEqual(r.body.tier.next, { tier: 1, purchased_micros_min: 5_000_000, remaining_micros: 5_000_000 });
        assert.equal(r.body.limits.requests_per_minute, 5);
        assert.match(r.body.month_start, /^\d{4}-\d{2}-01T00:00:00\.000Z$/);
      });

      it('lists: the operator sees every org, a user only theirs with their role; an org is not an account', async () => {
        const mine = await api.call('GET', '/v1/orgs', { token: people.billing.token });
        assert.deepEqual(mine.body.data.map((o: { id: string; role: string }) => [o.id, o.role]), [[org_id, 'billing']]);
        assert.deepEqual((await api.call('GET', '/v1/orgs', { token: people.outsider.token })).body.data, []);
        const all = await api.call('GET', '/v1/orgs', { token: api.operator });
        assert.ok(all.body.data.some((o: { id: string }) => o.id === org_id));
        const accounts = await api.call('GET', '/v1/accounts', { token: api.operator });
        assert.ok(!accounts.body.data.some((a: { id: string }) => a.id === org_id), 'the accounts list holds plan accounts only');
        const members = await api.call('GET', `/v1/orgs/${org_id}/members`, { token: people.developer.token });
        assert.deepEqual(members.body.data.map((m: { role: string }) => m.role).sort(), ['admin', 'billing', 'developer']);
      });

      it('404 for a non-member exactly as for an org that does not exist; 403 below the role needed', async () => {
        const theirs = await api.call('GET', `/v1/orgs/${org_id}`, { token: people.outsider.token });
        const none = await api.call('GET', '/v1/orgs/org_ghost0001', { token: people.outsider.token });
        assertError(theirs, 404, 'not_found');
        assert.deepEqual(withoutIds(theirs, org_id), withoutIds(none, 'org_ghost0001'));
        assertError(await api.call('PATCH', `/v1/orgs/${org_id}`, { token: people.developer.token, body: { monthly_limit_micros: 1 } }), 403, 'forbidden');
        assertError(await api.call('POST', `/v1/orgs/${org_id}/keys`, { token: people.billing.token, body: { name: 'nope' } }), 403, 'forbidden');
        assertError(await api.call('POST', '/v1/orgs', { token: people.admin.token, body: { name: 'x', admin_email: people.admin.email } }), 403, 'forbidden');
        assertError(await api.call('GET', `/v1/orgs/${org_id}`, { token: api.service }), 403, 'forbidden');
      });

      it('400 naming the field for a role that is not an org role; an email nobody registered is invited like any other (202, one shape); 409 a member already', async () => {
        const wrong = assertError(await api.call('POST', `/v1/orgs/${org_id}/members`, { token: people.admin.token, body: { email: people.outsider.email, role: 'owner' } }), 400, 'invalid_request');
        assert.equal(wrong.field, 'role');
        const shape = (r: { status: number; body: Record<string, unknown> }) => ({ status: r.status, keys: Object.keys(r.body).sort(), role: r.body.role, account_id: r.body.account_id });
        const unknown = await api.call('POST', `/v1/orgs/${org_id}/members`, { token: people.admin.token, body: { email: email('nobody'), role: 'developer' } });
        const known = await api.call('POST', `/v1/orgs/${org_id}/members`, { token: people.admin.token, body: { email: people.outsider.email, role: 'developer' } });
        assert.deepEqual(shape(unknown), shape(known));
        assert.deepEqual(shape(known), { status: 202, keys: ['account_id', 'created_at', 'email', 'expires_at', 'id', 'role', 'status'], role: 'developer', account_id: org_id });
        // The outsider sees the org's invitation, named and marked as an organization, and is not a member until they accept.
        const pending = await api.call('GET', '/v1/invitations', { token: people.outsider.token });
        const mine = pending.body.data.find((i: { id: string }) => i.id === known.body.id);
        assert.deepEqual([mine.account_name, mine.account_kind, mine.role], ['Acme API', 'api_org', 'developer']);
        assertError(await api.call('GET', `/v1/orgs/${org_id}`, { token: people.outsider.token }), 404, 'not_found');
        assert.equal((await api.call('POST', `/v1/invitations/${known.body.id}/decline`, { token: people.outsider.token })).status, 200);
        assertError(await api.call('POST', `/v1/orgs/${org_id}/members`, { token: people.admin.token, body: { email: people.billing.email, role: 'developer' } }), 409, 'conflict');
      });

      it('PATCH sets the monthly limit (billing) and null lifts it', async () => {
        const set = await api.call('PATCH', `/v1/orgs/${org_id}`, { token: people.billing.token, body: { monthly_limit_micros: 7_000_000 } });
        assert.equal(set.status, 200, set.text);
        assert.equal(set.body.monthly_limit_micros, 7_000_000);
        const lifted = await api.call('PATCH', `/v1/orgs/${org_id}`, { token: people.billing.token, body: { monthly_limit_micros: null } });
        assert.equal(lifted.body.monthly_limit_micros, null);
      });
    });

    describe('API keys', () => {
      it('lifecycle: the secret once (tbk_…), listed by prefix and name, never the secret; revoked → 401 at once; revoking again is the same answer', async () => {
        const created = await api.call('POST', `/v1/orgs/${org_id}/keys`, { token: people.admin.token, body: { name: 'ci', monthly_limit_micros: 1_000_000 } });
        assert.equal(created.status, 201, created.text);
        const secret: string = created.body.secret;
        assert.match(secret, /^tbk_[A-Za-z0-9_-]{40,}$/);
        assert.ok(secret.startsWith(created.body.prefix) && created.body.prefix.length < 16);
        const list = await api.call('GET', `/v1/orgs/${org_id}/keys`, { token: people.developer.token });
        assert.equal(list.status, 200);
        assert.ok(!list.text.includes(secret.slice(4, 20)), 'the list never shows the secret');
        const listed = list.body.data.find((k: { id: string }) => k.id === created.body.id);
        assert.deepEqual([listed.name, listed.prefix, listed.monthly_limit_micros, listed.last_used_at, listed.revoked_at], ['ci', created.body.prefix, 1_000_000, null, null]);
        assert.equal('secret' in listed, false);
        // Stored as a hash: nothing in the table holds the secret.
        const rows = await api.db.query<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE id = $1`, [created.body.id]);
        assert.ok(rows[0]!.key_hash.length === 64 && !rows[0]!.key_hash.includes(secret.slice(4)));

        assert.equal((await api.call('DELETE', `/v1/orgs/${org_id}/keys/${created.body.id}`, { token: people.billing.token })).status, 403);
        const revoked = await api.call('DELETE', `/v1/orgs/${org_id}/keys/${created.body.id}`, { token: people.admin.token });
        assert.equal(revoked.status, 200, revoked.text);
        assert.ok(revoked.body.revoked_at);
        const again = await api.call('DELETE', `/v1/orgs/${org_id}/keys/${created.body.id}`, { token: people.admin.token });
        assert.equal(again.status, 200);
        assert.equal(again.body.revoked_at, revoked.body.revoked_at);
        const refused = assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: secret, ...HOLD } }), 401, 'unauthenticated');
        assert.ok(!JSON.stringify(refused).includes(secret.slice(4, 16)), 'the refusal does not repeat the secret');
        assertError(await api.call('DELETE', `/v1/orgs/${org_id}/keys/key_ghost0001`, { token: people.admin.token }), 404, 'not_found');
      });

      it("another org's key: X's admin revoking it through X answers exactly as a key that does not exist, and the key keeps working for its org", async () => {
        const y_admin = email('org-y-admin');
        const y = await api.call('POST', '/v1/orgs', { token: api.operator, body: { name: 'Other API', admin_email: y_admin, admin_password: PASSWORD } });
        assert.equal(y.status, 201, y.text);
        const y_token = await api.signIn(y_admin);
        const y_key = await api.call('POST', `/v1/orgs/${y.body.id}/keys`, { token: y_token, body: { name: 'y-ci' } });
        assert.equal(y_key.status, 201, y_key.text);
        const theirs = assertError(await api.call('DELETE', `/v1/orgs/${org_id}/keys/${y_key.body.id}`, { token: people.admin.token }), 404, 'not_found');
        const ghost = assertError(await api.call('DELETE', `/v1/orgs/${org_id}/keys/key_ghost0002`, { token: people.admin.token }), 404, 'not_found');
        assert.equal(theirs.message.replace(y_key.body.id, '<id>'), ghost.message.replace('key_ghost0002', '<id>'));
        assertError(await api.call('DELETE', `/v1/orgs/${y.body.id}/keys/${y_key.body.id}`, { token: people.admin.token }), 404, 'not_found');
        // Not revoked: Y's key is still Y's (no credits yet, so the hold is refused for money, not as an unknown key).
        assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: y_key.body.secret, ...HOLD } }), 402, 'api_credits_exhausted');
        assert.equal((await api.call('GET', `/v1/orgs/${y.body.id}/keys`, { token: y_token })).body.data[0].revoked_at, null);
      });

      it('401 for a key nobody issued, and 400 for account_id and api_key together', async () => {
        assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: `tbk_${'x'.repeat(43)}`, ...HOLD } }), 401, 'unauthenticated');
        const both = assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: `tbk_${'x'.repeat(43)}`, account_id: acct.id, ...HOLD } }), 400, 'invalid_request');
        assert.equal(both.field, 'account_id');
      });
    });

    describe('API credits pay for API keys only', () => {
      /** A fresh org with a card, a key, and `credits_micros` bought through the API. */
      async function fundedOrg(credits_micros: number, key_limit_micros: number | null = null) {
        const { org } = await api.tb.createOrg({ name: `Org ${Math.random()}`, admin_email: people.admin.email }, OPERATOR);
        await api.join('api_org', org.id, people.billing, 'billing');
        const card = await api.call('POST', `/v1/orgs/${org.id}/payment-methods`, { token: people.admin.token, body: { token: 'tok_visa' } });
        assert.equal(card.status, 201, card.text);
        if (credits_micros > 0) {
          const bought = await api.call('POST', `/v1/orgs/${org.id}/credits`, { token: people.admin.token, body: { amount_micros: credits_micros }, headers: { 'idempotency-key': `seed-${org.id}` } });
          assert.equal(bought.status, 201, bought.text);
        }
        const key = await api.call('POST', `/v1/orgs/${org.id}/keys`, { token: people.admin.token, body: { name: 'k', monthly_limit_micros: key_limit_micros } });
        assert.equal(key.status, 201, key.text);
        return { id: org.id, secret: key.body.secret as string, key_id: key.body.id as string };
      }
      const orgView = async (id: string) => (await api.call('GET', `/v1/orgs/${id}`, { token: api.operator })).body;
      const accountBalance = async () => (await api.call('GET', `/v1/accounts/${acct.id}/extra-usage`, { token: acct.owner.token })).body.balance_micros as number;

      it('201: a purchase by card with an Idempotency-Key (replayed, never charged twice); the same bounds and daily cap as extra usage', async () => {
        const o = await fundedOrg(0);
        const buy = (amount_micros: number, key: string) => api.call('POST', `/v1/orgs/${o.id}/credits`, { token: people.billing.token, body: { amount_micros }, headers: { 'idempotency-key': key } });
        assertError(await buy(4_990_000, 'small'), 400, 'invalid_request');
        const first = await buy(10_000_000, 'buy-1');
        assert.equal(first.status, 201, first.text);
        assert.equal(first.body.balance_micros, 10_000_000);
        const again = await buy(10_000_000, 'buy-1');
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.equal((await orgView(o.id)).credit_balance_micros, 10_000_000);
        assertError(await buy(11_000_000, 'buy-1'), 409, 'idempotency_conflict');
        assertError(await api.call('POST', `/v1/orgs/${o.id}/credits`, { token: people.billing.token, body: { amount_micros: 5_000_000 } }), 400, 'invalid_request');
        assert.equal((await buy(1_990_000_000, 'big')).status, 201);
        assertError(await buy(5_000_000, 'over-cap'), 402, 'daily_cap_reached');
      });

      it('an API key hold and settle: funding api_credits, charged to the org; the account\'s extra usage untouched', async () => {
        const o = await fundedOrg(10_000_000);
        const before_account = await accountBalance();
        const held = await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } });
        assert.equal(held.status, 201, held.text);
        assert.deepEqual([held.body.account_id, held.body.funding.source, held.body.funding.reason, held.body.funding.held_micros, held.body.api_key_id], [o.id, 'api_credits', 'api_key', 18_000, o.key_id]);
        assert.equal((await orgView(o.id)).held_micros, 18_000);
        const settled = await api.call('POST', `/v1/authorizations/${held.body.id}/settle`, { token: api.service, body: { input_tokens: 1000, output_tokens: 200 } });
        assert.equal(settled.status, 200, settled.text);
        assert.equal(settled.body.charged_micros, 6000);
        const view = await orgView(o.id);
        assert.deepEqual([view.credit_balance_micros, view.held_micros, view.spent_this_month_micros], [10_000_000 - 6000, 0, 6000]);
        assert.equal(await accountBalance(), before_account);
        const keys = (await api.call('GET', `/v1/orgs/${o.id}/keys`, { token: people.admin.token })).body.data;
        assert.equal(keys[0].spent_this_month_micros, 6000);
        assert.ok(keys[0].last_used_at);
      });

      it('402 api_credits_exhausted for an org without credits, even when the account has extra usage to spare', async () => {
        const o = await fundedOrg(0);
        assert.ok((await accountBalance()) > 1_000_000);
        const e = assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } }), 402, 'api_credits_exhausted');
        assert.deepEqual([e.available_micros, e.required_micros], [0, 18_000]);
        assert.match(e.message, /Buy API credits/);
      });

      it("an account's request is never paid by API credits: account_id of an org is refused, and an account's hold leaves the org alone", async () => {
        const o = await fundedOrg(10_000_000);
        const refused = assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { account_id: o.id, app: 'claude-code', ...HOLD } }), 400, 'invalid_request');
        assert.equal(refused.field, 'account_id');
        const mine = await api.call('POST', '/v1/authorizations', { token: api.service, body: { account_id: acct.id, app: 'claude-code', ...HOLD } });
        assert.equal(mine.status, 201, mine.text);
        assert.equal(mine.body.funding.source, 'extra_usage');
        assert.equal((await orgView(o.id)).held_micros, 0);
        const events = await api.call('POST', '/v1/usage-events', { token: api.service, body: { events: [{ id: `e-${o.id}`, account_id: o.id, app: 'web', model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 1 }, timestamp: '2026-11-02T08:00:00Z' }] } });
        assert.equal(events.body.data[0].error.type, 'invalid_request');
      });

      it('402 key_limit_reached at the key\'s own monthly limit, with the figures; another key of the org still works', async () => {
        const o = await fundedOrg(10_000_000, 30_000); // one 18,000 hold fits, a second does not
        assert.equal((await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } })).status, 201);
        const e = assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } }), 402, 'key_limit_reached');
        assert.deepEqual([e.limit_micros, e.held_micros, e.required_micros, e.api_key_id], [30_000, 18_000, 18_000, o.key_id]);
        const other = await api.call('POST', `/v1/orgs/${o.id}/keys`, { token: people.admin.token, body: { name: 'other' } });
        assert.equal((await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: other.body.secret, ...HOLD } })).status, 201);
      });

      it("402 spend_limit_reached at the org's monthly limit (a hard cap)", async () => {
        const o = await fundedOrg(10_000_000);
        assert.equal((await api.call('PATCH', `/v1/orgs/${o.id}`, { token: people.billing.token, body: { monthly_limit_micros: 20_000 } })).status, 200);
        assert.equal((await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } })).status, 201);
        const e = assertError(await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } }), 402, 'spend_limit_reached');
        assert.deepEqual([e.limit_micros, e.held_micros], [20_000, 18_000]);
      });

      it('usage events with api_key are charged to the org; a revoked key\'s event is refused alone (401), the others recorded', async () => {
        const o = await fundedOrg(10_000_000);
        const dead = await api.call('POST', `/v1/orgs/${o.id}/keys`, { token: people.admin.token, body: { name: 'dead' } });
        await api.call('DELETE', `/v1/orgs/${o.id}/keys/${dead.body.id}`, { token: people.admin.token });
        const ev = (id: string, api_key: string) => ({ id, api_key, model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 200 }, timestamp: '2026-11-02T08:00:00Z' });
        const r = await api.call('POST', '/v1/usage-events', { token: api.service, body: { events: [ev('a', o.secret), ev('b', dead.body.secret)] } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.data[0].status, 'recorded');
        assert.deepEqual([r.body.data[0].usage_record.funding.source, r.body.data[0].usage_record.charged_micros, r.body.data[0].usage_record.api_key_id], ['api_credits', 6000, o.key_id]);
        assert.equal(r.body.data[1].error.type, 'unauthenticated');
        assert.ok(!r.text.includes(dead.body.secret.slice(4, 16)));
        assert.equal((await orgView(o.id)).credit_balance_micros, 10_000_000 - 6000);
      });

      it('promotional grants are spent first; auto-reload fires below the threshold and is charged to the org\'s card', async () => {
        const o = await fundedOrg(5_000_000);
        assert.equal((await api.call('POST', `/v1/orgs/${o.id}/grants`, { token: api.operator, body: { amount_micros: 10_000 } })).status, 201);
        const patched = await api.call('PATCH', `/v1/orgs/${o.id}`, { token: people.billing.token, body: { auto_reload: { enabled: true, amount_micros: 10_000_000, threshold_micros: 5_000_000 } } });
        assert.equal(patched.status, 200, patched.text);
        const held = await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: o.secret, ...HOLD } });
        await api.call('POST', `/v1/authorizations/${held.body.id}/settle`, { token: api.service, body: { input_tokens: 1000, output_tokens: 200 } });
        const after_use = await orgView(o.id);
        assert.deepEqual([after_use.promotional_micros, after_use.purchased_micros], [4000, 5_000_000]);
        await api.tb.processPendingPurchases();
        const reloaded = await orgView(o.id);
        assert.equal(reloaded.purchased_micros, 15_000_000);
        assert.equal(reloaded.auto_reload.last_event?.type, 'succeeded');
      });

      it('the tier rises with cumulative purchases: $5 → 1, $40 → 2 (limits follow)', async () => {
        const o = await fundedOrg(5_000_000);
        const one = await orgView(o.id);
        assert.deepEqual([one.tier.tier, one.tier.purchased_total_micros, one.limits.requests_per_minute], [1, 5_000_000, 50]);
        assert.equal((await api.call('POST', `/v1/orgs/${o.id}/credits`, { token: people.admin.token, body: { amount_micros: 35_000_000 }, headers: { 'idempotency-key': 'tier-2' } })).status, 201);
        const two = await orgView(o.id);
        assert.deepEqual([two.tier.tier, two.limits.requests_per_minute, two.tier.next?.tier], [2, 1000, 3]);
      });

      it('reads: usage by day grouped by key and by model, transactions and events paged like every list', async () => {
        const o = await fundedOrg(10_000_000);
        const other = (await api.call('POST', `/v1/orgs/${o.id}/keys`, { token: people.admin.token, body: { name: 'two' } })).body;
        for (const [secret, n] of [[o.secret, 2], [other.secret, 1]] as const)
          for (let i = 0; i < n; i++) {
            const held = await api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: secret, ...HOLD } });
            await api.call('POST', `/v1/authorizations/${held.body.id}/settle`, { token: api.service, body: { input_tokens: 1000, output_tokens: 200 } });
          }
        // The developer of the first org is not a member of this one: its usage is "not found" for them.
        assertError(await api.call('GET', `/v1/orgs/${o.id}/usage?group_by=key`, { token: people.developer.token }), 404, 'not_found');
        const usage = await api.call('GET', `/v1/orgs/${o.id}/usage?group_by=key`, { token: people.admin.token });
        assert.equal(usage.status, 200, usage.text);
        const per_key = Object.fromEntries(usage.body.buckets.map((b: { group: string; requests: number; cost_micros: number }) => [b.group, [b.requests, b.cost_micros]]));
        assert.deepEqual(per_key, { [o.key_id]: [2, 12_000], [other.id]: [1, 6000] });
        assert.deepEqual(usage.body.totals, { requests: 3, cost_micros: 18_000 });
        const by_model = await api.call('GET', `/v1/orgs/${o.id}/usage?group_by=model&granularity=month`, { token: people.admin.token });
        assert.deepEqual(by_model.body.buckets.map((b: { group: string; requests: number }) => [b.group, b.requests]), [['claude-sonnet-4-5', 3]]);
        assertError(await api.call('GET', `/v1/orgs/${o.id}/usage?group_by=app`, { token: people.admin.token }), 400, 'invalid_request');
        const page = await api.call('GET', `/v1/orgs/${o.id}/transactions?limit=2`, { token: people.admin.token });
        assert.deepEqual([page.body.data.length, page.body.has_more, typeof page.body.next_cursor], [2, true, 'string']);
        const rest = await api.call('GET', `/v1/orgs/${o.id}/transactions?limit=10&cursor=${page.body.next_cursor}`, { token: people.admin.token });
        assert.deepEqual(rest.body.data.map((t: { kind: string }) => t.kind).sort(), ['purchase', 'usage']); // 3 usage charges and the purchase: 2 + 2
        const events = await api.call('GET', `/v1/orgs/${o.id}/events`, { token: people.admin.token });
        assert.ok(events.body.data.some((e: { type: string }) => e.type === 'credits.purchased'), events.text);
      });

      it('the audit is clean: the org books balance with every other', async () => {
        const audit = await api.call('GET', '/v1/audit', { token: api.operator });
        assert.equal(audit.status, 200, audit.text);
        assert.deepEqual(audit.body.findings, []);
      });
    });
  });
}
