// SPEC §1.5 adding credits: bounds, paid plan, the per-UTC-day cap (example 12); §1.6 the 80 %
// and 100 % spend-limit notifications.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPurchase, isDueForCharge, planCompletion, providerOutcomeApplies, spendLimitCrossings, type PurchaseBounds } from '../../src/domain/purchase';
import { limits } from '../../src/domain/limits';
import { addRedeemed } from '../../src/domain/wallet';
import { AppError } from '../../src/domain/refusals';
import { NOW, account, plan, wallet } from '../fixtures/domain-state';

const $ = (dollars: number) => dollars * 1_000_000;
const bounds: PurchaseBounds = { purchase_micros_min: limits.purchase_micros_min, purchase_micros_max: limits.purchase_micros_max, redeemed_micros_per_day_max: limits.redeemed_micros_per_day_max };

describe('purchase bounds: $5 to $2,500, whole cents', () => {
  const check = (amount: number) => checkPurchase(account(), plan('pro'), wallet(), amount, bounds, NOW);
  it('the defaults are $5, $2,500 and $2,000 a day', () => {
    assert.deepEqual(bounds, { purchase_micros_min: $(5), purchase_micros_max: $(2500), redeemed_micros_per_day_max: $(2000) });
  });
  for (const ok of [$(5), $(2000), 12_340_000]) it(`${ok} micros is allowed`, () => assert.equal(check(ok), null));
  for (const bad of [5_000_001, 12_345_678, $(5) + 5_000]) {
    it(`${bad} micros is refused: card charges are whole cents`, () => {
      const r = check(bad);
      assert.equal(r?.type, 'invalid_request');
      assert.equal(r?.figures.field, 'amount_micros');
      assert.match(r!.message, /whole cents/);
    });
  }
  for (const bad of [$(5) - 1, 0, -$(5), $(2500) + 1, $(5) + 0.5, Number.NaN, 2 ** 53]) {
    it(`${bad} micros is invalid_request naming amount_micros`, () => {
      const r = check(bad);
      assert.ok(r instanceof AppError);
      assert.equal(r.type, 'invalid_request');
      assert.equal(r.figures.field, 'amount_micros');
      assert.match(r.message, /\$5\.00.*\$2,500\.00/);
    });
  }
  it('$2,500 is within the purchase bound but over the daily cap of $2,000', () => {
    assert.equal(check($(2500))?.type, 'daily_cap_reached');
  });
});

describe('adding credits needs an active paid plan', () => {
  it('free plan → plan_required', () => assert.equal(checkPurchase(account({ plan_id: 'free' }), plan('free'), wallet(), $(10), bounds, NOW)?.type, 'plan_required'));
  it('lapsed plan → plan_required', () => assert.equal(checkPurchase(account({ cancel_at_ms: NOW - 1 }), plan('pro'), wallet(), $(10), bounds, NOW)?.type, 'plan_required'));
  it('a cancelling plan (not yet lapsed) may still add credits', () => assert.equal(checkPurchase(account({ cancel_at_ms: NOW + 1 }), plan('pro'), wallet(), $(10), bounds, NOW), null));
});

describe('example 12: at most $2,000 redeemed per UTC day', () => {
  const morning = Date.UTC(2026, 10, 2, 8, 0);
  const evening = Date.UTC(2026, 10, 2, 23, 59, 59, 999);
  const midnight = Date.UTC(2026, 10, 3, 0, 0);

  it('$1,500 then $600 on one UTC day: the second is daily_cap_reached, with the figures and when it resets', () => {
    const w = wallet();
    assert.equal(checkPurchase(account(), plan('pro'), w, $(1500), bounds, morning), null);
    addRedeemed(w, morning, $(1500));
    const r = checkPurchase(account(), plan('pro'), w, $(600), bounds, evening);
    assert.equal(r?.type, 'daily_cap_reached');
    assert.deepEqual(r?.figures, { redeemed_today_micros: $(1500), daily_cap_micros: $(2000), requested_micros: $(600), resets_at: '2026-11-03T00:00:00.000Z' });
    assert.match(r!.message, /Add at most \$500\.00 now/);
  });

  it('from 00:00 UTC the next day it is allowed', () => {
    const w = wallet();
    addRedeemed(w, morning, $(1500));
    assert.equal(checkPurchase(account(), plan('pro'), w, $(600), bounds, midnight), null);
  });

  it('exactly up to the cap is allowed: $1,500 + $500', () => {
    const w = wallet();
    addRedeemed(w, morning, $(1500));
    assert.equal(checkPurchase(account(), plan('pro'), w, $(500), bounds, evening), null);
  });

  it('the operator can change the cap', () => {
    const w = wallet();
    addRedeemed(w, morning, $(50));
    assert.equal(checkPurchase(account(), plan('pro'), w, $(60), { ...bounds, redeemed_micros_per_day_max: $(100) }, evening)?.type, 'daily_cap_reached');
  });
});

describe('spend-limit notifications fire once, when the counter crosses 80 % and 100 %', () => {
  const L = $(50);
  const cases: Array<[number, number, number | null, string[]]> = [
    [0, 39_999_999, L, []],
    [0, $(40), L, ['spend_limit.warning']],
    [$(39), $(41), L, ['spend_limit.warning']],
    [$(40), $(45), L, []], // already past 80 %
    [$(45), $(50), L, ['spend_limit.reached']],
    [$(39), $(60), L, ['spend_limit.warning', 'spend_limit.reached']],
    [$(50), $(60), L, []], // already reached
    [0, $(100), null, []], // no limit
    [0, 10, 0, []], // a $0 limit has nothing to warn about
    [0, 8, 10, ['spend_limit.warning']], // 8 × 100 = 10 × 80 exactly, no fractions
    [0, 7, 10, []],
  ];
  for (const [before, after, limit, want] of cases) {
    it(`${before} → ${after} of ${limit} → ${want.join(', ') || 'nothing'}`, () => assert.deepEqual(spendLimitCrossings(before, after, limit, 80), want));
  }
});

describe('completing a purchase is a plan the app only writes (SPEC §1.5, §1.7)', () => {
  const pending = (kind: 'manual' | 'auto_reload', attempts = 0) => ({ id: 'pur_1', account_id: 'acct_1', kind, amount_micros: $(20), attempts, created_at_ms: NOW });
  const reserved = () => wallet({ purchased_micros: $(1), redeemed_day: new Date(NOW).toISOString().slice(0, 10), redeemed_day_micros: $(20), reload_in_flight: true });

  it('a charge that succeeded credits the wallet once, with one purchase transfer and its event; the cap stays taken', () => {
    const w = reserved();
    const plan = planCompletion(pending('manual'), w, { ok: true, charge_id: 'ch_1' }, NOW);
    assert.deepEqual([w.purchased_micros, w.redeemed_day_micros], [$(21), $(20)]);
    assert.deepEqual(plan.purchase.status, 'succeeded');
    assert.deepEqual(plan.transfers.map((t) => [t.kind, t.amount_micros]), [['purchase', $(20)]]);
    assert.deepEqual(plan.events.map((e) => e.type), ['credits.purchased']);
  });

  it('a declined manual purchase fails, credits nothing and gives its share of the daily cap back', () => {
    const w = reserved();
    const plan = planCompletion(pending('manual'), w, { ok: false, type: 'card_declined', message: 'no' }, NOW);
    assert.deepEqual([w.purchased_micros, w.redeemed_day_micros, plan.purchase.status, plan.transfers.length], [$(1), 0, 'failed', 0]);
    assert.match(plan.purchase.failure_message!, /^The card was declined\. Use another card/);
  });

  it('a declined reload is retried with backoff, then after the last attempt fails, gives its cap back and turns auto-reload off', () => {
    const w = reserved();
    const first = planCompletion(pending('auto_reload', 0), w, { ok: false, type: 'insufficient_funds', message: 'no' }, NOW);
    assert.deepEqual([first.purchase.status, first.purchase.next_attempt_at_ms, first.turn_auto_reload_off, w.reload_in_flight, w.redeemed_day_micros], ['pending', NOW + 60_000, false, true, $(20)]);
    const last = planCompletion(pending('auto_reload', limits.reload_attempts_max - 1), w, { ok: false, type: 'insufficient_funds', message: 'no' }, NOW);
    assert.deepEqual([last.purchase.status, last.turn_auto_reload_off, w.reload_in_flight, w.redeemed_day_micros], ['failed', true, false, 0]);
    assert.deepEqual(last.events.map((e) => e.type), ['auto_reload.disabled', 'auto_reload.failed']);
    assert.equal(last.events[1]!.payload.retried, false, 'the last attempt says it is not tried again');
    assert.deepEqual(last.reload_event, { type: 'failed', reason: 'insufficient_funds', amount_micros: $(20), at_ms: NOW });
  });
});

describe('the bank asks the cardholder to confirm (3-D Secure): decided here, not in the provider', () => {
  const pending = (kind: 'manual' | 'auto_reload') => ({ id: 'pur_3ds', account_id: 'acct_1', kind, amount_micros: $(20), attempts: 0, created_at_ms: NOW });
  const reserved = () => wallet({ purchased_micros: $(1), redeemed_day: new Date(NOW).toISOString().slice(0, 10), redeemed_day_micros: $(20), reload_in_flight: true });
  const action = { payment_intent_id: 'pi_1', client_secret: 'pi_1_secret', next_action_url: 'https://bank.example/3ds' };
  const needs = { ok: false as const, type: 'authentication_required' as const, message: 'confirm', action };

  it('a manual purchase waits: pending with what the page needs, nothing credited, the cap kept, the attempt not counted', () => {
    const w = reserved();
    const plan = planCompletion(pending('manual'), w, needs, NOW);
    assert.deepEqual([plan.purchase.status, plan.purchase.action, plan.purchase.attempts, plan.transfers.length, plan.events.length], ['pending', action, 0, 0, 0]);
    assert.deepEqual([w.purchased_micros, w.redeemed_day_micros], [$(1), $(20)]);
    assert.equal(plan.purchase.next_attempt_at_ms, NOW + limits.authentication_wait_ms, 'the job ends the wait then');
    assert.equal(plan.audit.action, 'credits.authentication_required');
  });

  it('asked again while it waits (a confirm before the bank\'s step): the wait keeps its first deadline, so it cannot be kept open for ever', () => {
    const first = planCompletion(pending('manual'), reserved(), needs, NOW);
    const waiting = { ...pending('manual'), action, next_attempt_at_ms: first.purchase.next_attempt_at_ms };
    const again = planCompletion(waiting, reserved(), needs, NOW + 30 * 60_000);
    assert.equal(again.purchase.next_attempt_at_ms, NOW + limits.authentication_wait_ms);
  });

  it('a reload fails at once with that reason (no backoff), is told, gives the cap back and turns auto-reload off', () => {
    const w = reserved();
    const plan = planCompletion(pending('auto_reload'), w, needs, NOW);
    assert.deepEqual([plan.purchase.status, plan.purchase.next_attempt_at_ms, plan.turn_auto_reload_off, w.reload_in_flight, w.redeemed_day_micros], ['failed', null, true, false, 0]);
    assert.deepEqual(plan.events.map((e) => [e.type, e.payload.reason]), [['auto_reload.disabled', 'authentication_required'], ['auto_reload.failed', 'authentication_required']]);
  });

  it('the confirmed payment completes the waiting purchase and clears its action; the job takes a waiting one only after the wait', () => {
    const w = reserved();
    const plan = planCompletion(pending('manual'), w, { ok: true, charge_id: 'pi_1' }, NOW);
    assert.deepEqual([plan.purchase.status, plan.purchase.action, w.purchased_micros], ['succeeded', null, $(21)]);
    const waiting = { status: 'pending', kind: 'manual' as const, created_at_ms: NOW - 3_600_000, next_attempt_at_ms: NOW + 1000, action };
    assert.equal(isDueForCharge(waiting, NOW, 0), false);
    assert.equal(isDueForCharge(waiting, NOW + 1000, 0), true);
  });
});

describe("the provider's word on a payment (Stripe's webhooks)", () => {
  const waiting = { status: 'pending', action: { payment_intent_id: 'pi_1', client_secret: 'pi_1_secret', next_action_url: null } as never };
  it('a success completes a pending purchase, unless it waits for the bank on another payment', () => {
    assert.equal(providerOutcomeApplies({ status: 'pending', action: null }, { kind: 'payment_succeeded', payment_intent_id: 'pi_9' }), true);
    assert.equal(providerOutcomeApplies(waiting, { kind: 'payment_succeeded', payment_intent_id: 'pi_1' }), true);
    assert.equal(providerOutcomeApplies(waiting, { kind: 'payment_succeeded', payment_intent_id: 'pi_2' }), false);
  });
  it('a failure ends only a purchase waiting for the bank on that payment; a finished purchase takes neither', () => {
    assert.equal(providerOutcomeApplies(waiting, { kind: 'payment_failed', payment_intent_id: 'pi_1' }), true);
    assert.equal(providerOutcomeApplies(waiting, { kind: 'payment_failed', payment_intent_id: 'pi_2' }), false);
    assert.equal(providerOutcomeApplies({ status: 'pending', action: null }, { kind: 'payment_failed', payment_intent_id: 'pi_1' }), false);
    assert.equal(providerOutcomeApplies({ ...waiting, status: 'succeeded' }, { kind: 'payment_succeeded', payment_intent_id: 'pi_1' }), false);
  });
});
