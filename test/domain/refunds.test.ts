// Refunds, lapse notices and campaign codes as pure rules (src/domain/refunds.ts, lapse.ts,
// promotions.ts): loaded state in, a plan or a refusal out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dueLapseNotice, frozenReason, lapseEvent } from '../../src/domain/lapse';
import { checkClaim, claimedCreditExpiry, normalizeCode, type Promotion } from '../../src/domain/promotions';
import { planProviderRefund, planRefund, planRefundCompletion, refundableFigures, type RefundablePurchase } from '../../src/domain/refunds';
import { AppError } from '../../src/domain/refusals';
import { account, DAY_MS, NOW, wallet } from '../fixtures/domain-state';

const $ = (dollars: number) => Math.round(dollars * 1_000_000);
const purchase = (id: string, dollars: number, at_ms: number, refunded = 0): RefundablePurchase => ({
  id,
  amount_micros: $(dollars),
  refunded_micros: $(refunded),
  charge_id: `ch_${id}`,
  created_at_ms: at_ms,
});
const request = (amount_micros: number | null, purchase_id: string | null = null) => ({
  refund_id: 'ref_1',
  account_id: 'acct_test',
  amount_micros,
  purchase_id,
});

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  return assert.fail('expected a refusal');
}

describe('refundable: purchased − held, in whole cents, never promotional', () => {
  it('holds count as spent; promotional credit does not count at all', () => {
    const w = wallet({ purchased_micros: $(20), held_micros: $(3.005), grants: [{ id: 'g', remaining_micros: $(5), expires_at_ms: null }] });
    const figures = refundableFigures(w, [purchase('p1', 20, NOW)], NOW);
    assert.deepEqual(figures, {
      refundable_micros: $(16.99),
      purchased_micros: $(20),
      held_micros: $(3.005),
      promotional_micros: $(5),
      purchases_unrefunded_micros: $(20),
    });
  });

  it('a negative purchased balance refunds nothing', () => {
    assert.equal(refundableFigures(wallet({ purchased_micros: -5 }), [purchase('p1', 5, NOW)], NOW).refundable_micros, 0);
  });

  it('more than refundable, or nothing refundable, is refund_exceeds_refundable with the figures', () => {
    const w = wallet({ purchased_micros: $(10), held_micros: $(4) });
    const e = refusal(() => planRefund(request($(7)), w, [purchase('p1', 10, NOW)], NOW));
    assert.equal(e.type, 'refund_exceeds_refundable');
    assert.deepEqual([e.figures.refundable_micros, e.figures.purchased_micros, e.figures.held_micros, e.figures.requested_micros], [$(6), $(10), $(4), $(7)]);
    assert.match(e.message, /\$4\.00 is held by open requests/);
    const only_promo = wallet({ grants: [{ id: 'g', remaining_micros: $(5), expires_at_ms: null }] });
    const p = refusal(() => planRefund(request(null), only_promo, [], NOW));
    assert.equal(p.type, 'refund_exceeds_refundable');
    assert.match(p.message, /promotional credit is never refunded/);
    assert.equal(w.purchased_micros, $(10), 'a refusal changes nothing');
  });

  it('amounts are whole cents and positive', () => {
    const w = wallet({ purchased_micros: $(10) });
    assert.equal(refusal(() => planRefund(request(1_000_001), w, [purchase('p1', 10, NOW)], NOW)).figures.field, 'amount_micros');
  });
});

describe('which purchases a refund draws on', () => {
  const purchases = () => [purchase('old', 10, NOW - 2 * DAY_MS), purchase('mid', 5, NOW - DAY_MS, 5), purchase('new', 6, NOW)];

  it('without a purchase: the most recent first, skipping refunded ones; the wallet and purchases move by the amount', () => {
    const w = wallet({ purchased_micros: $(16) });
    const list = purchases();
    const plan = planRefund(request($(8)), w, list, NOW);
    assert.deepEqual(
      plan.parts.map((p) => [p.purchase_id, p.amount_micros]),
      [
        ['new', $(6)],
        ['old', $(2)],
      ],
    );
    assert.equal(w.purchased_micros, $(8));
    assert.deepEqual(
      list.map((p) => p.refunded_micros),
      [$(2), $(5), $(6)],
    );
    assert.deepEqual(
      plan.transfers.map((t) => [t.kind, t.debit_book, t.credit_book, t.amount_micros]),
      [
        ['refund', 'customer.purchased', 'operator.cash', $(6)],
        ['refund', 'customer.purchased', 'operator.cash', $(2)],
      ],
    );
  });

  it('with a purchase: from it only, at most what it has left; an unknown one is not found', () => {
    const w = wallet({ purchased_micros: $(16) });
    const e = refusal(() => planRefund(request($(7), 'new'), w, purchases(), NOW));
    assert.deepEqual([e.figures.refundable_micros, e.figures.purchase_unrefunded_micros], [$(6), $(6)]);
    assert.equal(refusal(() => planRefund(request(null, 'mid'), w, purchases(), NOW)).figures.refundable_micros, 0);
    assert.equal(refusal(() => planRefund(request(null, 'nope'), w, purchases(), NOW)).type, 'not_found');
    assert.equal(planRefund(request(null, 'old'), w, purchases(), NOW).amount_micros, $(10));
  });

  it('property: a plan never refunds more than refundable, nor more than any purchase has left, and its parts add up', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 500, max: 250_000 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.option(fc.integer({ min: 1, max: 3_000 }), { nil: null }),
        (shapes, spent_percent, held_micros, cents) => {
          const list = shapes.map(([c, refunded_percent], i) => {
            const amount = c * 10_000;
            return {
              id: `p${i}`,
              amount_micros: amount,
              refunded_micros: Math.floor((amount * refunded_percent) / 100 / 10_000) * 10_000,
              charge_id: `ch${i}`,
              created_at_ms: NOW + i,
            };
          });
          const left = list.reduce((s, p) => s + p.amount_micros - p.refunded_micros, 0);
          const w = wallet({ purchased_micros: Math.floor((left * (100 - spent_percent)) / 100), held_micros });
          const figures = refundableFigures(w, list, NOW);
          const before = list.map((p) => ({ ...p }));
          try {
            const plan = planRefund(request(cents === null ? null : cents * 10_000), w, list, NOW);
            assert.ok(plan.amount_micros > 0 && plan.amount_micros <= figures.refundable_micros);
            assert.equal(plan.amount_micros % 10_000, 0);
            assert.equal(
              plan.parts.reduce((s, p) => s + p.amount_micros, 0),
              plan.amount_micros,
            );
            for (const p of list) assert.ok(p.refunded_micros <= p.amount_micros);
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            assert.equal(error.type, 'refund_exceeds_refundable', error.message);
            // Refused only when there was nothing to refund or more was asked than is refundable.
            const asked = cents === null ? figures.refundable_micros : cents * 10_000;
            assert.ok(
              figures.refundable_micros === 0 || asked > figures.refundable_micros,
              `refused ${asked} with ${figures.refundable_micros} refundable: ${error.message}`,
            );
            assert.deepEqual(list, before);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('completing a refund', () => {
  const parts = () => [
    { purchase_id: 'a', charge_id: 'ch_a', amount_micros: $(6), status: 'pending' as const, provider_refund_id: null, failure_message: null },
    { purchase_id: 'b', charge_id: 'ch_b', amount_micros: $(2), status: 'pending' as const, provider_refund_id: null, failure_message: null },
  ];
  const refund = () => ({ id: 'ref_1', account_id: 'acct_test', parts: parts() });

  it('all refunded: succeeded, one credits.refunded event', () => {
    const w = wallet({ purchased_micros: $(2) });
    const plan = planRefundCompletion(
      refund(),
      new Map([
        ['a', { ok: true, refund_id: 're_a' }],
        ['b', { ok: true, refund_id: 're_b' }],
      ] as const),
      w,
      NOW,
    );
    assert.deepEqual([plan.status, plan.refunded_micros, plan.transfers.length, plan.events.length], ['succeeded', $(8), 0, 1]);
    assert.equal(w.purchased_micros, $(2));
  });

  it('a refused part is reversed; a part with no answer keeps the refund pending', () => {
    const w = wallet({ purchased_micros: $(2) });
    const plan = planRefundCompletion(
      refund(),
      new Map([
        ['a', { ok: false, message: 'no' }],
        ['b', { unknown: true, message: 'timeout' }],
      ] as const),
      w,
      NOW,
    );
    assert.equal(plan.status, 'pending');
    assert.deepEqual(plan.purchases_released, [{ purchase_id: 'a', amount_micros: $(6) }]);
    assert.deepEqual(
      plan.transfers.map((t) => [t.kind, t.debit_book, t.credit_book, t.amount_micros]),
      [['refund_reversal', 'operator.cash', 'customer.purchased', $(6)]],
    );
    assert.equal(w.purchased_micros, $(8));
    assert.equal(plan.events.length, 0);
  });

  it('every part refused: failed, no event', () => {
    const plan = planRefundCompletion(
      refund(),
      new Map([
        ['a', { ok: false, message: 'no' }],
        ['b', { ok: false, message: 'no' }],
      ] as const),
      wallet(),
      NOW,
    );
    assert.deepEqual([plan.status, plan.refunded_micros, plan.events.length], ['failed', 0, 0]);
  });
});

describe('lapse notices', () => {
  const end = NOW + 10 * DAY_MS;
  const cancelled = account({ cancel_at_ms: end });
  const week = 7 * DAY_MS;

  it('lapsing from N days before the end, lapsed from the end; each once; none without a cancellation', () => {
    assert.equal(dueLapseNotice(account(), NOW, week, new Set()), null);
    assert.equal(dueLapseNotice(cancelled, end - week - 1, week, new Set()), null);
    assert.equal(dueLapseNotice(cancelled, end - week, week, new Set()), 'plan.lapsing');
    assert.equal(dueLapseNotice(cancelled, end - 1, week, new Set(['plan.lapsing'])), null);
    assert.equal(dueLapseNotice(cancelled, end, week, new Set(['plan.lapsing'])), 'plan.lapsed');
    assert.equal(dueLapseNotice(cancelled, end + DAY_MS, week, new Set()), 'plan.lapsed', 'late: only the lapse itself is told');
    assert.equal(dueLapseNotice(cancelled, end, week, new Set(['plan.lapsed'])), null);
  });

  it('the events carry the instant, the balance and the remedy; frozen says why', () => {
    const w = wallet({ purchased_micros: $(12), grants: [{ id: 'g', remaining_micros: $(1), expires_at_ms: null }] });
    const lapsed = lapseEvent('plan.lapsed', cancelled, w, end);
    assert.deepEqual([lapsed.payload.lapsed_at, lapsed.payload.balance_micros, lapsed.payload.frozen], [new Date(end).toISOString(), $(13), true]);
    assert.match(String(lapsed.payload.message), /kept, frozen, and refundable/);
    assert.equal(frozenReason('active', true), null);
    assert.equal(frozenReason('canceling', true), null);
    assert.match(frozenReason('lapsed', true)!, /lapsed/);
    assert.match(frozenReason('active', false)!, /paid plan/);
  });
});

describe('campaign codes', () => {
  const promo = (overrides: Partial<Promotion> = {}): Promotion => ({
    id: 'promo_1',
    code: 'SPRING',
    amount_micros: $(5),
    expires_at_ms: NOW + DAY_MS,
    credit_expires_in_days: 30,
    claims_max: 2,
    claims_count: 0,
    created_at_ms: NOW,
    ...overrides,
  });

  it('codes compare without case; anything but ASCII letters, digits, - and _ is refused before upper-casing', () => {
    assert.equal(normalizeCode('code', 'spring-26_a'), 'SPRING-26_A');
    for (const bad of ['ab', 'SPRING ', ' SPRING', 'SPRİNG', 'pın-code', '-LEAD', 'x'.repeat(41), 'ＳＰＲＩＮＧ'])
      assert.equal(refusal(() => normalizeCode('code', bad)).figures.field, 'code', bad);
  });

  it('ended and exhausted codes, and an account without a paid plan, are refused with their facts, in that order; the credit lives credit_expires_in_days', () => {
    const paid = { plan_id: 'pro', extra_usage_allowed: true };
    const free = { plan_id: 'free', extra_usage_allowed: false };
    assert.equal(checkClaim(promo(), NOW, paid), null);
    const ended = checkClaim(promo(), NOW + DAY_MS, paid)!;
    assert.deepEqual([ended.type, ended.figures.expired_at], ['promotion_expired', new Date(NOW + DAY_MS).toISOString()]);
    const full = checkClaim(promo({ claims_count: 2 }), NOW, paid)!;
    assert.deepEqual([full.type, full.figures.claims_max], ['promotion_exhausted', 2]);
    const unpaid = checkClaim(promo(), NOW, free)!;
    assert.deepEqual([unpaid.type, unpaid.figures.plan], ['plan_required', 'free']);
    assert.match(unpaid.message, /upgrade, then claim the code/);
    assert.equal(checkClaim(promo(), NOW + DAY_MS, free)!.type, 'promotion_expired', 'the code is judged first');
    assert.equal(claimedCreditExpiry(promo(), NOW), NOW + 30 * DAY_MS);
    assert.equal(claimedCreditExpiry(promo({ credit_expires_in_days: null }), NOW), null);
  });
});

describe('a refund made at the provider (planProviderRefund)', () => {
  const input = (p: RefundablePurchase, provider_refunded_micros: number) => ({
    refund_id: 'ref_p',
    account_id: 'acct_test',
    event_id: 'evt_1',
    actor: 'provider:stripe',
    purchase: p,
    provider_refunded_micros,
  });

  it('takes only what Tokenbank has not counted: its own refunds count from their first step', () => {
    const w = wallet({ purchased_micros: $(6) });
    const p = purchase('p1', 10, NOW, 4); // $4 already refunded through Tokenbank
    assert.equal(planProviderRefund(input(p, $(4)), w, NOW), null, 'the webhook about our own refund: nothing new');
    const plan = planProviderRefund(input(p, $(7)), w, NOW)!;
    assert.deepEqual([plan.refund.amount_micros, plan.refund.status, p.refunded_micros, w.purchased_micros], [$(3), 'succeeded', $(7), $(3)]);
    assert.deepEqual(
      plan.transfers.map((t) => [t.kind, t.amount_micros]),
      [['refund', $(3)]],
    );
    assert.deepEqual([plan.event.payload.made_at, plan.event.payload.owed_micros], ['provider', 0]);
  });

  it('spent or not: the credits go, and a balance that spent them owes them; never more than the purchase charged', () => {
    const w = wallet({ purchased_micros: $(2) }); // $8 of the $10 spent
    const plan = planProviderRefund(input(purchase('p2', 10, NOW), $(25)), w, NOW)!;
    assert.deepEqual([plan.refund.amount_micros, w.purchased_micros, plan.event.payload.owed_micros], [$(10), -$(8), $(8)]);
  });

  it('a purchase without a provider charge has nothing the provider could refund', () => {
    const p = { ...purchase('p3', 10, NOW), charge_id: null };
    assert.equal(planProviderRefund(input(p, $(5)), wallet({ purchased_micros: $(10) }), NOW), null);
  });
});
