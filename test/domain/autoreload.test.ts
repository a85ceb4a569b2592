// SPEC §1.7 auto-reload: when it fires, and each reason it is skipped (example 9).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideAutoReload, type ReloadInput } from '../../src/domain/autoreload';
import { cycleAt } from '../../src/domain/cycles';
import type { AccountState, WalletState } from '../../src/domain/wallet';
import { ANCHOR, DAY_MS, NOW, account, plan, wallet } from '../fixtures/domain-state';

const $ = (dollars: number) => dollars * 1_000_000;

/** Example 9: limit $50, amount $20, threshold $5, available $2; `spent` as given. */
function example9(spent: number, overrides: { account?: Partial<AccountState>; wallet?: Partial<WalletState>; day_max?: number } = {}): ReloadInput {
  const a = account({ monthly_spend_limit_micros: $(50), auto_reload: { enabled: true, amount_micros: $(20), threshold_micros: $(5) }, ...overrides.account });
  return {
    account: a,
    plan: plan(a.plan_id ?? 'pro'),
    wallet: wallet({ purchased_micros: $(2), spent_cycle_micros: spent, ...overrides.wallet }),
    cycle: cycleAt(ANCHOR, NOW),
    now_ms: NOW,
    ...(overrides.day_max !== undefined ? { redeemed_micros_per_day_max: overrides.day_max } : {}),
  };
}

describe('example 9: a reload never takes the cycle past the monthly spend limit', () => {
  it('spent $48 of $50, reload $20, available $2 < threshold $5 → skipped, reason limit (48 + 20 > 50)', () => {
    const d = decideAutoReload(example9($(48)));
    assert.equal(d.kind, 'skip');
    assert.equal(d.kind === 'skip' && d.reason, 'limit');
    assert.deepEqual(d.kind === 'skip' && d.figures, { available_micros: $(2), threshold_micros: $(5), amount_micros: $(20), spent_micros: $(48), limit_micros: $(50) });
  });
  it('spent $30 → fires $20 (30 + 20 ≤ 50)', () => {
    assert.deepEqual(decideAutoReload(example9($(30))), { kind: 'fire', amount_micros: $(20) });
  });
  it('spent $30 + 1 micro → skipped: one micro over is over', () => {
    const d = decideAutoReload(example9($(30) + 1));
    assert.equal(d.kind === 'skip' && d.reason, 'limit');
  });
  it('with no limit (null, an explicit choice) it fires whatever was spent', () => {
    assert.equal(decideAutoReload(example9($(480), { account: { monthly_spend_limit_micros: null } })).kind, 'fire');
  });
  it('spend from an earlier cycle does not count against this one', () => {
    assert.equal(decideAutoReload(example9($(48), { wallet: { spent_cycle_start_ms: ANCHOR - 31 * DAY_MS } })).kind, 'fire');
  });
});

describe('auto-reload fires only below the threshold', () => {
  it('available ≥ threshold → nothing to do', () => {
    assert.deepEqual(decideAutoReload(example9($(30), { wallet: { purchased_micros: $(5) } })), { kind: 'none' });
  });
  it('holds count: balance $10 with $6 held is $4 available → fires', () => {
    assert.equal(decideAutoReload(example9($(30), { wallet: { purchased_micros: $(10), held_micros: $(6) } })).kind, 'fire');
  });
  it('auto-reload off, or without an amount or threshold → nothing to do', () => {
    assert.deepEqual(decideAutoReload(example9($(30), { account: { auto_reload: { enabled: false, amount_micros: $(20), threshold_micros: $(5) } } })), { kind: 'none' });
    assert.deepEqual(decideAutoReload(example9($(30), { account: { auto_reload: { enabled: true, amount_micros: null, threshold_micros: $(5) } } })), { kind: 'none' });
  });
});

describe('every other skip reason, in its order', () => {
  const reason = (input: ReloadInput) => {
    const d = decideAutoReload(input);
    return d.kind === 'skip' ? d.reason : d.kind;
  };
  it('extra_usage_off: extra usage is turned off', () => assert.equal(reason(example9($(30), { account: { extra_usage_enabled: false } })), 'extra_usage_off'));
  it('extra_usage_off: the plan lapsed', () => assert.equal(reason(example9($(30), { account: { cancel_at_ms: NOW } })), 'extra_usage_off'));
  it('extra_usage_off: a free plan', () => assert.equal(reason(example9($(30), { account: { plan_id: 'free' } })), 'extra_usage_off'));
  it('no_payment_method', () => assert.equal(reason(example9($(30), { account: { has_payment_method: false } })), 'no_payment_method'));
  it('in_flight: a reload for the account is already being charged', () => assert.equal(reason(example9($(30), { wallet: { reload_in_flight: true } })), 'in_flight'));
  it('daily_cap: $1,990 redeemed today + $20 > $2,000', () => {
    assert.equal(reason(example9($(30), { wallet: { redeemed_day: '2026-11-02', redeemed_day_micros: $(1990) } })), 'daily_cap');
  });
  it('daily_cap: yesterday’s redemptions do not count', () => {
    assert.equal(reason(example9($(30), { wallet: { redeemed_day: '2026-11-01', redeemed_day_micros: $(1990) } })), 'fire');
  });
  it('daily_cap follows the operator setting', () => {
    assert.equal(reason(example9($(30), { day_max: $(25), wallet: { redeemed_day: '2026-11-02', redeemed_day_micros: $(10) } })), 'daily_cap');
  });
  it('no_payment_method is reported before in_flight, daily_cap and limit', () => {
    assert.equal(reason(example9($(48), { account: { has_payment_method: false }, wallet: { reload_in_flight: true, redeemed_day: '2026-11-02', redeemed_day_micros: $(1990) } })), 'no_payment_method');
  });
});
