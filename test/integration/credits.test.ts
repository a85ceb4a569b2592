// Refunds, grants, campaign codes and plan lapse (issue 11, parts 2–4) through the Tokenbank
// facade on each engine. The card provider is the sandbox; one scenario puts a provider in front
// of it that does not answer once, or refuses, as a real one can. Every scenario ends clean.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { assertAuditClean, makeAccount, ManualClock, OPERATOR, sequentialIds, type Harness } from '../fixtures/tokenbank';
import { Tokenbank } from '../../src/app/tokenbank';
import type { RefundResult } from '../../src/app/ports';
import { SandboxPayments } from '../../src/payments/sandbox';
import { AppError } from '../../src/domain/refusals';
import { PgStore } from '../../src/store/store';
import type { Db } from '../../src/store/db';

after(closeAll);

const $ = (dollars: number) => Math.round(dollars * 1_000_000);
const DAY_MS = 86_400_000;

/** The sandbox, with a refund that can be made to go unanswered (a timeout) or be refused, once. */
class FlakyRefunds extends SandboxPayments {
  next_refund: 'timeout' | 'refuse' | null = null;
  refund_calls = 0;
  override async refund(input: Parameters<SandboxPayments['refund']>[0]): Promise<RefundResult> {
    this.refund_calls += 1;
    const fault = this.next_refund;
    this.next_refund = null;
    if (fault === 'timeout') throw new Error('connect ETIMEDOUT (the provider did not answer)');
    if (fault === 'refuse') return { ok: false, type: 'processing_error', message: 'provider: charge is disputed' };
    return super.refund(input);
  }
}

async function refused(promise: Promise<unknown>, type: string): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
    return error;
  }
  return assert.fail(`expected a ${type} refusal, but the call succeeded`);
}

for (const engine of databaseEngines()) {
  describe(`refunds, grants, codes and lapse on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Db;
    let h: Harness & { payments: FlakyRefunds };

    before(async () => {
      db = await engine.open();
      const clock = new ManualClock();
      const payments = new FlakyRefunds();
      const tb = new Tokenbank({ store: new PgStore(db), clock, ids: sequentialIds(), payments });
      await tb.ensureCatalog();
      h = { db, tb, clock, payments };
    });
    after(async () => {
      await db?.close().catch(() => undefined);
    });

    const extra = (account_id: string) => h.tb.getExtraUsage(account_id);
    const outbox = async (account_id: string) => (await h.tb.store.listOutbox({ account_id, limit: 100 })).reverse();
    let keys = 0;
    const key = () => `refund-${++keys}`;
    const hold = (account_id: string) =>
      h.tb.authorize({ account_id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 100_000, max_output_tokens: 100_000 }); // $3.00

    describe('refunds: only unspent purchased credit', () => {
      it('promotional credit alone is never refunded: refund_exceeds_refundable with the figures', async () => {
        const account = await makeAccount(h, { plan: 'pro', card: 'tok_visa' });
        await h.tb.grantCredits(account.id, { amount_micros: $(10), reason: 'welcome' }, OPERATOR);
        const e = await refused(h.tb.refundCredits(account.id, {}, key(), OPERATOR), 'refund_exceeds_refundable');
        assert.equal(e.figures.refundable_micros, 0);
        assert.equal(e.figures.promotional_micros, $(10));
        assert.match(e.message, /promotional credit is never refunded/);
        assert.equal((await extra(account.id)).refundable_micros, 0);
        assert.equal(h.payments.refunds.size, 0);
        await assertAuditClean(h);
      });

      it('what open holds reserve counts as spent; more than the unspent is refused; the rest goes back once', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true });
        await h.tb.grantCredits(account.id, { amount_micros: $(2) }, OPERATOR);
        const auth = await hold(account.id);
        assert.equal(auth.funding.held_micros, $(3));
        const view = await extra(account.id);
        assert.equal(view.refundable_micros, $(17), '$20 purchased − $3 held; the $2 grant is not refundable');
        const e = await refused(h.tb.refundCredits(account.id, { amount_micros: $(17.01) }, key(), OPERATOR), 'refund_exceeds_refundable');
        assert.deepEqual([e.figures.refundable_micros, e.figures.purchased_micros, e.figures.held_micros], [$(17), $(20), $(3)]);

        await h.tb.settle(auth.id, { input_tokens: 100_000, output_tokens: 20_000 }); // $1.00, paid by the $2 grant first
        assert.equal((await extra(account.id)).refundable_micros, $(20), 'the hold is gone and the grant paid for the usage');
        const k = key();
        const first = await h.tb.refundCredits(account.id, { amount_micros: $(15) }, k, OPERATOR);
        assert.equal(first.refund.status, 'succeeded');
        assert.equal(first.refund.refunded_micros, $(15));
        assert.equal(first.refundable_micros, $(5));
        const again = await h.tb.refundCredits(account.id, { amount_micros: $(15) }, k, OPERATOR);
        assert.equal(again.replayed, true);
        assert.equal(again.refund.id, first.refund.id);
        assert.equal(h.payments.refunds.size, 1, 'one refund at the provider');
        await refused(h.tb.refundCredits(account.id, { amount_micros: $(1) }, k, OPERATOR), 'idempotency_conflict');
        const after_view = await extra(account.id);
        assert.equal(after_view.purchased_micros, $(5));
        assert.equal(after_view.promotional_micros, $(1));
        assert.equal((await outbox(account.id)).filter((ev) => ev.type === 'credits.refunded').length, 1);
        const list = await h.tb.listRefunds(account.id, {});
        assert.deepEqual(
          list.data.map((r) => r.id),
          [first.refund.id],
        );
        await assertAuditClean(h);
      });

      it('whole cents only, and without an amount everything refundable', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        const e = await refused(h.tb.refundCredits(account.id, { amount_micros: 1_000_001 }, key(), OPERATOR), 'invalid_request');
        assert.equal(e.figures.field, 'amount_micros');
        // A usage of a fraction of a cent leaves $9.99x: the refundable amount rounds down to the cent.
        await h.tb.recordUsageEvents([
          {
            id: `ev-${key()}`,
            account_id: account.id,
            app: 'claude-code',
            model: 'claude-haiku-4-5',
            usage: { input_tokens: 1500, output_tokens: 0 },
            timestamp: new Date(h.clock.ms).toISOString(),
          },
        ]);
        const view = await extra(account.id);
        assert.equal(view.purchased_micros, $(10) - 1500);
        assert.equal(view.refundable_micros, $(9.99));
        const all = await h.tb.refundCredits(account.id, {}, key(), OPERATOR);
        assert.equal(all.refund.amount_micros, $(9.99));
        assert.equal(all.balance_micros, $(0.01) - 1500);
        await assertAuditClean(h);
      });

      it('by purchase: the most recent first without one; from the named one only, never more than it has left', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        h.clock.advance(1000);
        const second = await h.tb.purchaseCredits(account.id, { amount_micros: $(6) }, `buy-${key()}`, OPERATOR);
        const [older] = (await h.tb.store.readRefundablePurchases(account.id)).filter((p) => p.id !== second.purchase.id);
        const newest_first = await h.tb.refundCredits(account.id, { amount_micros: $(8) }, key(), OPERATOR);
        assert.deepEqual(
          newest_first.refund.parts.map((p) => [p.purchase_id, p.amount_micros]),
          [
            [second.purchase.id, $(6)],
            [older!.id, $(2)],
          ],
        );
        const e = await refused(
          h.tb.refundCredits(account.id, { amount_micros: $(0.01), purchase_id: second.purchase.id }, key(), OPERATOR),
          'refund_exceeds_refundable',
        );
        assert.equal(e.figures.refundable_micros, 0);
        assert.equal(e.figures.purchase_unrefunded_micros, 0);
        const f = await refused(h.tb.refundCredits(account.id, { amount_micros: $(9), purchase_id: older!.id }, key(), OPERATOR), 'refund_exceeds_refundable');
        assert.equal(f.figures.refundable_micros, $(8));
        await refused(h.tb.refundCredits(account.id, { purchase_id: 'pur_not_this_accounts' }, key(), OPERATOR), 'not_found');
        const rest = await h.tb.refundCredits(account.id, { purchase_id: older!.id }, key(), OPERATOR);
        assert.equal(rest.refund.amount_micros, $(8));
        assert.equal(rest.balance_micros, 0);
        await assertAuditClean(h);
      });

      it('a provider that does not answer: the refund stays pending with its credits reserved, and the retry with its key finishes it once', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        const refunds_before = h.payments.refunds.size;
        const k = key();
        h.payments.next_refund = 'timeout';
        const pending = await h.tb.refundCredits(account.id, { amount_micros: $(4) }, k, OPERATOR);
        assert.equal(pending.refund.status, 'pending');
        assert.equal(pending.balance_micros, $(6), 'reserved: not spendable, not refundable twice');
        assert.equal(pending.refundable_micros, $(6));
        await assertAuditClean(h);
        const done = await h.tb.refundCredits(account.id, { amount_micros: $(4) }, k, OPERATOR);
        assert.equal(done.refund.status, 'succeeded');
        assert.equal(done.refund.id, pending.refund.id);
        assert.equal(h.payments.refunds.size, refunds_before + 1);
        assert.equal(done.balance_micros, $(6));
        assert.equal((await outbox(account.id)).filter((ev) => ev.type === 'credits.refunded').length, 1);
        await assertAuditClean(h);
      });

      it('a pending refund left by a crash is finished by the job after its grace', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        h.payments.next_refund = 'timeout';
        const pending = await h.tb.refundCredits(account.id, { amount_micros: $(3) }, key(), OPERATOR);
        assert.equal(pending.refund.status, 'pending');
        assert.equal(await h.tb.processPendingRefunds({ grace_ms: 30_000 }), 0, 'its own request still has time');
        h.clock.advance(31_000);
        assert.equal(await h.tb.processPendingRefunds({ grace_ms: 30_000 }), 1);
        const [refund] = (await h.tb.listRefunds(account.id, {})).data;
        assert.equal(refund?.status, 'succeeded');
        assert.equal(refund?.refunded_micros, $(3));
        assert.equal(await h.tb.processPendingRefunds({ grace_ms: 0 }), 0);
        await assertAuditClean(h);
      });

      it('a provider that refuses: processing_error, the credits come back, nothing is lost', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        h.payments.next_refund = 'refuse';
        const e = await refused(h.tb.refundCredits(account.id, { amount_micros: $(4) }, key(), OPERATOR), 'processing_error');
        assert.ok(e.figures.refund_id);
        const view = await extra(account.id);
        assert.equal(view.balance_micros, $(10));
        assert.equal(view.refundable_micros, $(10), 'the purchase has its whole amount refundable again');
        const [refund] = (await h.tb.listRefunds(account.id, {})).data;
        assert.equal(refund?.status, 'failed');
        assert.equal((await outbox(account.id)).filter((ev) => ev.type === 'credits.refunded').length, 0);
        await assertAuditClean(h);
        const ok = await h.tb.refundCredits(account.id, {}, key(), OPERATOR);
        assert.equal(ok.refund.amount_micros, $(10));
        await assertAuditClean(h);
      });
    });

    describe('the audit', () => {
      it('proves each purchase was refunded by exactly the refund transfers: a tampered refunded amount is found', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        await h.tb.refundCredits(account.id, { amount_micros: $(4) }, key(), OPERATOR);
        await assertAuditClean(h);
        await db.query(`UPDATE purchases SET refunded_micros = refunded_micros - 10000 WHERE account_id = $1 AND refunded_micros > 0`, [account.id]);
        const findings = (await h.tb.audit()).findings.filter((f) => f.account_id === account.id);
        assert.deepEqual(
          findings.map((f) => [f.check, f.expected, f.actual]),
          [['purchases_refunded_equal_refund_transfers', $(4), $(3.99)]],
        );
        await db.query(`UPDATE purchases SET refunded_micros = refunded_micros + 10000 WHERE account_id = $1 AND refunded_micros > 0`, [account.id]);
        await assertAuditClean(h);
      });
    });

    describe('refunds under concurrency', () => {
      it('concurrent refunds with their own keys never pass the refundable amount; the same key at once refunds once', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true });
        const results = await Promise.allSettled(Array.from({ length: 9 }, () => h.tb.refundCredits(account.id, { amount_micros: $(3) }, key(), OPERATOR)));
        const done = results.filter((r) => r.status === 'fulfilled');
        const refused_types = results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as AppError).type);
        assert.equal(done.length, 6, '6 × $3 of $20');
        assert.deepEqual(refused_types, Array(3).fill('refund_exceeds_refundable'));
        const k = key();
        const same = await Promise.allSettled(Array.from({ length: 4 }, () => h.tb.refundCredits(account.id, { amount_micros: $(1) }, k, OPERATOR)));
        const ids = new Set(same.map((r) => (r.status === 'fulfilled' ? r.value.refund.id : `refused ${(r.reason as AppError).type}`)));
        assert.equal(ids.size, 1, [...ids].join(', '));
        const view = await extra(account.id);
        assert.deepEqual([view.purchased_micros, view.refundable_micros], [$(1), $(1)]);
        await assertAuditClean(h);
      });
    });

    describe('grants: expiry and consumption order', () => {
      it('grant.added with its reason; at its expiry it stops counting at once and the job sweeps it (grant.expired)', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const grant = await h.tb.grantCredits(
          account.id,
          { amount_micros: $(3), expires_at: new Date(h.clock.ms + DAY_MS).toISOString(), reason: 'apology' },
          OPERATOR,
        );
        const added = (await outbox(account.id)).find((e) => e.type === 'grant.added');
        assert.deepEqual([added?.payload.grant_id, added?.payload.reason, added?.payload.amount_micros], [grant.id, 'apology', $(3)]);
        assert.equal((await extra(account.id)).promotional_micros, $(3));
        h.clock.advance(DAY_MS);
        assert.equal((await extra(account.id)).promotional_micros, 0, 'expired: no longer counted, even before the sweep');
        assert.equal(await h.tb.expireGrants(), 1);
        assert.equal(await h.tb.expireGrants(), 0);
        const expired = (await outbox(account.id)).filter((e) => e.type === 'grant.expired');
        assert.deepEqual(
          expired.map((e) => [e.payload.grant_id, e.payload.amount_micros]),
          [[grant.id, $(3)]],
        );
        assert.equal((await extra(account.id)).balance_micros, $(5));
        await assertAuditClean(h);
      });

      it('usage takes the soonest-expiring grant first, then grants without expiry, then purchased credit', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const forever = await h.tb.grantCredits(account.id, { amount_micros: $(1) }, OPERATOR);
        const late = await h.tb.grantCredits(account.id, { amount_micros: $(1), expires_at: new Date(h.clock.ms + 9 * DAY_MS).toISOString() }, OPERATOR);
        const soon = await h.tb.grantCredits(account.id, { amount_micros: $(1), expires_at: new Date(h.clock.ms + 2 * DAY_MS).toISOString() }, OPERATOR);
        const pay = async (dollars: number) => {
          const auth = await hold(account.id);
          // opus: $5 per million input tokens, so 200,000 input tokens cost $1.00.
          await h.tb.settle(auth.id, { input_tokens: Math.round(dollars * 200_000), output_tokens: 0 });
        };
        await pay(1.5);
        const left = async () => new Map((await h.tb.listGrants(account.id)).data.map(({ grant: g }) => [g.id, g.remaining_micros]));
        let grants = await left();
        assert.deepEqual([grants.get(soon.id), grants.get(late.id), grants.get(forever.id)], [0, $(0.5), $(1)]);
        await pay(2);
        grants = await left();
        assert.deepEqual([grants.get(late.id), grants.get(forever.id)], [0, 0]);
        assert.equal((await extra(account.id)).purchased_micros, $(4.5));
        await assertAuditClean(h);
      });
    });

    describe('campaign codes', () => {
      it('a claim adds its grant once per account; unknown, expired and exhausted codes are refused with their facts', async () => {
        const promotion = await h.tb.createPromotion({ code: 'spring-26', amount_micros: $(5), credit_expires_in_days: 30, claims_max: 2 }, OPERATOR);
        assert.equal(promotion.code, 'SPRING-26');
        await refused(h.tb.createPromotion({ code: 'Spring-26', amount_micros: $(1), claims_max: 1 }, OPERATOR), 'conflict');
        const one = await makeAccount(h, { plan: 'pro' });
        const claimed = await h.tb.claimPromotion(one.id, { code: 'spring-26' }, OPERATOR);
        assert.equal(claimed.grant.amount_micros, $(5));
        assert.equal(claimed.grant.expires_at_ms, h.clock.ms + 30 * DAY_MS);
        assert.equal((await extra(one.id)).promotional_micros, $(5));
        assert.equal((await outbox(one.id)).filter((e) => e.type === 'grant.added').length, 1);
        await refused(h.tb.claimPromotion(one.id, { code: 'SPRING-26' }, OPERATOR), 'promotion_already_claimed');
        assert.equal((await extra(one.id)).promotional_micros, $(5), 'the second claim added nothing');
        await refused(h.tb.claimPromotion(one.id, { code: 'NO-SUCH' }, OPERATOR), 'not_found');
        await refused(h.tb.claimPromotion((await makeAccount(h, { plan: 'free' })).id, { code: 'SPRING-26' }, OPERATOR), 'plan_required');

        const ends = await h.tb.createPromotion(
          { code: 'FLASH', amount_micros: $(1), expires_at: new Date(h.clock.ms + DAY_MS).toISOString(), claims_max: 10 },
          OPERATOR,
        );
        h.clock.advance(DAY_MS);
        const e = await refused(h.tb.claimPromotion(one.id, { code: 'flash' }, OPERATOR), 'promotion_expired');
        assert.equal(e.figures.expired_at, new Date(ends.expires_at_ms!).toISOString());
        assert.match(e.message, new RegExp(new Date(ends.expires_at_ms!).toISOString()));
        await assertAuditClean(h);
      });

      it('the claim limit holds under concurrent claims: exactly claims_max succeed', async () => {
        await h.tb.createPromotion({ code: 'FIRST-THREE', amount_micros: $(2), claims_max: 3 }, OPERATOR);
        const accounts = await Promise.all(Array.from({ length: 8 }, () => makeAccount(h, { plan: 'pro' })));
        const results = await Promise.allSettled(accounts.map((a) => h.tb.claimPromotion(a.id, { code: 'FIRST-THREE' }, OPERATOR)));
        const won = results.filter((r) => r.status === 'fulfilled').length;
        const lost = results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as AppError).type);
        assert.equal(won, 3);
        assert.deepEqual(lost, Array(5).fill('promotion_exhausted'));
        const listed = (await h.tb.listPromotions({})).data.find((p) => p.code === 'FIRST-THREE');
        assert.equal(listed?.claims_count, 3);
        await assertAuditClean(h);
      });
    });

    describe('plan lapse', () => {
      it('plan.lapsing N days before the end and plan.lapsed at the end, each once; the balance is kept, frozen and refundable', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(12), extra_usage: true });
        await h.tb.grantCredits(account.id, { amount_micros: $(1) }, OPERATOR);
        const cancelled = await h.tb.cancelSubscription(account.id, OPERATOR);
        const end_ms = cancelled.cancel_at_ms!;
        const notices = async () => (await outbox(account.id)).filter((e) => e.type.startsWith('plan.')).map((e) => e.type);
        assert.equal(await h.tb.sendLapseNotices(), 0);
        h.clock.ms = end_ms - 7 * DAY_MS - 1;
        assert.equal(await h.tb.sendLapseNotices(), 0, 'not yet: 7 days ahead is the default');
        h.clock.ms = end_ms - 7 * DAY_MS;
        assert.equal(await h.tb.sendLapseNotices(), 1);
        assert.equal(await h.tb.sendLapseNotices(), 0, 'once');
        // Resuming and cancelling again in the same cycle does not warn twice.
        await h.tb.changeSubscription(account.id, { plan: 'pro' }, OPERATOR);
        await h.tb.cancelSubscription(account.id, OPERATOR);
        assert.deepEqual(await notices(), ['plan.lapsing']);
        assert.equal((await extra(account.id)).frozen, false);

        h.clock.ms = end_ms;
        assert.equal(await h.tb.sendLapseNotices(), 1);
        assert.equal(await h.tb.sendLapseNotices(), 0);
        const events = (await outbox(account.id)).filter((e) => e.type.startsWith('plan.'));
        assert.deepEqual(
          events.map((e) => e.type),
          ['plan.lapsing', 'plan.lapsed'],
        );
        assert.equal(events[1]!.payload.balance_micros, $(13));
        const view = await extra(account.id);
        assert.deepEqual([view.plan_status, view.frozen, view.balance_micros, view.refundable_micros], ['lapsed', true, $(13), $(12)]);
        assert.match(view.frozen_reason ?? '', /lapsed/);
        const refund = await h.tb.refundCredits(account.id, {}, key(), OPERATOR);
        assert.equal(refund.refund.amount_micros, $(12));
        assert.equal(refund.balance_micros, $(1), 'the promotional $1 stays, frozen');
        await assertAuditClean(h);
      });

      it('a plan cancelled inside the notice period is warned at once, and the job does not warn again', async () => {
        const account = await makeAccount(h, { plan: 'pro' });
        const view = await h.tb.getAccountView(account.id);
        h.clock.ms = Date.parse(view.cycle_end) - 2 * DAY_MS;
        await h.tb.cancelSubscription(account.id, OPERATOR);
        assert.deepEqual(
          (await outbox(account.id)).filter((e) => e.type.startsWith('plan.')).map((e) => e.type),
          ['plan.lapsing'],
        );
        assert.equal(await h.tb.sendLapseNotices(), 0);
        await assertAuditClean(h);
      });
    });
  });
}
