// SPEC §1.7: an auto-reload amount is a purchase (between the minimum and maximum purchase, in
// whole cents), decided in planExtraUsageChange with the figures and a remedy in dollars.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planExtraUsageChange } from '../../src/domain/settings';
import { limits } from '../../src/domain/limits';
import { account } from '../fixtures/domain-state';

const bounds = { purchase_micros_min: limits.purchase_micros_min, purchase_micros_max: limits.purchase_micros_max };
const reload = (amount_micros: number) =>
  planExtraUsageChange(account(), { auto_reload: { enabled: true, amount_micros, threshold_micros: 5_000_000 } }, bounds);

describe('planExtraUsageChange: the auto-reload amount', () => {
  for (const amount of [limits.purchase_micros_min, 20_000_000, limits.purchase_micros_max]) {
    it(`${amount} micros is allowed`, () => assert.equal(reload(amount).ok, true));
  }
  for (const amount of [limits.purchase_micros_min - 10_000, limits.purchase_micros_max + 10_000]) {
    it(`${amount} micros is refused with {amount_micros, min_micros, max_micros} and the bounds in dollars`, () => {
      const r = reload(amount);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.type, 'invalid_request');
      assert.deepEqual(r.error.figures, { field: 'auto_reload.amount_micros', amount_micros: amount, min_micros: 5_000_000, max_micros: 2_500_000_000 });
      assert.match(r.error.message, /between \$5\.00 and \$2,500\.00.*Choose an amount in that range/);
    });
  }
  it('$20.000001 is refused: a reload is a card charge, in whole cents', () => {
    const r = reload(20_000_001);
    assert.deepEqual(r.ok ? null : [r.error.type, r.error.figures.field, r.error.figures.amount_micros], [
      'invalid_request',
      'auto_reload.amount_micros',
      20_000_001,
    ]);
    assert.match(r.ok ? '' : r.error.message, /whole cents.*Round it to whole cents/);
  });
  it('a refused amount leaves the account as it was', () => {
    const a = account();
    planExtraUsageChange(a, { enabled: false, auto_reload: { enabled: true, amount_micros: 1, threshold_micros: 5_000_000 } }, bounds);
    assert.deepEqual([a.extra_usage_enabled, a.auto_reload], [true, { enabled: false, amount_micros: null, threshold_micros: null }]);
  });
  it('the operator bounds are the ones applied', () => {
    const r = planExtraUsageChange(
      account(),
      { auto_reload: { amount_micros: 20_000_000 } },
      { purchase_micros_min: 1_000_000, purchase_micros_max: 10_000_000 },
    );
    assert.deepEqual(r.ok ? null : r.error.figures.max_micros, 10_000_000);
  });
});
