// The Stripe provider end to end (docs/payments.md), on both engines, against the project's fake
// Stripe (test/fixtures/fake-stripe.ts) over real HTTP through the official SDK: each outcome of a
// purchase (success, decline at the charge and at the attach, insufficient funds, the bank's
// 3-D Secure step finished by the webhook and by the confirm call, a failed authentication, a
// timeout the SDK retries with the same key: one charge), signed webhooks (good, bad, missing,
// unknown type, the same event twice applied once, a dispute), a refund through Stripe, a reload
// that needs the bank (fails, told, not retried), 500 concurrent settles crossing the reload
// threshold (one reload charge at Stripe), and a server killed with SIGKILL between Stripe's
// charge and the ledger's credit, recovered after its restart without a second charge.
// The ledger audits clean after every scenario.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAll, databaseEngines, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, type Api, type TestAccount } from '../fixtures/http';
import { FAKE_WEBHOOK_SECRET, signedEvent, startFakeStripe, type FakeStripe } from '../fixtures/fake-stripe';
import { freePort, killServer, pool, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';
import { StripePayments } from '../../src/payments/stripe';
import { limits } from '../../src/domain/limits';

after(closeAll);

const $ = (dollars: number) => Math.round(dollars * 1_000_000);
/** The SDK's time per request in these tests (limits.ts has the production figure). */
const SDK_TIMEOUT_MS = 1000;

for (const engine of databaseEngines()) {
  describe(`Stripe through the SDK against the fake Stripe (${engine.name})`, { skip: engine.skip }, () => {
    let fake: FakeStripe;
    let api: Api;
    before(async () => {
      fake = await startFakeStripe();
      const payments = new StripePayments({ secret_key: 'sk_test_fake', api_base: fake.base, timeout_ms: SDK_TIMEOUT_MS, max_network_retries: 2 });
      api = await apiHarness(await engine.open(), { start: new Date().toISOString(), payments });
    });
    after(async () => {
      await api?.close();
      await fake?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    let key_seq = 0;
    const buy = (a: TestAccount, amount_micros: number, key = `k-${++key_seq}`) =>
      api.call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, { token: a.owner.token, body: { amount_micros }, headers: { 'idempotency-key': key } });
    const balance = async (a: TestAccount) =>
      (await api.call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token })).body.balance_micros as number;
    /** What the day's purchase cap counts for the account (the wallet row; the API does not show it). */
    const redeemedToday = async (account_id: string) =>
      Number(
        (await api.db.query<{ redeemed_day_micros: number }>(`SELECT redeemed_day_micros FROM wallets WHERE account_id = $1`, [account_id]))[0]!
          .redeemed_day_micros,
      );
    const confirm = (a: TestAccount, purchase_id: string) =>
      api.call('POST', `/v1/accounts/${a.id}/extra-usage/credits/${purchase_id}/confirm`, { token: a.owner.token });
    const webhook = (type: string, object: unknown, options: { secret?: string; id?: string } = {}) => {
      const { payload, signature } = signedEvent(type, object, options);
      return api.call('POST', '/v1/webhooks/stripe', { payload, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });
    };
    const events = async (a: TestAccount) =>
      (await api.call('GET', `/v1/accounts/${a.id}/events?limit=500`, { token: a.owner.token })).body.data as Array<{ type: string; payload: any }>;
    const assertAuditClean = async () => {
      const audit = await api.call('GET', '/v1/audit', { token: api.operator });
      assert.equal(audit.body.ok, true, audit.text);
    };

    it('a card is attached to the account’s own customer from a test token; the purchase is one PaymentIntent: balance up, one charge', async () => {
      const customers = fake.customers.length;
      const a = await api.account({ card: 'tok_visa' });
      assert.equal(fake.customers.length, customers + 1, 'one customer for the account');
      assert.equal((await api.call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: a.owner.token, body: { token: 'pm_card_visa' } })).status, 201);
      assert.equal(fake.customers.length, customers + 1, 'the second card joins the same customer');
      const cards = (await api.call('GET', `/v1/accounts/${a.id}/payment-methods`, { token: a.owner.token })).body.data;
      assert.deepEqual(
        cards.map((c: { brand: string; last4: string }) => `${c.brand} ${c.last4}`),
        ['visa 4242', 'visa 4242'],
      );
      const charges = fake.charges.length;
      const r = await buy(a, $(10));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.status, 'succeeded');
      assert.equal(await balance(a), $(10));
      assert.equal(fake.charges.length, charges + 1);
      assert.equal(fake.charges.at(-1)!.amount, 1000, 'cents');
      const intent = fake.intents.get(fake.charges.at(-1)!.payment_intent)!;
      assert.equal(intent.metadata.purchase_id, r.body.transaction_id, 'the PaymentIntent names the purchase it pays for');
      await assertAuditClean();
    });

    it('declined at the charge (tok_chargeCustomerFail) → 402 card_declined saying why; nothing credited, nothing charged', async () => {
      const a = await api.account({ card: 'tok_chargeCustomerFail' });
      const charges = fake.charges.length;
      const e = assertError(await buy(a, $(10)), 402, 'card_declined');
      assert.match(e.message, /declined/i);
      assert.equal(await balance(a), 0);
      assert.equal(fake.charges.length, charges);
      await assertAuditClean();
    });

    it('insufficient funds → 402 insufficient_funds; declined at the attach (tok_chargeDeclined) → 402 card_declined and no card kept', async () => {
      const a = await api.account({ card: 'tok_chargeDeclinedInsufficientFunds' });
      assertError(await buy(a, $(10)), 402, 'insufficient_funds');
      assert.equal(await balance(a), 0);
      const b = await api.account();
      assertError(
        await api.call('POST', `/v1/accounts/${b.id}/payment-methods`, { token: b.owner.token, body: { token: 'tok_chargeDeclined' } }),
        402,
        'card_declined',
      );
      assert.equal((await api.call('GET', `/v1/accounts/${b.id}/payment-methods`, { token: b.owner.token })).body.data.length, 0);
      await assertAuditClean();
    });

    it('3-D Secure: 402 authentication_required with what the page needs; pending; the webhook completes it once; the same event twice is applied once', async () => {
      const a = await api.account({ card: 'tok_threeDSecure2Required' });
      const first = await buy(a, $(20), 'three-ds-1');
      const e = assertError(first, 402, 'authentication_required');
      assert.match(e.payment_intent_id, /^pi_/);
      assert.match(e.client_secret, /_secret_/);
      assert.match(e.next_action_url, /^http/);
      assert.equal(e.confirm_path, `/v1/accounts/${a.id}/extra-usage/credits/${e.purchase_id}/confirm`);
      assert.equal(await balance(a), 0, 'nothing credited while the bank waits');
      const creates = fake.create_calls;
      const again = assertError(await buy(a, $(20), 'three-ds-1'), 402, 'authentication_required');
      assert.equal(again.payment_intent_id, e.payment_intent_id, 'a retry answers the same payment');
      assert.equal(fake.create_calls, creates, 'and asks Stripe for nothing new');
      const charges = fake.charges.length;
      const intent = fake.authenticate(e.payment_intent_id, true);
      const event_id = `evt_3ds_${engine.name}`;
      const applied = await webhook('payment_intent.succeeded', intent, { id: event_id });
      assert.deepEqual([applied.status, applied.body], [200, { received: true, applied: true, duplicate: false }], applied.text);
      assert.equal(await balance(a), $(20));
      const twice = await webhook('payment_intent.succeeded', intent, { id: event_id });
      assert.deepEqual([twice.status, twice.body], [200, { received: true, applied: false, duplicate: true }]);
      const later = await confirm(a, e.purchase_id);
      assert.deepEqual([later.status, later.body.status], [200, 'succeeded'], later.text);
      assert.equal(await balance(a), $(20), 'credited once');
      assert.equal(fake.charges.length, charges + 1, 'charged once');
      assert.equal((await events(a)).filter((x) => x.type === 'credits.purchased').length, 1);
      await assertAuditClean();
    });

    it('3-D Secure finished by the confirm call: before the bank’s step it still waits, after it the purchase is credited; a failed authentication is declined and gives the cap back', async () => {
      const a = await api.account({ card: 'pm_card_threeDSecure2Required' });
      const e = assertError(await buy(a, $(15)), 402, 'authentication_required');
      assertError(await confirm(a, e.purchase_id), 402, 'authentication_required');
      fake.authenticate(e.payment_intent_id, true);
      const done = await confirm(a, e.purchase_id);
      assert.equal(done.status, 200, done.text);
      assert.deepEqual([done.body.transaction_id, done.body.status, done.body.balance_micros], [e.purchase_id, 'succeeded', $(15)]);
      const failed = assertError(await buy(a, $(5)), 402, 'authentication_required');
      fake.authenticate(failed.payment_intent_id, false);
      assertError(await confirm(a, failed.purchase_id), 402, 'card_declined');
      assert.equal(await balance(a), $(15));
      assert.equal(await redeemedToday(a.id), $(15), 'only the completed purchase counts against the day: the declined one gave its share back');
      assertError(await confirm(a, 'pur_nope'), 404, 'not_found');
      await assertAuditClean();
    });

    it('confirm, the webhook and the recovery job racing on one purchase the bank asked about: credited once, charged once', async () => {
      const a = await api.account({ card: 'tok_threeDSecure2Required' });
      const e = assertError(await buy(a, $(25)), 402, 'authentication_required');
      const charges = fake.charges.length;
      const intent = fake.authenticate(e.payment_intent_id, true);
      const answers = await Promise.all([
        confirm(a, e.purchase_id),
        webhook('payment_intent.succeeded', intent),
        api.tb.processPendingPurchases({ grace_ms: 0 }),
        confirm(a, e.purchase_id),
        webhook('payment_intent.succeeded', intent),
      ]);
      const [c1, w1, , c2, w2] = answers as [
        Awaited<ReturnType<typeof confirm>>,
        Awaited<ReturnType<typeof webhook>>,
        number,
        Awaited<ReturnType<typeof confirm>>,
        Awaited<ReturnType<typeof webhook>>,
      ];
      for (const c of [c1, c2]) assert.deepEqual([c.status, c.body.status], [200, 'succeeded'], c.text);
      for (const w of [w1, w2]) assert.equal(w.status, 200, w.text);
      assert.equal(await balance(a), $(25), 'credited once');
      assert.equal(fake.charges.length, charges + 1, 'charged once');
      assert.equal((await events(a)).filter((x) => x.type === 'credits.purchased').length, 1);
      await assertAuditClean();
    });

    it("an organization's API-credit purchase the bank asks about names the org's confirm path, and its billing member finishes it there", async () => {
      const admin_email = `org3ds.${engine.name}.${Date.now()}@example.com`;
      const created = await api.call('POST', '/v1/orgs', {
        token: api.operator,
        body: { name: '3DS org', admin_email, admin_password: 'correct horse battery' },
      });
      assert.equal(created.status, 201, created.text);
      const org_id = created.body.id as string;
      const admin = await api.signIn(admin_email, 'correct horse battery');
      assert.equal((await api.call('POST', `/v1/orgs/${org_id}/payment-methods`, { token: admin, body: { token: 'tok_threeDSecure2Required' } })).status, 201);
      const first = await api.call('POST', `/v1/orgs/${org_id}/credits`, {
        token: admin,
        body: { amount_micros: $(10) },
        headers: { 'idempotency-key': 'org-3ds' },
      });
      const e = assertError(first, 402, 'authentication_required');
      assert.equal(e.confirm_path, `/v1/orgs/${org_id}/credits/${e.purchase_id}/confirm`);
      assert.match(e.message, /confirm_path/);
      assertError(await api.call('POST', `/v1/orgs/${org_id}/credits/${e.purchase_id}/confirm`, { token: admin }), 402, 'authentication_required');
      fake.authenticate(e.payment_intent_id, true);
      const done = await api.call('POST', e.confirm_path, { token: admin });
      assert.deepEqual([done.status, done.body.status, done.body.balance_micros], [200, 'succeeded', $(10)], done.text);
      const view = await api.call('GET', `/v1/orgs/${org_id}`, { token: admin });
      assert.equal(view.body.credit_balance_micros, $(10));
      const other = await api.account({ card: 'tok_visa' });
      assertError(await api.call('POST', `/v1/orgs/${org_id}/credits/${e.purchase_id}/confirm`, { token: other.owner.token }), 404, 'not_found');
      assertError(
        await api.call('POST', `/v1/accounts/${other.id}/extra-usage/credits/${e.purchase_id}/confirm`, { token: other.owner.token }),
        404,
        'not_found',
      );
      await assertAuditClean();
    });

    it('a purchase nobody confirms is ended by the job after the wait: the PaymentIntent canceled, nothing credited, the cap given back', async () => {
      const a = await api.account({ card: 'tok_threeDSecure2Required' });
      const e = assertError(await buy(a, $(30)), 402, 'authentication_required');
      assert.equal(await redeemedToday(a.id), $(30), 'a purchase waiting for the bank holds its share of the day');
      await api.tb.processPendingPurchases({ grace_ms: 0 });
      assert.equal(fake.intents.get(e.payment_intent_id)!.status, 'requires_action', 'left alone while the person may still confirm');
      api.clock.advance(limits.authentication_wait_ms + 1000);
      assert.ok((await api.tb.processPendingPurchases({ grace_ms: 0 })) >= 1);
      assert.equal(fake.intents.get(e.payment_intent_id)!.status, 'canceled');
      assertError(await confirm(a, e.purchase_id), 402, 'card_declined');
      assert.equal(await balance(a), 0);
      assert.equal(await redeemedToday(a.id), 0, 'the cap given back');
      const card = await api.call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: a.owner.token, body: { token: 'tok_visa' } });
      assert.equal(card.status, 201, card.text);
      assert.equal((await buy(a, $(30))).status, 201, 'a new purchase goes through with another card');
      await assertAuditClean();
    });

    it('a request that times out is retried by the SDK with the same idempotency key: one PaymentIntent, one charge', async () => {
      const a = await api.account({ card: 'tok_visa' });
      const charges = fake.charges.length;
      const creates = fake.create_calls;
      fake.hangNext('/v1/payment_intents', SDK_TIMEOUT_MS * 2);
      const r = await buy(a, $(12));
      assert.equal(r.status, 201, r.text);
      assert.ok(fake.create_calls >= creates + 2, `the SDK asked again (${fake.create_calls - creates} calls)`);
      assert.equal(fake.charges.length, charges + 1, 'exactly one charge');
      assert.equal(await balance(a), $(12));
      await assertAuditClean();
    });

    it('webhooks: a bad or missing signature → 400 naming Stripe-Signature, nothing applied; an unknown type → 200 ignored; a dispute is told', async () => {
      const a = await api.account({ card: 'tok_visa' });
      const r = await buy(a, $(10));
      const payment_intent = fake.charges.at(-1)!.payment_intent;
      const bad = await webhook(
        'charge.dispute.created',
        { id: 'dp_1', object: 'dispute', payment_intent, amount: 1000, reason: 'fraudulent' },
        { secret: 'whsec_wrong' },
      );
      assertError(bad, 400, 'invalid_request', { field: 'Stripe-Signature' });
      const { payload } = signedEvent('charge.dispute.created', {});
      assertError(await api.call('POST', '/v1/webhooks/stripe', { payload, headers: { 'content-type': 'application/json' } }), 400, 'invalid_request', {
        field: 'Stripe-Signature',
      });
      const unknown = await webhook('customer.created', { id: 'cus_x', object: 'customer' });
      assert.deepEqual([unknown.status, unknown.body.applied], [200, false]);
      assert.equal((await events(a)).filter((x) => x.type === 'payment.disputed').length, 0, 'the bad signature changed nothing');
      const good = await webhook('charge.dispute.created', { id: 'dp_1', object: 'dispute', payment_intent, amount: 1000, reason: 'fraudulent' });
      assert.deepEqual([good.status, good.body.applied], [200, true], good.text);
      const disputed = (await events(a)).filter((x) => x.type === 'payment.disputed');
      assert.deepEqual(
        disputed.map((x) => x.payload),
        [{ purchase_id: r.body.transaction_id, amount_micros: $(10), reason: 'fraudulent', auto_reload_turned_off: false }],
      );
      await assertAuditClean();
    });

    it('a dispute turns auto-reload off (no card is charged on its own while it is open) and changes no balance', async () => {
      const a = await api.account({ card: 'tok_visa', extra_usage: true, limit_micros: null });
      await buy(a, $(10));
      const payment_intent = fake.charges.at(-1)!.payment_intent;
      const on = await api.call('PATCH', `/v1/accounts/${a.id}/extra-usage`, {
        token: a.owner.token,
        body: { auto_reload: { enabled: true, amount_micros: $(20), threshold_micros: $(5) } },
      });
      assert.equal(on.status, 200, on.text);
      const told = await webhook('charge.dispute.created', { id: 'dp_2', object: 'dispute', payment_intent, amount: 1000, reason: 'fraudulent' });
      assert.deepEqual([told.status, told.body.applied], [200, true], told.text);
      const extra = (await api.call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token })).body;
      assert.deepEqual([extra.auto_reload.enabled, extra.balance_micros], [false, $(10)]);
      const disputed = (await events(a)).find((x) => x.type === 'payment.disputed');
      assert.equal(disputed?.payload.auto_reload_turned_off, true);
      await assertAuditClean();
    });

    it('a refund made at Stripe (the dashboard) takes its credits out now, spent or not: the balance owes what was spent; told once, applied once', async () => {
      const a = await api.account({ card: 'tok_visa', extra_usage: true, limit_micros: null });
      const bought = await buy(a, $(10));
      const payment_intent = fake.charges.at(-1)!.payment_intent;
      const hold = await api.call('POST', '/v1/authorizations', {
        token: api.service,
        body: { account_id: a.id, app: 'cursor', model: 'claude-opus-4-5', input_tokens: 100_000, max_output_tokens: 20_000 },
      });
      assert.equal(hold.status, 201, hold.text);
      const settled = await api.call('POST', `/v1/authorizations/${hold.body.id}/settle`, {
        token: api.service,
        body: { input_tokens: 100_000, output_tokens: 20_000 },
      });
      const spent = settled.body.charged_micros as number;
      assert.ok(spent > 0 && spent < $(10), `spent ${spent}`);
      // $4 refunded at Stripe first, then the rest: each event takes only what is new.
      const partial = await webhook('charge.refunded', { id: 'ch_d', object: 'charge', payment_intent, amount_refunded: 400 });
      assert.deepEqual([partial.status, partial.body.applied], [200, true], partial.text);
      assert.equal(await balance(a), $(6) - spent);
      const full = await webhook('charge.refunded', { id: 'ch_d', object: 'charge', payment_intent, amount_refunded: 1000 });
      assert.equal(full.status, 200, full.text);
      assert.equal(await balance(a), -spent, 'the balance owes what it had spent of the refunded credits');
      const again = await webhook('charge.refunded', { id: 'ch_d', object: 'charge', payment_intent, amount_refunded: 1000 });
      assert.equal(again.status, 200);
      assert.equal(await balance(a), -spent, 'a later event with the same total changes nothing');
      const refunded = (await events(a)).filter((x) => x.type === 'credits.refunded').map((x) => x.payload);
      assert.deepEqual(
        refunded.map((p) => [p.amount_micros, p.made_at, p.owed_micros]).sort((x, y) => x[0] - y[0]),
        [
          [$(4), 'provider', 0],
          [$(6), 'provider', spent],
        ],
      );
      const list = (await api.call('GET', `/v1/accounts/${a.id}/refunds`, { token: a.owner.token })).body.data as Array<{
        amount_micros: number;
        status: string;
      }>;
      assert.deepEqual(
        list.map((x) => [x.amount_micros, x.status]).sort((x, y) => Number(x[0]) - Number(y[0])),
        [
          [$(4), 'succeeded'],
          [$(6), 'succeeded'],
        ],
      );
      assertError(
        await api.call('POST', `/v1/accounts/${a.id}/refunds`, {
          token: a.owner.token,
          body: { purchase_id: bought.body.transaction_id },
          headers: { 'idempotency-key': 'after-dash' },
        }),
        409,
        'refund_exceeds_refundable',
      );
      assert.equal(fake.refunds.filter((x) => x.payment_intent === payment_intent).length, 0, 'Tokenbank asked Stripe for no refund of its own');
      await assertAuditClean();
    });

    it('a refund goes through Stripe refunds with its own key: once, for what was asked', async () => {
      const a = await api.account({ card: 'tok_visa' });
      await buy(a, $(10));
      const payment_intent = fake.charges.at(-1)!.payment_intent;
      const refunds = fake.refunds.length;
      const refund = () =>
        api.call('POST', `/v1/accounts/${a.id}/refunds`, { token: a.owner.token, body: { amount_micros: $(4) }, headers: { 'idempotency-key': 'refund-1' } });
      const r = await refund();
      assert.equal(r.status, 201, r.text);
      assert.equal((await refund()).status, 201);
      assert.deepEqual(
        fake.refunds.slice(refunds).map((x) => [x.payment_intent, x.amount]),
        [[payment_intent, 400]],
      );
      assert.equal(await balance(a), $(6));
      // Stripe tells of the refund too: noted for the operator, the ledger (already reversed) unchanged.
      const told = await webhook('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent, amount_refunded: 400 });
      assert.deepEqual([told.status, told.body.applied], [200, true], told.text);
      const log = (await api.call('GET', '/v1/audit-log?limit=50', { token: api.operator })).body.data as Array<{ action: string; details: any }>;
      assert.ok(
        log.some((x) => x.action === 'provider.charge_refunded' && x.details.provider_refunded_micros === $(4)),
        JSON.stringify(log.slice(0, 3)),
      );
      assert.equal(await balance(a), $(6));
      await assertAuditClean();
    });

    it('a reload that needs the bank fails with that reason, is told, turns auto-reload off and is not retried', async () => {
      const a = await api.account({ card: 'tok_threeDSecure2Required', extra_usage: true, limit_micros: null });
      await api.tb.grantCredits(a.id, { amount_micros: $(6) }, { id: 'operator', request_id: null });
      const patch = await api.call('PATCH', `/v1/accounts/${a.id}/extra-usage`, {
        token: a.owner.token,
        body: { auto_reload: { enabled: true, amount_micros: $(20), threshold_micros: $(5) } },
      });
      assert.equal(patch.status, 200, patch.text);
      await spend(a, 6);
      const charges = fake.charges.length;
      assert.equal(await api.tb.processPendingPurchases(), 1);
      assert.equal(await api.tb.processPendingPurchases(), 0, 'not retried');
      assert.equal(fake.charges.length, charges);
      const failed = (await events(a)).filter((x) => x.type === 'auto_reload.failed');
      assert.deepEqual(
        failed.map((x) => x.payload.reason),
        ['authentication_required'],
      );
      const view = (await api.call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: a.owner.token })).body;
      assert.deepEqual(
        [view.auto_reload.enabled, view.auto_reload.last_event?.type, view.auto_reload.last_event?.reason],
        [false, 'failed', 'authentication_required'],
      );
      await assertAuditClean();
    });

    it('500 concurrent settles that all cross the auto-reload threshold: one reload, one charge at Stripe, off session', async () => {
      const a = await api.account({ card: 'tok_visa', credits_micros: $(6), extra_usage: true, limit_micros: null });
      const holds = await pool(500, 25, async () => {
        const r = await api.call('POST', '/v1/authorizations', {
          token: api.service,
          body: { account_id: a.id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 10, max_output_tokens: 100 },
        });
        assert.equal(r.status, 201, r.text);
        return r.body.id as string;
      });
      const patch = await api.call('PATCH', `/v1/accounts/${a.id}/extra-usage`, {
        token: a.owner.token,
        body: { auto_reload: { enabled: true, amount_micros: $(20), threshold_micros: $(5) } },
      });
      assert.equal(patch.status, 200, patch.text);
      const creates = fake.create_calls;
      const charges = fake.charges.length;
      await Promise.all(
        holds.map(async (id) =>
          assert.equal(
            (await api.call('POST', `/v1/authorizations/${id}/settle`, { token: api.service, body: { input_tokens: 10, output_tokens: 100 } })).status,
            200,
          ),
        ),
      );
      assert.ok((await balance(a)) < $(5), 'the settles crossed the threshold');
      for (let i = 0; i < 3; i++) await api.tb.processPendingPurchases();
      assert.equal(fake.create_calls, creates + 1, 'one PaymentIntent');
      assert.equal(fake.charges.length, charges + 1, 'one charge');
      const reload = fake.intents.get(fake.charges.at(-1)!.payment_intent)!;
      assert.deepEqual([reload.amount, reload.off_session], [2000, true], 'the $20 reload, charged off session');
      assert.equal((await events(a)).filter((x) => x.type === 'auto_reload.succeeded').length, 1);
      await assertAuditClean();
    });

    async function spend(a: TestAccount, count: number) {
      for (let i = 0; i < count; i++) {
        const hold = await api.call('POST', '/v1/authorizations', {
          token: api.service,
          body: { account_id: a.id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 10, max_output_tokens: 10_000 },
        });
        assert.equal(hold.status, 201, hold.text);
        assert.equal(
          (await api.call('POST', `/v1/authorizations/${hold.body.id}/settle`, { token: api.service, body: { input_tokens: 10, output_tokens: 10_000 } }))
            .status,
          200,
        );
      }
    }
  });
}

describe('a server killed between Stripe’s charge and the ledger’s credit', () => {
  const ADMIN = 'stripe-crash-admin-token-0123456789';
  let fake: FakeStripe;
  let server: Server | undefined;
  const dirs: string[] = [];
  before(async () => {
    fake = await startFakeStripe();
  });
  after(async () => {
    await stopServer(server);
    await fake?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const engine of ['pglite', 'postgres'] as const) {
    it(`recovers after its restart with no second charge, and takes Stripe's webhooks over HTTP (${engine})`, async (t) => {
      const env: NodeJS.ProcessEnv = {
        TOKENBANK_ADMIN_TOKEN: ADMIN,
        STRIPE_SECRET_KEY: 'sk_test_fake',
        STRIPE_API_BASE: fake.base,
        STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET,
      };
      if (engine === 'postgres') {
        const db = await freshPostgres();
        if (!db) return t.skip('TEST_DATABASE_URL not set');
        env.DATABASE_URL = postgresUrlOf(db);
        await db.close();
      } else {
        const dir = mkdtempSync(join(tmpdir(), 'tb-stripe-crash-'));
        dirs.push(dir);
        env.TOKENBANK_DATA_DIR = dir;
      }
      const port = await freePort();
      server = startServer(port, env);
      await waitHealthy(server);
      const base = server.base;
      const account = await request(base, 'POST', '/v1/accounts', ADMIN, { name: 'Crash', plan: 'pro', owner_email: email('crash'), owner_password: PASSWORD });
      assert.equal(account.status, 201, JSON.stringify(account.body));
      const id = account.body.id as string;
      assert.equal((await request(base, 'POST', `/v1/accounts/${id}/payment-methods`, ADMIN, { token: 'tok_visa' })).status, 201);
      const charges = fake.charges.length;
      // Stripe charges, and its answer never comes back before the kill.
      fake.hangNext('/v1/payment_intents', 60_000);
      const purchase = () =>
        request(base, 'POST', `/v1/accounts/${id}/extra-usage/credits`, ADMIN, { amount_micros: $(25) }, { 'idempotency-key': `crash-${engine}` });
      const lost = purchase().catch(() => undefined);
      for (let i = 0; i < 200 && fake.charges.length === charges; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(fake.charges.length, charges + 1, 'Stripe charged');
      await killServer(server);
      await lost;
      server = startServer(port, env);
      await waitHealthy(server);
      const retried = await purchase();
      assert.equal(retried.status, 201, JSON.stringify(retried.body));
      assert.equal(fake.charges.length, charges + 1, 'no second charge: the same key gave the first PaymentIntent back');
      const view = await request(base, 'GET', `/v1/accounts/${id}/extra-usage`, ADMIN);
      assert.equal(view.body.balance_micros, $(25));
      const intent = fake.intents.get(fake.charges.at(-1)!.payment_intent)!;
      const late = await fake.sendWebhook(`${base}/v1/webhooks/stripe`, 'payment_intent.succeeded', intent);
      assert.deepEqual([late.status, late.body.applied], [200, false], 'already credited: applied once');
      const forged = await fake.sendWebhook(`${base}/v1/webhooks/stripe`, 'payment_intent.succeeded', intent, { secret: 'whsec_forged' });
      assert.equal(forged.status, 400);
      assert.equal((await request(base, 'GET', `/v1/accounts/${id}/extra-usage`, ADMIN)).body.balance_micros, $(25));
      const audit = await request(base, 'GET', '/v1/audit', ADMIN);
      assert.equal(audit.body.ok, true, JSON.stringify(audit.body));
      await stopServer(server);
      server = undefined;
    });
  }
});
