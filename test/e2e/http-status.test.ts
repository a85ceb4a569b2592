// HTTP API v1 (SPEC §2), grouped by the status each guarantee answers with. Every body is
// checked for its exact shape: field names as in the SPEC, `_micros` integers, and errors as
// {"error": {"type", "message", ...figures}} with a message that says what to do.
// In process (app.inject), one database per engine, a fresh account per case.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, assertMicrosIntegers, email, ISO, PASSWORD, type Api, type Reply } from '../fixtures/http';
import { memoryRateLimiter } from '../../src/ratelimit/limiters';
import { defaultCatalogData } from '../../src/domain/catalog';
import { OPERATOR } from '../fixtures/tokenbank';
import { limits } from '../../src/domain/limits';

/** Example 4 of SPEC §4: opus, input 1,000, max output 4,000 → 105,000 micros held. */
const OPUS_HOLD = { app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 } as const;
const OPUS_HOLD_MICROS = 105_000;
const MINUTE_MS = 60_000;

/** A plan with a tiny rate limit, so the 429 path is reached with a handful of requests. */
const TINY_PLAN = {
  id: 'tiny',
  name: 'Tiny',
  price_micros: 20_000_000,
  per_seat: false,
  extra_usage_allowed: true,
  windows: [{ kind: 'rolling_5h' as const, limit_tokens: 500_000 }],
  requests_per_minute: 3,
  tokens_per_minute: 2_000_000,
};

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`HTTP API v1 by status (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    const call = (...args: Parameters<Api['call']>) => api.call(...args);
    const authorize = (account_id: string, over: Record<string, unknown> = {}, headers?: Record<string, string>) =>
      call('POST', '/v1/authorizations', { token: api.service, body: { account_id, ...OPUS_HOLD, ...over }, ...(headers ? { headers } : {}) });
    const settle = (id: string, usage: Record<string, unknown> = { input_tokens: 1000, output_tokens: 4000 }) =>
      call('POST', `/v1/authorizations/${id}/settle`, { token: api.service, body: usage });
    const release = (id: string) => call('POST', `/v1/authorizations/${id}/release`, { token: api.service });

    before(async () => {
      api = await apiHarness(await engine.open(), { rate_limiter: memoryRateLimiter() });
      const catalog = defaultCatalogData();
      await api.tb.replaceCatalog({ ...catalog, plans: [...catalog.plans, TINY_PLAN] }, OPERATOR);
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    describe('200 and 201', () => {
      it('POST /v1/sessions → 201 {token, expires_at, user: {id, email}} and sets an HttpOnly, SameSite=Strict cookie', async () => {
        const a = await api.account();
        const r = await call('POST', '/v1/sessions', { body: { email: a.owner.email, password: PASSWORD } });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(Object.keys(r.body).sort(), ['expires_at', 'token', 'user']);
        assert.deepEqual(r.body.user, { id: a.owner.id, email: a.owner.email });
        assert.equal(typeof r.body.token, 'string');
        assert.equal(r.body.expires_at, new Date(api.clock.ms + 7 * 86_400_000).toISOString());
        const cookie = r.cookies.find((c) => c.name === 'tb_session');
        assert.ok(cookie, 'session cookie set');
        assert.equal(cookie.value, r.body.token);
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, 'Strict');
        assert.equal(cookie.path, '/');
      });

      it('POST /v1/sessions is case-insensitive in the email', async () => {
        const a = await api.account();
        const r = await call('POST', '/v1/sessions', { body: { email: a.owner.email.toUpperCase(), password: PASSWORD } });
        assert.equal(r.status, 201, r.text);
      });

      it('POST /v1/accounts (operator) → 201 account {id, plan, windows, owner}', async () => {
        const owner_email = email('new-owner');
        const r = await call('POST', '/v1/accounts', { token: api.operator, body: { name: 'Acme', plan: 'pro', owner_email, owner_password: PASSWORD } });
        assert.equal(r.status, 201, r.text);
        assert.match(r.body.id, /^acct_/);
        assert.equal(r.body.name, 'Acme');
        assert.deepEqual(r.body.plan, { id: 'pro', name: 'Pro', price_micros: 20_000_000, per_seat: false });
        assert.equal(r.body.plan_status, 'active');
        assert.deepEqual(r.body.owner.email, owner_email);
        assert.deepEqual(
          r.body.windows.map((w: Record<string, unknown>) => pick(w, ['kind', 'used', 'limit'])),
          [
            { kind: 'rolling_5h', used: 0, limit: 500_000 },
            { kind: 'weekly', used: 0, limit: 5_000_000 },
          ],
        );
        // The new owner can sign in with the given password.
        assert.equal((await call('POST', '/v1/sessions', { body: { email: owner_email, password: PASSWORD } })).status, 201);
      });

      it('GET /v1/accounts/{id} → account, plan, windows with used, limit, resets_at', async () => {
        const a = await api.account();
        const held = await authorize(a.id, { app: 'web' }); // allowance: 5,000 tokens held in every window
        assert.equal(held.status, 201, held.text);
        const r = await call('GET', `/v1/accounts/${a.id}`, { token: a.owner.token });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.id, a.id);
        assert.equal(r.body.role, 'owner');
        assert.equal(r.body.plan.id, 'pro');
        assert.equal(r.body.cycle_start, new Date(api.clock.ms).toISOString());
        for (const w of r.body.windows) {
          assert.deepEqual(Object.keys(w).sort(), ['kind', 'limit', 'resets_at', 'seat', 'used']);
          assert.equal(w.used, 5000, `${w.kind} counts the held tokens`);
          assert.match(w.resets_at, ISO);
        }
        assert.equal(r.body.windows.find((w: { kind: string }) => w.kind === 'rolling_5h').resets_at, new Date(api.clock.ms + 5 * 3_600_000).toISOString());
      });

      it('PUT /v1/accounts/{id}/subscription → 200 with the new plan; DELETE → 200 cancelling at cycle end', async () => {
        const a = await api.account();
        const up = await call('PUT', `/v1/accounts/${a.id}/subscription`, { token: a.owner.token, body: { plan: 'team', seats: 3 } });
        assert.equal(up.status, 200, up.text);
        assert.equal(up.body.plan.id, 'team');
        assert.equal(up.body.seats, 3);
        const cancel = await call('DELETE', `/v1/accounts/${a.id}/subscription`, { token: a.owner.token });
        assert.equal(cancel.status, 200, cancel.text);
        assert.equal(cancel.body.cancel_at, cancel.body.cycle_end);
        assert.equal(cancel.body.plan_status, 'canceling');
      });

      it('POST /v1/accounts/{id}/members → 202 {id, account_id, email, role, status: pending, created_at, expires_at}, the same for a registered and an unregistered email; nobody joins before accepting', async () => {
        const a = await api.account();
        const registered = email('member');
        await api.user(registered);
        const unregistered = email('stranger');
        const answers = [];
        for (const invited of [registered, unregistered]) {
          const r = await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: invited, role: 'member' } });
          assert.equal(r.status, 202, r.text);
          assert.deepEqual(Object.keys(r.body).sort(), ['account_id', 'created_at', 'email', 'expires_at', 'id', 'role', 'status']);
          assert.deepEqual(pick(r.body, ['account_id', 'email', 'role', 'status']), { account_id: a.id, email: invited, role: 'member', status: 'pending' });
          assert.match(r.body.id, /^inv_/);
          assert.equal(r.body.expires_at, new Date(api.clock.ms + limits.invitation_ttl_ms).toISOString());
          answers.push({ ...r.body, id: '<id>', email: '<email>' });
        }
        assert.deepEqual(answers[0], answers[1], 'registered and unregistered emails get the same answer');
        const list = await call('GET', `/v1/accounts/${a.id}/members`, { token: a.owner.token });
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.data.map((m: { role: string }) => m.role),
          ['owner'],
          'no member before acceptance',
        );
      });

      it('GET /v1/invitations, POST /v1/invitations/{id}/accept → 200 status accepted; the member list then shows the role', async () => {
        const a = await api.account();
        const invited = email('joiner');
        await api.user(invited);
        const sent = await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: invited, role: 'billing' } });
        const token = await api.signIn(invited);
        const mine = await call('GET', '/v1/invitations', { token });
        assert.equal(mine.status, 200, mine.text);
        assert.deepEqual(
          mine.body.data.map((i: { id: string; account_name: string; status: string }) => [i.id, i.status, typeof i.account_name]),
          [[sent.body.id, 'pending', 'string']],
        );
        const accepted = await call('POST', `/v1/invitations/${sent.body.id}/accept`, { token });
        assert.equal(accepted.status, 200, accepted.text);
        assert.equal(accepted.body.status, 'accepted');
        const list = await call('GET', `/v1/accounts/${a.id}/members`, { token: a.owner.token });
        assert.deepEqual(
          list.body.data.map((m: { email: string; role: string }) => [m.email, m.role]).sort(),
          [
            [a.owner.email, 'owner'],
            [invited, 'billing'],
          ].sort(),
        );
        assert.deepEqual((await call('GET', '/v1/invitations', { token })).body.data, [], 'no longer pending');
        assert.equal((await call('GET', `/v1/accounts/${a.id}`, { token })).status, 200, 'the new member sees the account');
      });

      it('POST /v1/accounts/{id}/payment-methods → 201 {id, brand, last4, exp_month, exp_year}; GET lists it as default', async () => {
        const a = await api.account();
        const r = await call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: a.owner.token, body: { token: 'tok_visa' } });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(pick(r.body, ['brand', 'last4', 'exp_month', 'exp_year']), { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 });
        assert.match(r.body.id, /^pm_/);
        assert.ok(!JSON.stringify(r.body).includes('sandbox_card'), 'the provider reference is not exposed');
        const list = await call('GET', `/v1/accounts/${a.id}/payment-methods`, { token: a.owner.token });
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.data.map((m: { id: string; default: boolean }) => [m.id, m.default]),
          [[r.body.id, true]],
        );
      });

      it('POST /v1/accounts/{id}/extra-usage/credits → 201 {transaction_id, amount_micros, balance_micros}; same Idempotency-Key → same purchase, one charge', async () => {
        const a = await api.account({ card: 'tok_visa' });
        const charges_before = api.payments.charges.size;
        const buy = () =>
          call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, {
            token: a.owner.token,
            body: { amount_micros: 20_000_000 },
            headers: { 'idempotency-key': `buy-${a.id}` },
          });
        const first = await buy();
        assert.equal(first.status, 201, first.text);
        assert.deepEqual(pick(first.body, ['amount_micros', 'balance_micros']), { amount_micros: 20_000_000, balance_micros: 20_000_000 });
        assert.match(first.body.transaction_id, /^pur_/);
        assertMicrosIntegers(first.body);
        const again = await buy();
        assert.equal(again.status, 201, again.text);
        assert.equal(again.body.transaction_id, first.body.transaction_id);
        assert.equal(again.body.balance_micros, 20_000_000, 'a replay adds nothing');
        assert.equal(api.payments.charges.size - charges_before, 1, 'the card was charged once');
      });

      it('GET /v1/accounts/{id}/extra-usage → exactly the SPEC fields, integers of micros', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: 5_000_000 });
        assert.equal((await authorize(a.id)).status, 201);
        const r = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token });
        assert.equal(r.status, 200, r.text);
        const spec = [
          'enabled',
          'balance_micros',
          'purchased_micros',
          'promotional_micros',
          'held_micros',
          'available_micros',
          'monthly_spend_limit_micros',
          'spent_this_cycle_micros',
          'cycle_start',
          'cycle_end',
          'auto_reload',
        ];
        for (const field of spec) assert.ok(field in r.body, `extra-usage has ${field}`);
        assert.deepEqual(
          pick(
            r.body,
            spec.filter((f) => !f.startsWith('cycle') && f !== 'auto_reload'),
          ),
          {
            enabled: true,
            balance_micros: 20_000_000,
            purchased_micros: 20_000_000,
            promotional_micros: 0,
            held_micros: OPUS_HOLD_MICROS,
            available_micros: 20_000_000 - OPUS_HOLD_MICROS,
            monthly_spend_limit_micros: 5_000_000,
            spent_this_cycle_micros: 0,
          },
        );
        assert.equal(r.body.cycle_start, '2026-11-02T09:00:00.000Z');
        assert.equal(r.body.cycle_end, '2026-12-02T09:00:00.000Z');
        assert.deepEqual(r.body.auto_reload, { enabled: false, amount_micros: null, threshold_micros: null, last_event: null });
        assertMicrosIntegers(r.body);
      });

      it('PATCH /v1/accounts/{id}/extra-usage → 200 with the new settings; enabling sets the $50 default limit; auto_reload.last_event tells why a reload was skipped', async () => {
        const a = await api.account({ credits_micros: 20_000_000 });
        const on = await call('PATCH', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token, body: { enabled: true } });
        assert.equal(on.status, 200, on.text);
        assert.equal(on.body.enabled, true);
        assert.equal(on.body.monthly_spend_limit_micros, 50_000_000);
        const r = await call('PATCH', `/v1/accounts/${a.id}/extra-usage`, {
          token: a.owner.token,
          body: { monthly_spend_limit_micros: 5_000_000, auto_reload: { enabled: true, amount_micros: 20_000_000, threshold_micros: 30_000_000 } },
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.monthly_spend_limit_micros, 5_000_000);
        assert.deepEqual(r.body.auto_reload, { enabled: true, amount_micros: 20_000_000, threshold_micros: 30_000_000, last_event: null });
        // A hold takes available below the threshold; 0 spent + $20 > the $5 limit, so the reload is skipped (SPEC §1.7).
        assert.equal((await authorize(a.id)).status, 201);
        const after_hold = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token });
        assert.deepEqual(pick(after_hold.body.auto_reload.last_event, ['type', 'reason', 'amount_micros']), {
          type: 'skipped',
          reason: 'limit',
          amount_micros: 20_000_000,
        });
        assert.match(after_hold.body.auto_reload.last_event.at, ISO);
        const unlimited = await call('PATCH', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token, body: { monthly_spend_limit_micros: null } });
        assert.equal(unlimited.status, 200);
        assert.equal(unlimited.body.monthly_spend_limit_micros, null);
      });

      it('POST /v1/authorizations → 201 {id, status: "held", funding: {source, allowance_tokens, held_micros}, expires_at}', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const r = await authorize(a.id);
        assert.equal(r.status, 201, r.text);
        assert.match(r.body.id, /^auth_/);
        assert.equal(r.body.status, 'held');
        assert.deepEqual(pick(r.body.funding, ['source', 'allowance_tokens', 'held_micros', 'reason', 'price_version']), {
          source: 'extra_usage',
          allowance_tokens: 0,
          held_micros: OPUS_HOLD_MICROS,
          reason: 'third_party_extra_usage_only',
          price_version: 'price_opus_4_5_v1',
        });
        assert.equal(r.body.expires_at, new Date(api.clock.ms + 10 * MINUTE_MS).toISOString());
        assertMicrosIntegers(r.body);
        const first_party = await authorize(a.id, { app: 'web' });
        assert.equal(first_party.status, 201);
        assert.deepEqual(pick(first_party.body.funding, ['source', 'allowance_tokens', 'held_micros', 'reason']), {
          source: 'allowance',
          allowance_tokens: 5000,
          held_micros: 0,
          reason: 'first_party_allowance',
        });
        const short = await authorize(a.id, { ttl_ms: MINUTE_MS });
        assert.equal(short.body.expires_at, new Date(api.clock.ms + MINUTE_MS).toISOString());
      });

      it('POST /v1/authorizations with the same Idempotency-Key and body → the same authorization, one hold', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const first = await authorize(a.id, {}, { 'idempotency-key': 'req-1' });
        const again = await authorize(a.id, {}, { 'idempotency-key': 'req-1' });
        assert.equal(first.status, 201);
        assert.equal(again.status, 201);
        assert.equal(again.body.id, first.body.id);
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
        assert.equal(eu.body.held_micros, OPUS_HOLD_MICROS);
      });

      it('GET /v1/authorizations/{id} → the funding receipt: source, reason, price version', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const held = await authorize(a.id);
        const r = await call('GET', `/v1/authorizations/${held.body.id}`, { token: a.owner.token });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, held.body);
      });

      it('POST /v1/authorizations/{id}/settle → 200 {id, status: "settled", charged_micros, allowance_tokens, funding}; a replay answers the same', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const held = await authorize(a.id);
        const r = await settle(held.body.id);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(pick(r.body, ['id', 'status', 'charged_micros', 'allowance_tokens']), {
          id: held.body.id,
          status: 'settled',
          charged_micros: OPUS_HOLD_MICROS,
          allowance_tokens: 0,
        });
        assert.deepEqual(r.body.funding, held.body.funding);
        assertMicrosIntegers(r.body);
        const replay = await settle(held.body.id);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.charged_micros, OPUS_HOLD_MICROS);
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
        assert.deepEqual(pick(eu.body, ['held_micros', 'spent_this_cycle_micros', 'balance_micros']), {
          held_micros: 0,
          spent_this_cycle_micros: OPUS_HOLD_MICROS,
          balance_micros: 20_000_000 - OPUS_HOLD_MICROS,
        });
        // Allowance-funded: charged 0, the tokens come out of the windows. Example 1: sonnet 1,000 in, 200 out.
        const web = await authorize(a.id, { app: 'web', model: 'claude-sonnet-4-5' });
        const settled = await settle(web.body.id, { input_tokens: 1000, output_tokens: 200 });
        assert.deepEqual(pick(settled.body, ['status', 'charged_micros', 'allowance_tokens', 'cost_micros']), {
          status: 'settled',
          charged_micros: 0,
          allowance_tokens: 1200,
          cost_micros: 6000,
        });
      });

      it('POST /v1/authorizations/{id}/release → 200 {id, status: "released"}; the hold is gone', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const held = await authorize(a.id);
        const r = await release(held.body.id);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(pick(r.body, ['id', 'status']), { id: held.body.id, status: 'released' });
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
        assert.deepEqual(pick(eu.body, ['held_micros', 'spent_this_cycle_micros']), { held_micros: 0, spent_this_cycle_micros: 0 });
      });

      it('POST /v1/usage-events → a result per event: recorded, duplicate, or its own error', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const event = (id: string, account_id = a.id) => ({
          id,
          account_id,
          app: 'claude-code',
          model: 'claude-sonnet-4-5',
          usage: { input_tokens: 1000, output_tokens: 200 },
          timestamp: '2026-11-02T08:30:00Z',
        });
        const r = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event('e1'), event('e1'), event('e2', 'acct_missing')] } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(
          r.body.data.map((d: { id: string; status: string }) => [d.id, d.status]),
          [
            ['e1', 'recorded'],
            ['e1', 'duplicate'],
            ['e2', 'error'],
          ],
        );
        assert.deepEqual(pick(r.body.data[0].usage_record, ['cost_micros', 'charged_micros']), { cost_micros: 6000, charged_micros: 6000 });
        assert.deepEqual(r.body.data[0].usage_record.funding, { source: 'extra_usage', reason: 'third_party_extra_usage_only' });
        assert.equal(r.body.data[1].usage_record.id, r.body.data[0].usage_record.id);
        assert.equal(r.body.data[2].error.type, 'not_found');
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
        assert.equal(eu.body.spent_this_cycle_micros, 6000, 'charged once');
      });

      it('GET usage, usage-records, transactions and events → history with cost_micros and the funding receipt', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        await settle((await authorize(a.id)).body.id);
        const usage = await call('GET', `/v1/accounts/${a.id}/usage?granularity=day&group_by=source`, { token: a.owner.token });
        assert.equal(usage.status, 200, usage.text);
        assert.deepEqual(
          usage.body.buckets.map((b: Record<string, unknown>) => pick(b, ['start', 'group', 'requests', 'cost_micros', 'extra_usage_micros'])),
          [{ start: '2026-11-02', group: 'extra_usage', requests: 1, cost_micros: OPUS_HOLD_MICROS, extra_usage_micros: OPUS_HOLD_MICROS }],
        );
        assert.deepEqual(usage.body.totals, { requests: 1, cost_micros: OPUS_HOLD_MICROS, extra_usage_micros: OPUS_HOLD_MICROS, allowance_tokens: 0 });
        const monthly = await call('GET', `/v1/accounts/${a.id}/usage?granularity=month&group_by=model&from=2026-10-01&to=2026-11-30`, {
          token: a.owner.token,
        });
        assert.equal(monthly.status, 200, monthly.text);
        assert.deepEqual(
          monthly.body.buckets.map((b: Record<string, unknown>) => [b.start, b.group]),
          [['2026-11-01', 'claude-opus-4-5']],
        );

        const records = await call('GET', `/v1/accounts/${a.id}/usage-records`, { token: a.owner.token });
        assert.equal(records.status, 200);
        assert.deepEqual(pick(records.body.data[0], ['app', 'model', 'price_version', 'funding', 'cost_micros', 'charged_micros']), {
          app: 'claude-code',
          model: 'claude-opus-4-5',
          price_version: 'price_opus_4_5_v1',
          funding: { source: 'extra_usage', reason: 'third_party_extra_usage_only' },
          cost_micros: OPUS_HOLD_MICROS,
          charged_micros: OPUS_HOLD_MICROS,
        });

        const tx = await call('GET', `/v1/accounts/${a.id}/transactions?limit=1`, { token: a.owner.token });
        assert.equal(tx.status, 200, tx.text);
        assert.deepEqual(pick(tx.body.data[0], ['kind', 'amount_micros']), { kind: 'usage', amount_micros: -OPUS_HOLD_MICROS });
        assert.notEqual(tx.body.next_before, null, 'paged');
        const older = await call('GET', `/v1/accounts/${a.id}/transactions?limit=1&before=${tx.body.next_before}`, { token: a.owner.token });
        assert.deepEqual(pick(older.body.data[0], ['kind', 'amount_micros']), { kind: 'purchase', amount_micros: 20_000_000 });
        assertMicrosIntegers([usage.body, records.body, tx.body, older.body]);

        const events = await call('GET', `/v1/accounts/${a.id}/events`, { token: a.owner.token });
        assert.equal(events.status, 200);
        assert.ok(events.body.data.some((e: { type: string }) => e.type === 'credits.purchased'));
      });

      it('POST /v1/accounts/{id}/grants (operator) → 201 promotional credits, shown in extra-usage', async () => {
        const a = await api.account();
        const r = await call('POST', `/v1/accounts/${a.id}/grants`, {
          token: api.operator,
          body: { amount_micros: 3_000_000, expires_at: '2027-01-01T00:00:00Z', reason: 'sorry' },
        });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(pick(r.body, ['amount_micros', 'expires_at', 'reason']), {
          amount_micros: 3_000_000,
          expires_at: '2027-01-01T00:00:00.000Z',
          reason: 'sorry',
        });
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token });
        assert.deepEqual(pick(eu.body, ['promotional_micros', 'purchased_micros', 'balance_micros']), {
          promotional_micros: 3_000_000,
          purchased_micros: 0,
          balance_micros: 3_000_000,
        });
      });

      it('tokens: POST /v1/tokens (user) and POST /v1/service-tokens (operator) → 201 with the secret once; GET lists no secret; DELETE revokes', async () => {
        const a = await api.account();
        const personal = await call('POST', '/v1/tokens', { token: a.owner.token, body: { name: 'laptop', ttl_days: 30 } });
        assert.equal(personal.status, 201, personal.text);
        assert.equal(personal.body.name, 'laptop');
        assert.equal(personal.body.expires_at, new Date(api.clock.ms + 30 * 86_400_000).toISOString());
        assert.equal((await call('GET', '/v1/me', { token: personal.body.token })).body.user.id, a.owner.id);

        const service = await call('POST', '/v1/service-tokens', { token: api.operator, body: { name: 'gateway-2' } });
        assert.equal(service.status, 201, service.text);
        assert.deepEqual(Object.keys(service.body).sort(), ['id', 'name', 'token']);
        const list = await call('GET', '/v1/service-tokens', { token: api.operator });
        assert.equal(list.status, 200);
        assert.ok(list.body.data.some((t: { id: string }) => t.id === service.body.id));
        assert.ok(!list.text.includes(service.body.token), 'the list never shows a secret');
        const revoked = await call('DELETE', `/v1/service-tokens/${service.body.id}`, { token: api.operator });
        assert.deepEqual([revoked.status, revoked.body], [200, { id: service.body.id, revoked: true }]);
      });

      it('GET /v1/me, GET /v1/accounts, DELETE /v1/sessions/current', async () => {
        const a = await api.account();
        const me = await call('GET', '/v1/me', { token: a.owner.token });
        assert.equal(me.status, 200);
        assert.deepEqual(me.body.user, { id: a.owner.id, email: a.owner.email });
        assert.deepEqual(
          me.body.accounts.map((x: { id: string; role: string }) => [x.id, x.role]),
          [[a.id, 'owner']],
        );
        const mine = await call('GET', '/v1/accounts', { token: a.owner.token });
        assert.deepEqual(
          mine.body.data.map((x: { id: string }) => x.id),
          [a.id],
        );
        const all = await call('GET', `/v1/accounts?search=${encodeURIComponent(a.id)}`, { token: api.operator });
        assert.equal(all.status, 200, all.text);
        assert.ok(all.body.data.some((x: { id: string }) => x.id === a.id));
        const out = await call('DELETE', '/v1/sessions/current', { token: a.owner.token });
        assert.deepEqual([out.status, out.body], [200, { ok: true }]);
        assertError(await call('GET', '/v1/me', { token: a.owner.token }), 401, 'unauthenticated');
      });

      it('GET and PUT /v1/catalog, GET /v1/audit (ok: true), GET /v1/audit-log', async () => {
        const catalog = await call('GET', '/v1/catalog', { token: api.service });
        assert.equal(catalog.status, 200);
        assert.ok(catalog.body.plans.some((p: { id: string }) => p.id === 'pro'));
        const opus = catalog.body.prices.find((p: { model_id: string }) => p.model_id === 'claude-opus-4-5');
        assert.deepEqual(
          pick(opus, ['input_micros_per_mtok', 'output_micros_per_mtok', 'cache_write_micros_per_mtok', 'cache_read_micros_per_mtok', 'effective_at']),
          {
            input_micros_per_mtok: 5_000_000,
            output_micros_per_mtok: 25_000_000,
            cache_write_micros_per_mtok: 6_250_000,
            cache_read_micros_per_mtok: 500_000,
            effective_at: '2025-01-01T00:00:00.000Z',
          },
        );
        const data = defaultCatalogData();
        const body = {
          plans: [...data.plans, TINY_PLAN],
          models: data.models,
          apps: data.apps,
          prices: data.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })),
        };
        const put = await call('PUT', '/v1/catalog', { token: api.operator, body });
        assert.deepEqual([put.status, put.body], [200, { ok: true }]);
        const audit = await call('GET', '/v1/audit', { token: api.operator });
        assert.equal(audit.status, 200, audit.text);
        assert.equal(audit.body.ok, true, audit.text);
        const log = await call('GET', '/v1/audit-log?limit=5', { token: api.operator });
        assert.equal(log.status, 200);
        assert.equal(log.body.data.length, 5);
        assert.ok(log.body.data.every((e: { action: string; created_at: string }) => typeof e.action === 'string' && ISO.test(e.created_at)));
      });

      it('GET /healthz, /metrics (tokenbank_ metrics), /openapi.json, /docs (HTML)', async () => {
        const health = await call('GET', '/healthz');
        assert.deepEqual([health.status, health.body], [200, { ok: true, engine: engine.name }]);
        const metrics = await call('GET', '/metrics');
        assert.equal(metrics.status, 200);
        assert.match(String(metrics.headers['content-type']), /^text\/plain/);
        for (const name of [
          'tokenbank_http_requests_total',
          'tokenbank_refusals_total',
          'tokenbank_holds_open',
          'tokenbank_ledger_commit_seconds',
          'tokenbank_meter_queue_depth',
        ]) {
          assert.ok(metrics.text.includes(`# TYPE ${name}`), `/metrics has ${name}`);
        }
        const doc = await call('GET', '/openapi.json');
        assert.equal(doc.status, 200);
        assert.match(doc.body.openapi, /^3\./);
        assert.ok(doc.body.paths['/v1/authorizations']);
        const docs = await call('GET', '/docs');
        assert.equal(docs.status, 200);
        assert.match(String(docs.headers['content-type']), /text\/html/);
        assert.match(docs.text, /<html/i);
      });
    });

    describe('400', () => {
      let a: Awaited<ReturnType<Api['account']>>;
      let held_id: string;
      before(async () => {
        a = await api.account({ credits_micros: 20_000_000, extra_usage: true, team: true });
        held_id = (await authorize(a.id, { app: 'web' })).body.id;
      });

      const body = (over: Record<string, unknown>, drop: string[] = []) => {
        const b: Record<string, unknown> = { account_id: a.id, ...OPUS_HOLD, ...over };
        for (const k of drop) delete b[k];
        return b;
      };
      const event = (over: Record<string, unknown> = {}) => ({
        id: 'ev-1',
        account_id: a.id,
        app: 'web',
        model: 'claude-haiku-4-5',
        usage: { input_tokens: 1, output_tokens: 1 },
        timestamp: '2026-11-02T08:00:00Z',
        ...over,
      });

      // [what, method, path, body, field, who]
      type Row = [string, string, () => string, () => unknown, string, ('service' | 'operator' | 'owner' | 'none')?, Record<string, string>?];
      const rows: Row[] = [
        ['authorize: unknown field', 'POST', () => '/v1/authorizations', () => body({ colour: 'red' }), 'colour'],
        ['authorize: "5" instead of 5', 'POST', () => '/v1/authorizations', () => body({ input_tokens: '5' }), 'input_tokens'],
        ['authorize: negative', 'POST', () => '/v1/authorizations', () => body({ input_tokens: -1 }), 'input_tokens'],
        ['authorize: fractional', 'POST', () => '/v1/authorizations', () => body({ input_tokens: 1.5 }), 'input_tokens'],
        ['authorize: above tokens_per_request_max', 'POST', () => '/v1/authorizations', () => body({ max_output_tokens: 10_000_001 }), 'max_output_tokens'],
        ['authorize: beyond a safe integer', 'POST', () => '/v1/authorizations', () => body({ max_output_tokens: 2 ** 53 + 2 }), 'max_output_tokens'],
        ['authorize: zero max_output_tokens', 'POST', () => '/v1/authorizations', () => body({ max_output_tokens: 0 }), 'max_output_tokens'],
        ['authorize: null', 'POST', () => '/v1/authorizations', () => body({ input_tokens: null }), 'input_tokens'],
        ['authorize: missing model', 'POST', () => '/v1/authorizations', () => body({}, ['model']), 'model'],
        ['authorize: missing account_id', 'POST', () => '/v1/authorizations', () => body({}, ['account_id']), 'account_id'],
        ['authorize: unknown model', 'POST', () => '/v1/authorizations', () => body({ model: 'gpt-9' }), 'model'],
        ['authorize: unknown app', 'POST', () => '/v1/authorizations', () => body({ app: 'notepad' }), 'app'],
        ['authorize: ttl_ms above an hour', 'POST', () => '/v1/authorizations', () => body({ ttl_ms: 3_600_001 }), 'ttl_ms'],
        [
          'authorize: more tokens than the plan allows per minute',
          'POST',
          () => '/v1/authorizations',
          () => body({ max_output_tokens: 2_000_000 }),
          'max_output_tokens',
        ],
        [
          'authorize: an Idempotency-Key over 255 characters',
          'POST',
          () => '/v1/authorizations',
          () => body({}),
          'Idempotency-Key',
          'service',
          { 'idempotency-key': 'k'.repeat(256) },
        ],
        ['authorize: a JSON array', 'POST', () => '/v1/authorizations', () => [body({})], 'body'],
        [
          'settle: a cache count that is not a number',
          'POST',
          () => `/v1/authorizations/${held_id}/settle`,
          () => ({ input_tokens: 1, output_tokens: 1, cache_read_input_tokens: '2' }),
          'cache_read_input_tokens',
        ],
        ['settle: missing output_tokens', 'POST', () => `/v1/authorizations/${held_id}/settle`, () => ({ input_tokens: 1 }), 'output_tokens'],
        [
          'settle: negative cache read',
          'POST',
          () => `/v1/authorizations/${held_id}/settle`,
          () => ({ input_tokens: 1, output_tokens: 1, cache_read_input_tokens: -1 }),
          'cache_read_input_tokens',
        ],
        [
          'settle: "200" instead of 200',
          'POST',
          () => `/v1/authorizations/${held_id}/settle`,
          () => ({ input_tokens: 1, output_tokens: '200' }),
          'output_tokens',
        ],
        [
          'usage-events: more than 1,000',
          'POST',
          () => '/v1/usage-events',
          () => ({ events: Array.from({ length: 1001 }, (_, i) => event({ id: `big-${i}` })) }),
          'events',
        ],
        ['usage-events: none', 'POST', () => '/v1/usage-events', () => ({ events: [] }), 'events'],
        [
          'usage-events: fractional tokens',
          'POST',
          () => '/v1/usage-events',
          () => ({ events: [event(), event({ id: 'ev-2', usage: { input_tokens: 1.5, output_tokens: 1 } })] }),
          'events[1].usage.input_tokens',
        ],
        ['usage-events: unknown field in an event', 'POST', () => '/v1/usage-events', () => ({ events: [event({ price: 1 })] }), 'events[0].price'],
        ['usage-events: bad timestamp', 'POST', () => '/v1/usage-events', () => ({ events: [event({ timestamp: 'yesterday' })] }), 'events[0].timestamp'],
        [
          'credits: below the $5 minimum',
          'POST',
          () => `/v1/accounts/${a.id}/extra-usage/credits`,
          () => ({ amount_micros: 4_999_999 }),
          'amount_micros',
          'owner',
          { 'idempotency-key': 'k-small' },
        ],
        [
          'credits: above the $2,500 maximum',
          'POST',
          () => `/v1/accounts/${a.id}/extra-usage/credits`,
          () => ({ amount_micros: 2_500_000_001 }),
          'amount_micros',
          'owner',
          { 'idempotency-key': 'k-big' },
        ],
        [
          'credits: "20000000" instead of a number',
          'POST',
          () => `/v1/accounts/${a.id}/extra-usage/credits`,
          () => ({ amount_micros: '20000000' }),
          'amount_micros',
          'owner',
          { 'idempotency-key': 'k-str' },
        ],
        [
          'credits: dollars as a float',
          'POST',
          () => `/v1/accounts/${a.id}/extra-usage/credits`,
          () => ({ amount_micros: 20.5 }),
          'amount_micros',
          'owner',
          { 'idempotency-key': 'k-float' },
        ],
        [
          'credits: no Idempotency-Key',
          'POST',
          () => `/v1/accounts/${a.id}/extra-usage/credits`,
          () => ({ amount_micros: 20_000_000 }),
          'Idempotency-Key',
          'owner',
        ],
        [
          'credits: unknown payment method',
          'POST',
          () => `/v1/accounts/${a.id}/extra-usage/credits`,
          () => ({ amount_micros: 20_000_000, payment_method_id: 'pm_nope' }),
          'payment_method_id',
          'owner',
          { 'idempotency-key': 'k-pm' },
        ],
        [
          'extra-usage: negative limit',
          'PATCH',
          () => `/v1/accounts/${a.id}/extra-usage`,
          () => ({ monthly_spend_limit_micros: -1 }),
          'monthly_spend_limit_micros',
          'owner',
        ],
        [
          'extra-usage: fractional limit',
          'PATCH',
          () => `/v1/accounts/${a.id}/extra-usage`,
          () => ({ monthly_spend_limit_micros: 1.5 }),
          'monthly_spend_limit_micros',
          'owner',
        ],
        ['extra-usage: "yes" for a boolean', 'PATCH', () => `/v1/accounts/${a.id}/extra-usage`, () => ({ enabled: 'yes' }), 'enabled', 'owner'],
        [
          'extra-usage: reload amount below the minimum purchase',
          'PATCH',
          () => `/v1/accounts/${a.id}/extra-usage`,
          () => ({ auto_reload: { amount_micros: 1_000_000 } }),
          'auto_reload.amount_micros',
          'owner',
        ],
        [
          'extra-usage: reload on without amount and threshold',
          'PATCH',
          () => `/v1/accounts/${a.id}/extra-usage`,
          () => ({ auto_reload: { enabled: true } }),
          'auto_reload',
          'owner',
        ],
        [
          'extra-usage: unknown nested field',
          'PATCH',
          () => `/v1/accounts/${a.id}/extra-usage`,
          () => ({ auto_reload: { when: 'low' } }),
          'auto_reload.when',
          'owner',
        ],
        [
          'accounts: unknown plan',
          'POST',
          () => '/v1/accounts',
          () => ({ name: 'X', plan: 'platinum', owner_email: email('x'), owner_password: PASSWORD }),
          'plan',
          'operator',
        ],
        [
          'accounts: not an email',
          'POST',
          () => '/v1/accounts',
          () => ({ name: 'X', plan: 'pro', owner_email: 'not-an-email', owner_password: PASSWORD }),
          'owner_email',
          'operator',
        ],
        [
          'accounts: missing name',
          'POST',
          () => '/v1/accounts',
          () => ({ plan: 'pro', owner_email: email('x'), owner_password: PASSWORD }),
          'name',
          'operator',
        ],
        [
          'accounts: zero seats',
          'POST',
          () => '/v1/accounts',
          () => ({ name: 'X', plan: 'team', owner_email: email('x'), owner_password: PASSWORD, seats: 0 }),
          'seats',
          'operator',
        ],
        [
          'accounts: short password',
          'POST',
          () => '/v1/accounts',
          () => ({ name: 'X', plan: 'pro', owner_email: email('x'), owner_password: 'short' }),
          'owner_password',
          'operator',
        ],
        ['subscription: missing plan', 'PUT', () => `/v1/accounts/${a.id}/subscription`, () => ({ seats: 2 }), 'plan', 'owner'],
        ['subscription: seats on a one-seat plan', 'PUT', () => `/v1/accounts/${a.id}/subscription`, () => ({ plan: 'pro', seats: 2 }), 'seats', 'owner'],
        ['members: unknown role', 'POST', () => `/v1/accounts/${a.id}/members`, () => ({ email: email('m'), role: 'admin' }), 'role', 'owner'],
        ['payment-methods: unknown provider token', 'POST', () => `/v1/accounts/${a.id}/payment-methods`, () => ({ token: 'tok_unknown' }), 'token', 'owner'],
        [
          'payment-methods: a card number',
          'POST',
          () => `/v1/accounts/${a.id}/payment-methods`,
          () => ({ token: 'tok_visa', number: '4242424242424242' }),
          'number',
          'owner',
        ],
        ['grants: zero', 'POST', () => `/v1/accounts/${a.id}/grants`, () => ({ amount_micros: 0 }), 'amount_micros', 'operator'],
        [
          'grants: expiring in the past',
          'POST',
          () => `/v1/accounts/${a.id}/grants`,
          () => ({ amount_micros: 1_000_000, expires_at: '2020-01-01T00:00:00Z' }),
          'expires_at',
          'operator',
        ],
        ['sessions: missing password', 'POST', () => '/v1/sessions', () => ({ email: a.owner.email }), 'password', 'none'],
        ['sessions: email as a number', 'POST', () => '/v1/sessions', () => ({ email: 5, password: PASSWORD }), 'email', 'none'],
        ['tokens: ttl_days above a year', 'POST', () => '/v1/tokens', () => ({ ttl_days: 366 }), 'ttl_days', 'owner'],
        ['service-tokens: empty name', 'POST', () => '/v1/service-tokens', () => ({ name: '' }), 'name', 'operator'],
        ['catalog: missing plans', 'PUT', () => '/v1/catalog', () => ({ models: [], prices: [], apps: [] }), 'plans', 'operator'],
        ['usage: granularity=week', 'GET', () => `/v1/accounts/${a.id}/usage?granularity=week`, () => undefined, 'querystring.granularity', 'owner'],
        ['usage: group_by=colour', 'GET', () => `/v1/accounts/${a.id}/usage?group_by=colour`, () => undefined, 'querystring.group_by', 'owner'],
        ['usage: a date that is not a date', 'GET', () => `/v1/accounts/${a.id}/usage?from=2026-13-45`, () => undefined, 'querystring.from', 'owner'],
        ['usage: from after to', 'GET', () => `/v1/accounts/${a.id}/usage?from=2026-11-02&to=2026-11-01`, () => undefined, 'from', 'owner'],
        ['usage: a range longer than 400 days', 'GET', () => `/v1/accounts/${a.id}/usage?from=2024-01-01&to=2026-11-01`, () => undefined, 'from', 'owner'],
        ['transactions: limit=abc', 'GET', () => `/v1/accounts/${a.id}/transactions?limit=abc`, () => undefined, 'querystring.limit', 'owner'],
        ['transactions: limit above the page size', 'GET', () => `/v1/accounts/${a.id}/transactions?limit=501`, () => undefined, 'limit', 'owner'],
        ['transactions: unknown query parameter', 'GET', () => `/v1/accounts/${a.id}/transactions?sort=asc`, () => undefined, 'querystring.sort', 'owner'],
      ];

      for (const [what, method, path, make, field, who = 'service', headers] of rows) {
        it(`${method} ${what} → 400 invalid_request naming "${field}"`, async () => {
          const token = who === 'none' ? undefined : who === 'service' ? api.service : who === 'operator' ? api.operator : a.owner.token;
          const payload = make();
          const r = await call(method, path(), { token, ...(payload !== undefined ? { body: payload } : {}), ...(headers ? { headers } : {}) });
          const e = assertError(r, 400, 'invalid_request', { field });
          assert.ok(e.message.includes(field), `the message names ${field}: ${e.message}`);
        });
      }

      it("an amount past its bound is said in dollars too: the schema's bound and the validator's", async () => {
        const schema = await call('PATCH', `/v1/accounts/${a.id}/extra-usage`, {
          token: a.owner.token,
          body: { monthly_spend_limit_micros: 2_000_000_000_000 },
        });
        const e = assertError(schema, 400, 'invalid_request', { field: 'monthly_spend_limit_micros' });
        assert.match(e.message, /must be <= 1000000000000 \(\$1,000,000\.00\)/);
        const refund = await call('POST', `/v1/accounts/${a.id}/refunds`, { token: a.owner.token, body: { amount_micros: 0 } });
        const r = assertError(refund, 400, 'invalid_request', { field: 'amount_micros' });
        assert.match(r.message, /must be >= 1 \(\$0\.000001\)/);
      });

      it('a non-JSON content type → 415 (form) or 400 (text), JSON-only', async () => {
        const form = await call('POST', '/v1/authorizations', {
          token: api.service,
          payload: `account_id=${a.id}&input_tokens=5`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assertError(form, 415, 'invalid_request', { field: 'content-type' });
        const text = await call('POST', '/v1/authorizations', { token: api.service, payload: 'hello', headers: { 'content-type': 'text/plain' } });
        assert.ok([400, 415].includes(text.status), text.text);
        assert.equal(text.body.error.type, 'invalid_request');
      });

      it('malformed JSON → 400 naming the body; an oversized body → 413', async () => {
        assertError(
          await call('POST', '/v1/authorizations', { token: api.service, payload: '{"account_id":', headers: { 'content-type': 'application/json' } }),
          400,
          'invalid_request',
          { field: 'body' },
        );
        assertError(await call('POST', '/v1/authorizations', { token: api.service }), 400, 'invalid_request', { field: 'body' });
        const huge = JSON.stringify({ events: [{ id: 'x'.repeat(1_100_000) }] });
        assertError(
          await call('POST', '/v1/usage-events', { token: api.service, payload: huge, headers: { 'content-type': 'application/json' } }),
          413,
          'invalid_request',
          { field: 'body' },
        );
      });

      it('none of the refused requests reached the ledger', async () => {
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
        assert.deepEqual(pick(eu.body, ['balance_micros', 'held_micros', 'spent_this_cycle_micros', 'monthly_spend_limit_micros', 'auto_reload']), {
          balance_micros: 20_000_000,
          held_micros: 0,
          spent_this_cycle_micros: 0,
          monthly_spend_limit_micros: 50_000_000,
          auto_reload: { enabled: false, amount_micros: null, threshold_micros: null, last_event: null },
        });
        const tx = await call('GET', `/v1/accounts/${a.id}/transactions`, { token: api.operator });
        assert.deepEqual(
          tx.body.data.map((t: { kind: string }) => t.kind),
          ['purchase'],
        );
        const records = await call('GET', `/v1/accounts/${a.id}/usage-records`, { token: api.operator });
        assert.deepEqual(records.body.data, []);
        const held = await call('GET', `/v1/authorizations/${held_id}`, { token: api.operator });
        assert.equal(held.body.status, 'held', 'the bad settlements did not touch the hold');
      });
    });

    describe('401', () => {
      const routes: Array<[string, string, unknown?]> = [
        ['DELETE', '/v1/sessions/current'],
        ['GET', '/v1/me'],
        ['POST', '/v1/tokens', {}],
        ['POST', '/v1/service-tokens', { name: 'x' }],
        ['GET', '/v1/service-tokens'],
        ['DELETE', '/v1/service-tokens/tok_x'],
        ['POST', '/v1/accounts', { name: 'X', plan: 'pro', owner_email: 'a@example.com' }],
        ['GET', '/v1/accounts'],
        ['GET', '/v1/accounts/acct_x'],
        ['PUT', '/v1/accounts/acct_x/subscription', { plan: 'pro' }],
        ['DELETE', '/v1/accounts/acct_x/subscription'],
        ['GET', '/v1/accounts/acct_x/members'],
        ['POST', '/v1/accounts/acct_x/members', { email: 'a@example.com', role: 'member' }],
        ['POST', '/v1/accounts/acct_x/payment-methods', { token: 'tok_visa' }],
        ['GET', '/v1/accounts/acct_x/payment-methods'],
        ['GET', '/v1/accounts/acct_x/extra-usage'],
        ['PATCH', '/v1/accounts/acct_x/extra-usage', { enabled: true }],
        ['POST', '/v1/accounts/acct_x/extra-usage/credits', { amount_micros: 5_000_000 }],
        ['POST', '/v1/accounts/acct_x/grants', { amount_micros: 5_000_000 }],
        ['GET', '/v1/accounts/acct_x/usage'],
        ['GET', '/v1/accounts/acct_x/usage-records'],
        ['GET', '/v1/accounts/acct_x/transactions'],
        ['GET', '/v1/accounts/acct_x/events'],
        ['POST', '/v1/authorizations', { account_id: 'acct_x', ...OPUS_HOLD }],
        ['GET', '/v1/authorizations/auth_x'],
        ['POST', '/v1/authorizations/auth_x/settle', { input_tokens: 1, output_tokens: 1 }],
        ['POST', '/v1/authorizations/auth_x/release'],
        [
          'POST',
          '/v1/usage-events',
          {
            events: [
              {
                id: 'e',
                account_id: 'acct_x',
                app: 'web',
                model: 'claude-haiku-4-5',
                usage: { input_tokens: 1, output_tokens: 1 },
                timestamp: '2026-11-02T08:00:00Z',
              },
            ],
          },
        ],
        ['GET', '/v1/catalog'],
        ['PUT', '/v1/catalog', { plans: [], models: [], prices: [], apps: [] }],
        ['GET', '/v1/audit'],
        ['GET', '/v1/audit-log'],
      ];
      for (const [method, path, body] of routes) {
        it(`${method} ${path} without a token → 401 unauthenticated; with an unknown token → 401`, async () => {
          const opts = body === undefined ? {} : { body };
          assertError(await call(method, path, opts), 401, 'unauthenticated');
          assertError(await call(method, path, { ...opts, token: 'tbs_this-token-was-never-issued' }), 401, 'unauthenticated');
        });
      }

      it('POST /v1/sessions with a wrong password or an unknown email → 401, the same message for both', async () => {
        const a = await api.account();
        const wrong = assertError(await call('POST', '/v1/sessions', { body: { email: a.owner.email, password: 'wrong password' } }), 401, 'unauthenticated');
        const unknown = assertError(await call('POST', '/v1/sessions', { body: { email: email('nobody'), password: PASSWORD } }), 401, 'unauthenticated');
        assert.equal(wrong.message, unknown.message, 'the answer does not reveal which emails exist');
      });

      it('a malformed Authorization header or a too-short token → 401', async () => {
        assertError(await call('GET', '/v1/me', { token: 'short' }), 401, 'unauthenticated');
        assertError(await call('GET', '/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'unauthenticated');
      });
    });

    describe('402', () => {
      it('spend_limit_reached: figures limit, spent, held, required, resets_at; the message says raise the limit or wait', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: 200_000 });
        const first = await authorize(a.id);
        assert.equal(first.status, 201); // 105,000 of 200,000 held
        const e = assertError(await authorize(a.id), 402, 'spend_limit_reached', {
          limit_micros: 200_000,
          spent_micros: 0,
          held_micros: OPUS_HOLD_MICROS,
          required_micros: OPUS_HOLD_MICROS,
          resets_at: '2026-12-02T09:00:00.000Z',
        });
        assert.match(e.message, /Raise the limit or wait until 2026-12-02/);
        // After settling, spent counts: 105,000 + 105,000 > 200,000 still.
        await settle(first.body.id);
        assertError(await authorize(a.id), 402, 'spend_limit_reached', { spent_micros: OPUS_HOLD_MICROS, held_micros: 0 });
      });

      it('plan_required: a Free account using a third-party app, or buying credits', async () => {
        const a = await api.account({ plan: 'free', card: 'tok_visa' });
        const e = assertError(await authorize(a.id), 402, 'plan_required', { plan: 'free' });
        assert.match(e.message, /Upgrade/);
        const buy = assertError(
          await call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, {
            token: a.owner.token,
            body: { amount_micros: 5_000_000 },
            headers: { 'idempotency-key': 'free-1' },
          }),
          402,
          'plan_required',
          { plan: 'free' },
        );
        assert.match(buy.message, /upgrade the plan/);
      });

      it('extra_usage_required: a third-party app while extra usage is off, even with allowance left', async () => {
        const a = await api.account({ credits_micros: 20_000_000 });
        const e = assertError(await authorize(a.id), 402, 'extra_usage_required', {
          app: 'claude-code',
          extra_usage_enabled: false,
          balance_micros: 20_000_000,
        });
        assert.match(e.message, /Turn on extra usage/);
      });

      it('allowance_exhausted: a first-party request the allowance cannot cover, with resets_at', async () => {
        const a = await api.account();
        const e = assertError(await authorize(a.id, { app: 'web', max_output_tokens: 600_000 }), 402, 'allowance_exhausted', {
          allowance_tokens_required: 601_000,
          allowance_tokens_left: 500_000,
          extra_usage_enabled: false,
        });
        assert.match(e.resets_at, ISO);
        assert.match(e.message, /Turn on extra usage/);
      });

      it('insufficient_balance: the hold is more than the available balance; the message says add credits', async () => {
        const a = await api.account({ credits_micros: 5_000_000, extra_usage: true });
        // opus 1,000 in + 200,000 max out = 5,000 + 5,000,000 = 5,005,000 > $5.
        const e = assertError(await authorize(a.id, { max_output_tokens: 200_000 }), 402, 'insufficient_balance', {
          balance_micros: 5_000_000,
          held_micros: 0,
          available_micros: 5_000_000,
          required_micros: 5_005_000,
        });
        assert.match(e.message, /Add credits/);
      });

      it('a refusal records nothing under its Idempotency-Key: the same key, after credits are added, places the hold (then replays it)', async () => {
        const a = await api.account({ credits_micros: 5_000_000, extra_usage: true });
        const key = { 'idempotency-key': 'after-topping-up' };
        assertError(await authorize(a.id, { max_output_tokens: 200_000 }, key), 402, 'insufficient_balance');
        const bought = await call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, { token: a.owner.token, body: { amount_micros: 5_000_000 }, headers: { 'idempotency-key': 'top-up' } });
        assert.equal(bought.status, 201, bought.text);
        const placed = await authorize(a.id, { max_output_tokens: 200_000 }, key);
        assert.equal(placed.status, 201, placed.text);
        assert.equal(placed.body.funding.held_micros, 5_005_000);
        const replay = await authorize(a.id, { max_output_tokens: 200_000 }, key);
        assert.equal(replay.body.id, placed.body.id, 'from now on the key answers the hold it placed');
      });

      it('negative_balance: a settlement above its hold takes the balance below zero; new holds wait until it is paid back', async () => {
        const a = await api.account({ credits_micros: 5_000_000, extra_usage: true });
        const held = await authorize(a.id);
        const over = await settle(held.body.id, { input_tokens: 1000, output_tokens: 400_000 }); // 5,000 + 10,000,000
        assert.equal(over.status, 200, over.text);
        assert.equal(over.body.charged_micros, 10_005_000, 'charged in full');
        const e = assertError(await authorize(a.id), 402, 'negative_balance', { balance_micros: -5_005_000, owed_micros: 5_005_000 });
        assert.match(e.message, /Add at least \$5\.01/);
      });

      it('daily_cap_reached: $1,500 then $600 on one UTC day (example 12), with resets_at', async () => {
        const a = await api.account({ card: 'tok_visa' });
        const buy = (amount_micros: number, key: string) =>
          call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, { token: a.owner.token, body: { amount_micros }, headers: { 'idempotency-key': key } });
        assert.equal((await buy(1_500_000_000, 'cap-1')).status, 201);
        const e = assertError(await buy(600_000_000, 'cap-2'), 402, 'daily_cap_reached', {
          redeemed_today_micros: 1_500_000_000,
          daily_cap_micros: 2_000_000_000,
          requested_micros: 600_000_000,
          resets_at: '2026-11-03T00:00:00.000Z',
        });
        assert.match(e.message, /Add at most \$500/);
      });

      it('card_declined: tok_chargeDeclined attaches but the charge fails; nothing is credited', async () => {
        const a = await api.account();
        assert.equal((await call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: a.owner.token, body: { token: 'tok_chargeDeclined' } })).status, 201);
        const e = assertError(
          await call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, {
            token: a.owner.token,
            body: { amount_micros: 20_000_000 },
            headers: { 'idempotency-key': 'declined-1' },
          }),
          402,
          'card_declined',
          { amount_micros: 20_000_000 },
        );
        assert.match(e.message, /Use another card/);
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token });
        assert.equal(eu.body.balance_micros, 0);
      });

      it('insufficient_funds and expired_card: each card refusal has its own type', async () => {
        for (const [token, type] of [
          ['tok_insufficientFunds', 'insufficient_funds'],
          ['tok_expiredCard', 'expired_card'],
        ] as const) {
          const a = await api.account({ card: token });
          assertError(
            await call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, {
              token: a.owner.token,
              body: { amount_micros: 5_000_000 },
              headers: { 'idempotency-key': `k-${token}` },
            }),
            402,
            type,
          );
        }
      });

      it('refusals are counted by type in /metrics', async () => {
        const metrics = await call('GET', '/metrics');
        assert.match(metrics.text, /tokenbank_refusals_total\{type="spend_limit_reached"\} \d+/);
      });
    });

    describe('403', () => {
      it('a member may read but not change money settings; the error names the role needed', async () => {
        const a = await api.account({ team: true });
        assert.equal((await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.member!.token })).status, 200);
        assertError(await call('PATCH', `/v1/accounts/${a.id}/extra-usage`, { token: a.member!.token, body: { enabled: true } }), 403, 'forbidden', {
          role: 'member',
          required_role: 'billing',
        });
        assertError(
          await call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, {
            token: a.member!.token,
            body: { amount_micros: 5_000_000 },
            headers: { 'idempotency-key': 'm-1' },
          }),
          403,
          'forbidden',
          { role: 'member', required_role: 'billing' },
        );
      });

      it('billing changes money settings but not the subscription or members (owner)', async () => {
        const a = await api.account({ team: true });
        assertError(await call('PUT', `/v1/accounts/${a.id}/subscription`, { token: a.billing!.token, body: { plan: 'max' } }), 403, 'forbidden', {
          role: 'billing',
          required_role: 'owner',
        });
        assertError(
          await call('POST', `/v1/accounts/${a.id}/members`, { token: a.billing!.token, body: { email: email('m'), role: 'member' } }),
          403,
          'forbidden',
        );
      });

      it('a service token makes metering calls only', async () => {
        const a = await api.account();
        assertError(await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.service }), 403, 'forbidden');
        assertError(
          await call('POST', '/v1/accounts', { token: api.service, body: { name: 'X', plan: 'pro', owner_email: email('x'), owner_password: PASSWORD } }),
          403,
          'forbidden',
        );
      });

      it('users make no metering calls and no operator calls; the operator has no personal tokens', async () => {
        const a = await api.account();
        assertError(await call('POST', '/v1/authorizations', { token: a.owner.token, body: { account_id: a.id, ...OPUS_HOLD } }), 403, 'forbidden');
        assertError(await call('PUT', '/v1/catalog', { token: a.owner.token, body: { plans: [], models: [], prices: [], apps: [] } }), 403, 'forbidden');
        assertError(await call('POST', `/v1/accounts/${a.id}/grants`, { token: a.owner.token, body: { amount_micros: 5_000_000 } }), 403, 'forbidden');
        assertError(await call('GET', '/v1/audit', { token: a.owner.token }), 403, 'forbidden');
        assertError(await call('POST', '/v1/tokens', { token: api.operator, body: {} }), 403, 'forbidden');
      });

      it('a cookie-authenticated change from another origin (site, scheme or port) → 403; from our own scheme, host and port it passes', async () => {
        const a = await api.account();
        const patch = (origin: string) =>
          call('PATCH', `/v1/accounts/${a.id}/extra-usage`, {
            cookies: { tb_session: a.owner.token },
            body: { enabled: false },
            headers: { origin, host: 'tokenbank.test' },
          });
        assertError(await patch('https://evil.example'), 403, 'forbidden');
        assertError(await patch('null'), 403, 'forbidden');
        assertError(await patch('https://tokenbank.test'), 403, 'forbidden');
        assertError(await patch('http://tokenbank.test:8443'), 403, 'forbidden');
        assert.equal((await patch('http://tokenbank.test')).status, 200);
      });
    });

    describe('404', () => {
      it('a user asking for an account they do not belong to gets 404 and none of its data', async () => {
        const mine = await api.account();
        const theirs = await api.account({ credits_micros: 20_000_000 });
        for (const path of ['', '/extra-usage', '/usage', '/transactions', '/usage-records', '/events', '/members']) {
          const r = await call('GET', `/v1/accounts/${theirs.id}${path}`, { token: mine.owner.token });
          assertError(r, 404, 'not_found', { id: theirs.id });
          assert.ok(!r.text.includes('20000000') && !r.text.includes(theirs.owner.email), `no data leaks from ${path}`);
        }
        // The same answer as for an account that does not exist at all.
        const ghost = assertError(await call('GET', '/v1/accounts/acct_ghost', { token: mine.owner.token }), 404, 'not_found');
        assert.equal(ghost.message, `account acct_ghost was not found`);
      });

      it('unknown account (operator), unknown authorization, unknown service token, unknown route', async () => {
        assertError(await call('GET', '/v1/accounts/acct_ghost/extra-usage', { token: api.operator }), 404, 'not_found', { id: 'acct_ghost' });
        assertError(await call('POST', '/v1/accounts/acct_ghost/payment-methods', { token: api.operator, body: { token: 'tok_visa' } }), 404, 'not_found');
        assertError(await authorize('acct_ghost'), 404, 'not_found', { id: 'acct_ghost' });
        assertError(await settle('auth_ghost'), 404, 'not_found', { id: 'auth_ghost' });
        assertError(await release('auth_ghost'), 404, 'not_found', { id: 'auth_ghost' });
        assertError(await call('GET', '/v1/authorizations/auth_ghost', { token: api.service }), 404, 'not_found');
        assertError(await call('DELETE', '/v1/service-tokens/tok_ghost', { token: api.operator }), 404, 'not_found');
        assertError(await call('GET', '/v1/nothing-here', { token: api.operator }), 404, 'not_found');
      });

      it("a user reading another account's authorization gets 404", async () => {
        const mine = await api.account();
        const theirs = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const held = await authorize(theirs.id);
        assertError(await call('GET', `/v1/authorizations/${held.body.id}`, { token: mine.owner.token }), 404, 'not_found');
      });
    });

    describe('409', () => {
      it('POST /v1/authorizations: the same Idempotency-Key with a different body → 409 idempotency_conflict', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const first = await authorize(a.id, {}, { 'idempotency-key': 'same-key' });
        assert.equal(first.status, 201);
        const e = assertError(await authorize(a.id, { input_tokens: 1001 }, { 'idempotency-key': 'same-key' }), 409, 'idempotency_conflict', {
          authorization_id: first.body.id,
        });
        assert.match(e.message, /Use a new key/);
        const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
        assert.equal(eu.body.held_micros, OPUS_HOLD_MICROS, 'one hold');
      });

      it('credits: the same Idempotency-Key with a different amount → 409, nothing charged', async () => {
        const a = await api.account({ card: 'tok_visa' });
        const buy = (amount_micros: number) =>
          call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, {
            token: a.owner.token,
            body: { amount_micros },
            headers: { 'idempotency-key': 'buy-once' },
          });
        const first = await buy(10_000_000);
        assert.equal(first.status, 201);
        assertError(await buy(20_000_000), 409, 'idempotency_conflict', { purchase_id: first.body.transaction_id });
        assert.equal((await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token })).body.balance_micros, 10_000_000);
      });

      it('settle: a second settlement with different usage → 409 idempotency_conflict; the first stands', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const held = await authorize(a.id);
        assert.equal((await settle(held.body.id)).status, 200);
        assertError(await settle(held.body.id, { input_tokens: 1000, output_tokens: 1 }), 409, 'idempotency_conflict', {
          authorization_id: held.body.id,
          charged_micros: OPUS_HOLD_MICROS,
        });
      });

      it('settle after release and release after settle → 409 conflict with the status', async () => {
        const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
        const released = await authorize(a.id);
        await release(released.body.id);
        const e = assertError(await settle(released.body.id), 409, 'conflict', { authorization_id: released.body.id, status: 'released' });
        assert.match(e.message, /POST \/v1\/usage-events/);
        const settled = await authorize(a.id);
        await settle(settled.body.id);
        assertError(await release(settled.body.id), 409, 'conflict', { authorization_id: settled.body.id, status: 'settled' });
      });

      it('members: a Team account with every seat taken → 409 conflict', async () => {
        const a = await api.account({ plan: 'team', seats: 1 });
        const e = assertError(
          await call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: email('m'), role: 'member' } }),
          409,
          'conflict',
          { seats: 1, members: 1 },
        );
        assert.match(e.message, /Add seats/);
      });
    });

    describe('429', () => {
      it("past the plan's requests per minute → 429 rate_limited with Retry-After", async () => {
        const a = await api.account({ plan: 'tiny', credits_micros: 20_000_000, extra_usage: true });
        for (let i = 0; i < TINY_PLAN.requests_per_minute; i += 1) assert.equal((await authorize(a.id)).status, 201);
        const r = await authorize(a.id);
        const e = assertError(r, 429, 'rate_limited', { requests_per_minute: 3 });
        const retry = Number(r.headers['retry-after']);
        assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After: ${r.headers['retry-after']}`);
        assert.equal(e.retry_after_s, retry);
        assert.match(e.message, /Retry in \d+ s/);
        // Another account on the same plan has its own budget.
        const b = await api.account({ plan: 'tiny', credits_micros: 20_000_000, extra_usage: true });
        assert.equal((await authorize(b.id)).status, 201);
      });
    });

    describe('503', () => {
      it('a full metering queue → 503 overloaded with Retry-After; nothing is held', async () => {
        // A second server on the same database whose metering queue takes nothing.
        const full = await apiHarness(api.db, { meter: { queue_ops_max: 0 } });
        try {
          const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
          const r = await full.call('POST', '/v1/authorizations', { token: full.service, body: { account_id: a.id, ...OPUS_HOLD } });
          const e = assertError(r, 503, 'overloaded', { retry_after_s: 1 });
          assert.equal(r.headers['retry-after'], '1');
          assert.match(e.message, /Retry shortly/);
          assert.equal((await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator })).body.held_micros, 0);
        } finally {
          await full.close();
        }
      });
    });
  });
}
