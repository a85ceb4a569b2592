// The extra-usage forecast (src/domain/forecast.ts): the pace of the last 7 UTC days, when the
// balance runs out and the limit is reached, the projected cycle, and the suggested reload and
// limit — integers only, amounts rounded up, times rounded down, every bound from limits.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forecast, type ForecastInput } from '../../src/domain/forecast';
import { limits } from '../../src/domain/limits';
import { CYCLE_END, DAY_MS, HOUR_MS, NOW } from '../fixtures/domain-state';

const $ = (dollars: number) => Math.round(dollars * 1_000_000);
/** 2026-11-02 00:00 UTC: the window is exactly the six full days before today. */
const MIDNIGHT = Date.UTC(2026, 10, 2);
const bounds = { purchase_micros_min: limits.purchase_micros_min, purchase_micros_max: limits.purchase_micros_max };

function input(overrides: Partial<ForecastInput> = {}): ForecastInput {
  return {
    available_micros: $(30),
    spent_this_cycle_micros: $(10),
    cycle_end_ms: CYCLE_END,
    monthly_spend_limit_micros: $(50),
    daily_extra_usage_micros: [0, 0, 0, 0, 0, 0, 0],
    now_ms: MIDNIGHT,
    purchase_bounds: bounds,
    ...overrides,
  };
}

describe('the forecast from a steady $2 a day', () => {
  // At midnight the window's elapsed time is the six full days: $12 / 6 = $2 a day.
  const f = forecast(input({ daily_extra_usage_micros: [$(2), $(2), $(2), $(2), $(2), $(2), 0] }));
  it('the pace: $12 in the window, $2 a day', () => {
    assert.equal(f.window_days, 7);
    assert.equal(f.window_start_ms, Date.UTC(2026, 9, 27));
    assert.equal(f.extra_usage_micros, $(12));
    assert.equal(f.per_day_micros, $(2));
  });
  it('$30 available runs out in 15 days', () => assert.equal(f.runs_out_at_ms, MIDNIGHT + 15 * DAY_MS));
  it('$40 left of the $50 limit lasts 20 days, past the cycle end (13 days away): not reached', () => assert.equal(f.limit_reached_at_ms, null));
  it('projected: $10 spent + 13 days × $2 = $36', () => assert.equal(f.projected_cycle_micros, $(36)));
  it('suggested limit: $36 × 125% = $45, rounded up to $10 → $50', () => assert.equal(f.suggested_limit_micros, $(50)));
  it('suggested reload: a week, $14, rounded up to $5 → $15; threshold two days, $4, at least $5', () =>
    assert.deepEqual(f.suggested_reload, { amount_micros: $(15), threshold_micros: $(5) }));
});

describe('edge cases', () => {
  it('no usage: nothing runs out or is reached, the projection is what was spent, the suggestions are their minimums', () => {
    const f = forecast(input({ spent_this_cycle_micros: $(10) }));
    assert.deepEqual(f, {
      as_of_ms: MIDNIGHT,
      window_days: 7,
      window_start_ms: Date.UTC(2026, 9, 27),
      extra_usage_micros: 0,
      per_day_micros: 0,
      runs_out_at_ms: null,
      limit_reached_at_ms: null,
      projected_cycle_micros: $(10),
      suggested_limit_micros: limits.suggested_limit_micros_min,
      suggested_reload: { amount_micros: limits.suggested_reload_micros_min, threshold_micros: limits.suggested_threshold_micros_min },
    });
  });
  it('zero available: the balance runs out now; a negative one (owed) too', () => {
    const daily = [$(1), $(1), $(1), $(1), $(1), $(1), 0];
    assert.equal(forecast(input({ available_micros: 0, daily_extra_usage_micros: daily })).runs_out_at_ms, MIDNIGHT);
    assert.equal(forecast(input({ available_micros: -$(3), daily_extra_usage_micros: daily })).runs_out_at_ms, MIDNIGHT);
  });
  it('usage only today counts: $1.53 by 09:00 is $1.53 over 6 days 9 hours = $0.24 a day', () => {
    const f = forecast(input({ now_ms: NOW, daily_extra_usage_micros: [0, 0, 0, 0, 0, 0, 1_530_000] }));
    assert.equal(f.extra_usage_micros, 1_530_000);
    assert.equal(f.per_day_micros, 240_000); // 1,530,000 × 24 / 153 exactly
    assert.equal(f.runs_out_at_ms, NOW + 125 * DAY_MS); // $30 / $0.24
  });
  it('a cycle ending in an hour: the projection adds one hour of pace; the limit one hour away is not reached before the reset', () => {
    const daily = [$(24), $(24), $(24), $(24), $(24), $(24), 0]; // $24 a day = $1 an hour
    const soon = input({ daily_extra_usage_micros: daily, cycle_end_ms: MIDNIGHT + HOUR_MS, spent_this_cycle_micros: $(49) });
    const f = forecast(soon);
    assert.equal(f.projected_cycle_micros, $(50));
    assert.equal(f.limit_reached_at_ms, null, '$1 left lasts exactly the hour: reached at the reset, not before');
    assert.equal(forecast({ ...soon, spent_this_cycle_micros: $(49.5) }).limit_reached_at_ms, MIDNIGHT + HOUR_MS / 2);
  });
  it('the limit already reached: reached now', () => {
    const f = forecast(input({ spent_this_cycle_micros: $(60), daily_extra_usage_micros: [$(1), 0, 0, 0, 0, 0, 0] }));
    assert.equal(f.limit_reached_at_ms, MIDNIGHT);
  });
  it('no monthly limit: nothing to reach', () => {
    assert.equal(forecast(input({ monthly_spend_limit_micros: null, daily_extra_usage_micros: [$(9), 0, 0, 0, 0, 0, 0] })).limit_reached_at_ms, null);
  });
  it('rounding: the pace rounds up (10 micros over 6 days is 2 a day), the run-out rounds down', () => {
    const f = forecast(input({ available_micros: 5, daily_extra_usage_micros: [10, 0, 0, 0, 0, 0, 0] }));
    assert.equal(f.per_day_micros, 2);
    assert.equal(f.runs_out_at_ms, MIDNIGHT + 2 * DAY_MS + DAY_MS / 2);
    assert.equal(forecast(input({ available_micros: 1, daily_extra_usage_micros: [0, 0, 0, 0, 0, 0, 0] })).per_day_micros, 0);
    // 3 micros over 6 days is 0.5 a day, rounded up to 1: 7 micros available last 7 days.
    assert.equal(forecast(input({ available_micros: 7, daily_extra_usage_micros: [0, 0, 0, 0, 0, 3, 0] })).runs_out_at_ms, MIDNIGHT + 7 * DAY_MS);
  });
  it('further than the horizon (365 days): no date', () => {
    const f = forecast(input({ available_micros: $(1000), daily_extra_usage_micros: [$(1), 0, 0, 0, 0, 0, 0] }));
    assert.equal(f.per_day_micros, 166_667);
    assert.equal(f.runs_out_at_ms, null);
    // 365 days × $1/6 a day, rounded up, lasts to the horizon's last day.
    const just = forecast(input({ available_micros: 166_667 * 365, daily_extra_usage_micros: [$(1), 0, 0, 0, 0, 0, 0] }));
    assert.equal(just.runs_out_at_ms, MIDNIGHT + limits.forecast_horizon_days * DAY_MS);
  });
  it('a suggested reload stays within the purchase bounds', () => {
    const heavy = forecast(input({ daily_extra_usage_micros: [$(900), $(900), $(900), $(900), $(900), $(900), 0] }));
    assert.equal(heavy.suggested_reload.amount_micros, limits.purchase_micros_max);
    const min15 = forecast(input({ purchase_bounds: { purchase_micros_min: $(15), purchase_micros_max: $(2500) } }));
    assert.equal(min15.suggested_reload.amount_micros, $(15));
  });
  it('taken as of the hour: every read within it gives the same figures, the next hour a new one', () => {
    const today = [$(2), $(2), $(2), $(2), $(2), $(2), $(1)];
    const at = (ms: number) => forecast(input({ now_ms: ms, daily_extra_usage_micros: today }));
    const nine = at(NOW);
    assert.equal(nine.as_of_ms, NOW);
    assert.deepEqual(at(NOW + 59 * 60_000 + 59_999), nine);
    assert.equal(at(NOW + HOUR_MS).as_of_ms, NOW + HOUR_MS);
    assert.ok(at(NOW + HOUR_MS).per_day_micros < nine.per_day_micros, 'the same usage over a longer time is a slower pace');
  });
  it('a broken input is a bug: the wrong number of days, a negative day, a cycle already over', () => {
    assert.throws(() => forecast(input({ daily_extra_usage_micros: [0, 0, 0] })), /7 days/);
    assert.throws(() => forecast(input({ daily_extra_usage_micros: [0, 0, 0, 0, 0, 0, -1] })), /≥ 0/);
    assert.throws(() => forecast(input({ daily_extra_usage_micros: [0, 0, 0, 0, 0, 0, 0.5] })), /whole micros/);
    assert.throws(() => forecast(input({ cycle_end_ms: MIDNIGHT })), /cycle ends after now/);
  });
});

describe('properties: every figure is a whole, non-negative number and the suggestions follow their rule', () => {
  const amount = fc.integer({ min: 0, max: limits.amount_micros_max });
  const arb = fc.record({
    available_micros: fc.integer({ min: -limits.amount_micros_max, max: limits.amount_micros_max }),
    spent_this_cycle_micros: amount,
    monthly_spend_limit_micros: fc.option(amount, { nil: null }),
    daily_extra_usage_micros: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), amount), { minLength: 7, maxLength: 7 }),
    now_ms: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
    cycle_left_ms: fc.integer({ min: 1, max: 31 * DAY_MS }),
  });
  it('holds for any account state', () => {
    fc.assert(
      fc.property(arb, ({ cycle_left_ms, ...rest }) => {
        const f = forecast({ ...rest, cycle_end_ms: rest.now_ms + cycle_left_ms, purchase_bounds: bounds });
        const figures = [
          f.window_start_ms,
          f.extra_usage_micros,
          f.per_day_micros,
          f.projected_cycle_micros,
          f.suggested_limit_micros,
          f.suggested_reload.amount_micros,
          f.suggested_reload.threshold_micros,
          ...(f.runs_out_at_ms === null ? [] : [f.runs_out_at_ms]),
          ...(f.limit_reached_at_ms === null ? [] : [f.limit_reached_at_ms]),
        ];
        for (const n of figures) assert.ok(Number.isSafeInteger(n) && n >= 0, `${n} is a whole non-negative number`);
        const used = rest.daily_extra_usage_micros.reduce((s, d) => s + d, 0);
        assert.equal(f.extra_usage_micros, used);
        assert.equal(f.per_day_micros === 0, used === 0, 'no pace only without usage');
        // The pace is at least the window's usage spread over its 7 days, and at most over its 6 full ones.
        assert.ok(f.per_day_micros * 7 >= used && f.per_day_micros <= Math.ceil(used / 6), `pace ${f.per_day_micros} for ${used}`);
        assert.ok(f.as_of_ms <= rest.now_ms && rest.now_ms < f.as_of_ms + limits.forecast_resolution_ms);
        if (f.runs_out_at_ms !== null) assert.ok(f.runs_out_at_ms >= f.as_of_ms && f.runs_out_at_ms <= f.as_of_ms + limits.forecast_horizon_days * DAY_MS);
        if (f.limit_reached_at_ms !== null) assert.ok(f.limit_reached_at_ms >= f.as_of_ms && f.limit_reached_at_ms < rest.now_ms + cycle_left_ms);
        assert.ok(f.projected_cycle_micros >= rest.spent_this_cycle_micros);
        assert.equal(f.suggested_limit_micros % limits.suggested_limit_step_micros, 0);
        assert.ok(f.suggested_limit_micros >= Math.max(limits.suggested_limit_micros_min, f.projected_cycle_micros));
        assert.equal(f.suggested_reload.threshold_micros % limits.suggested_threshold_step_micros, 0);
        assert.ok(f.suggested_reload.threshold_micros >= limits.suggested_threshold_micros_min);
        assert.ok(f.suggested_reload.amount_micros >= limits.suggested_reload_micros_min && f.suggested_reload.amount_micros <= bounds.purchase_micros_max);
        assert.equal(f.suggested_reload.amount_micros % limits.card_charge_unit_micros, 0, 'a reload a card can be charged');
      }),
      { numRuns: 2000 },
    );
  });
});
