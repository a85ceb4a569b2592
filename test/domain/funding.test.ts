// Who pays for a request (SPEC §1.4), the hard cap (§1.6), holds and settlement (§1.8), in pure
// code: decideAuthorization, computeCharge, applyHold/releaseHold/applyCharge, decideEventFunding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyCharge,
  applyHold,
  beyondHold,
  computeCharge,
  decideAuthorization,
  decideEventFunding,
  endLateHold,
  expireHold,
  releaseHold,
  type AuthorizeInput,
  type Funding,
  type SeatWindows,
} from '../../src/domain/funding';
import type { Plan } from '../../src/domain/catalog';
import { usageOf } from '../../src/domain/pricing';
import type { WindowState } from '../../src/domain/cycles';
import { ANCHOR, CYCLE_END, CYCLE_START, DAY_MS, HOUR_MS, NOW, account, app, model, plan, price, wallet } from '../fixtures/domain-state';

type ModelId = 'claude-haiku-4-5' | 'claude-sonnet-4-5' | 'claude-opus-4-5';

/** A Pro plan with tiny windows: rolling_5h of 100 tokens and weekly of 1,000. */
const tiny: Plan = { ...plan('pro'), windows: [{ kind: 'rolling_5h', limit_tokens: 100 }, { kind: 'weekly', limit_tokens: 1000 }] };
const ROLLING_OPENED = NOW - HOUR_MS; // so it resets at NOW + 4 h
const WEEK_START = ANCHOR + 14 * DAY_MS; // NOW is 18.4 days after the anchor

function windows(rolling_used: number, weekly_used = 0): SeatWindows {
  const m: SeatWindows = new Map<WindowState['kind'], WindowState>();
  m.set('rolling_5h', { kind: 'rolling_5h', start_ms: ROLLING_OPENED, used_tokens: rolling_used, held_tokens: 0 });
  m.set('weekly', { kind: 'weekly', start_ms: WEEK_START, used_tokens: weekly_used, held_tokens: 0 });
  return m;
}

function input(overrides: Partial<Omit<AuthorizeInput, 'model' | 'price' | 'app'>> & { app?: string; model?: ModelId } = {}): AuthorizeInput {
  const model_id = overrides.model ?? 'claude-haiku-4-5';
  return {
    account: account(),
    plan: tiny,
    wallet: wallet({ purchased_micros: 20_000_000 }),
    seat_windows: windows(0),
    input_tokens: 7,
    max_output_tokens: 3,
    now_ms: NOW,
    ...overrides,
    app: app(overrides.app ?? 'web'),
    model: model(model_id),
    price: price(model_id),
  };
}

function refusalOf(i: AuthorizeInput) {
  const d = decideAuthorization(i);
  assert.equal(d.ok, false, `expected a refusal, got ${JSON.stringify(d)}`);
  return d.ok ? assert.fail() : d.refusal;
}

function fundingOf(i: AuthorizeInput): Funding {
  const d = decideAuthorization(i);
  if (!d.ok) assert.fail(`refused ${d.refusal.type}: ${d.refusal.message}`);
  return d.value;
}

describe('first-party apps use the plan allowance first (SPEC §1.4)', () => {
  it('with room in every window the allowance pays it all and nothing is held in money', () => {
    const f = fundingOf(input({ seat_windows: windows(90, 900) }));
    assert.equal(f.source, 'allowance');
    assert.equal(f.reason, 'first_party_allowance');
    assert.equal(f.allowance_tokens, 10);
    assert.equal(f.held_micros, 0);
    assert.deepEqual(f.windows, [
      { kind: 'rolling_5h', start_ms: ROLLING_OPENED },
      { kind: 'weekly', start_ms: WEEK_START },
    ]);
  });

  it('example 7, mixed: web, haiku, input 7, output 3 (T = 10), room R = 3 → allowance 3, extra usage ⌈22 × 7 / 10⌉ = 16', () => {
    const f = fundingOf(input({ seat_windows: windows(97) }));
    assert.equal(f.source, 'mixed');
    assert.equal(f.reason, 'first_party_mixed');
    assert.equal(f.allowance_tokens, 3);
    assert.equal(f.held_micros, 16);
    assert.equal(f.max_cost_micros, 22);
    const charge = computeCharge(f, model('claude-haiku-4-5'), price('claude-haiku-4-5'), usageOf({ input_tokens: 7, output_tokens: 3 }));
    assert.deepEqual(charge, { cost_micros: 22, allowance_tokens: 3, extra_usage_micros: 16 });
  });

  it('the room is the smallest over the windows: every window must have room', () => {
    const f = fundingOf(input({ seat_windows: windows(0, 997) }));
    assert.equal(f.source, 'mixed');
    assert.equal(f.allowance_tokens, 3);
  });

  it('with no room left, overflow: extra usage pays the whole hold', () => {
    const f = fundingOf(input({ seat_windows: windows(100) }));
    assert.equal(f.source, 'extra_usage');
    assert.equal(f.reason, 'first_party_overflow');
    assert.equal(f.allowance_tokens, 0);
    assert.equal(f.held_micros, 22);
    assert.deepEqual(f.windows, []);
  });

  it('with extra usage off and no room: allowance_exhausted, saying when it resets', () => {
    const r = refusalOf(input({ account: account({ extra_usage_enabled: false }), seat_windows: windows(97) }));
    assert.equal(r.type, 'allowance_exhausted');
    assert.equal(r.figures.resets_at, new Date(ROLLING_OPENED + 5 * HOUR_MS).toISOString());
    assert.equal(r.figures.allowance_tokens_required, 10);
    assert.equal(r.figures.allowance_tokens_left, 3);
    assert.equal(r.figures.extra_usage_enabled, false);
    assert.match(r.message, /resets at 2026-11-02T13:00:00.000Z/);
    assert.match(r.message, /Turn on extra usage/);
  });

  it('allowance_exhausted names the latest reset among the windows that are short', () => {
    const r = refusalOf(input({ account: account({ extra_usage_enabled: false }), seat_windows: windows(100, 1000) }));
    assert.equal(r.figures.resets_at, new Date(WEEK_START + 7 * DAY_MS).toISOString());
  });

  it('a request larger than a whole window is told to lower max_output_tokens, not to wait', () => {
    const r = refusalOf(input({ account: account({ extra_usage_enabled: false }), input_tokens: 50, max_output_tokens: 51 }));
    assert.equal(r.type, 'allowance_exhausted');
    assert.match(r.message, /lower max_output_tokens/);
  });

  it('on the free plan an exhausted allowance says to upgrade, since extra usage is not allowed', () => {
    const free: Plan = { ...plan('free'), windows: [{ kind: 'rolling_5h', limit_tokens: 100 }] };
    const r = refusalOf(input({ account: account({ plan_id: 'free' }), plan: free, seat_windows: windows(100) }));
    assert.equal(r.type, 'allowance_exhausted');
    assert.match(r.message, /Upgrade to a paid plan/);
  });

  it('a lapsed plan refuses first-party requests with plan_required', () => {
    const r = refusalOf(input({ account: account({ cancel_at_ms: NOW - 1 }) }));
    assert.equal(r.type, 'plan_required');
    assert.equal(r.figures.plan_status, 'lapsed');
  });

  it('a mixed request still meets the balance checks for its extra part, and says when the allowance resets', () => {
    const r = refusalOf(input({ seat_windows: windows(97), wallet: wallet({ purchased_micros: 15 }) }));
    assert.equal(r.type, 'insufficient_balance');
    assert.equal(r.figures.required_micros, 16);
    assert.equal(r.figures.allowance_resets_at, new Date(ROLLING_OPENED + 5 * HOUR_MS).toISOString());
  });
});

describe('third-party apps use extra usage only (SPEC §1.4, example 8)', () => {
  const example1 = { app: 'claude-code', model: 'claude-sonnet-4-5' as const, input_tokens: 1000, max_output_tokens: 200 };

  it('example 8: claude-code, sonnet 1,000 in / 200 out, plan with room → extra usage pays 6,000, allowance untouched', () => {
    const seat_windows = windows(0);
    const before = structuredClone([...seat_windows.entries()]);
    const i = input({ ...example1, seat_windows });
    const f = fundingOf(i);
    assert.equal(f.source, 'extra_usage');
    assert.equal(f.reason, 'third_party_extra_usage_only');
    assert.equal(f.allowance_tokens, 0);
    assert.equal(f.held_micros, 6000);
    assert.deepEqual(f.windows, []);

    applyHold(i.wallet, seat_windows, f);
    assert.equal(i.wallet.held_micros, 6000);
    releaseHold(i.wallet, seat_windows, f);
    const charge = computeCharge(f, model('claude-sonnet-4-5'), price('claude-sonnet-4-5'), usageOf({ input_tokens: 1000, output_tokens: 200 }));
    assert.deepEqual(charge, { cost_micros: 6000, allowance_tokens: 0, extra_usage_micros: 6000 });
    const draws = applyCharge(i.account, i.wallet, seat_windows, f.windows, charge, NOW);
    assert.deepEqual(draws, [{ grant_id: null, amount_micros: 6000 }]);
    assert.equal(i.wallet.purchased_micros, 20_000_000 - 6000);
    assert.equal(i.wallet.held_micros, 0);
    assert.deepEqual([...seat_windows.entries()], before, 'the allowance windows did not move');
  });

  it('on the free plan: plan_required (extra usage needs a paid plan)', () => {
    const r = refusalOf(input({ ...example1, account: account({ plan_id: 'free' }), plan: plan('free') }));
    assert.equal(r.type, 'plan_required');
    assert.equal(r.figures.app, 'claude-code');
  });

  it('on a lapsed plan: plan_required, mentioning renewal', () => {
    const r = refusalOf(input({ ...example1, account: account({ cancel_at_ms: NOW }) }));
    assert.equal(r.type, 'plan_required');
    assert.match(r.message, /lapsed/);
  });

  it('a cancelling plan is active until its end', () => {
    assert.equal(fundingOf(input({ ...example1, account: account({ cancel_at_ms: NOW + 1 }) })).source, 'extra_usage');
  });

  it('with extra usage off: extra_usage_required, even though the allowance has room', () => {
    const r = refusalOf(input({ ...example1, account: account({ extra_usage_enabled: false }) }));
    assert.equal(r.type, 'extra_usage_required');
    assert.equal(r.figures.extra_usage_enabled, false);
  });

  it('with extra usage on but an empty balance: extra_usage_required, saying to add credits', () => {
    const r = refusalOf(input({ ...example1, wallet: wallet({ purchased_micros: 0 }) }));
    assert.equal(r.type, 'extra_usage_required');
    assert.match(r.message, /add credits/);
  });
});

describe('extra-usage checks, in the documented order (SPEC §1.6, §1.8)', () => {
  const opus = { app: 'claude-code', model: 'claude-opus-4-5' as const, input_tokens: 1000, max_output_tokens: 4000 }; // holds 105,000

  it('negative_balance: after a settlement above its hold, new requests wait until it is paid back', () => {
    const r = refusalOf(input({ ...opus, wallet: wallet({ purchased_micros: -7500 }) }));
    assert.equal(r.type, 'negative_balance');
    assert.equal(r.figures.owed_micros, 7500);
    assert.equal(r.figures.balance_micros, -7500);
  });

  it('negative_balance wins over a live grant that would cover the hold', () => {
    const r = refusalOf(input({ ...opus, wallet: wallet({ purchased_micros: -1, grants: [{ id: 'g', remaining_micros: 1_000_000, expires_at_ms: null }] }) }));
    assert.equal(r.type, 'negative_balance');
  });

  it('insufficient_balance: available (balance − holds) below the hold, with the figures', () => {
    const r = refusalOf(input({ ...opus, wallet: wallet({ purchased_micros: 200_000, held_micros: 100_000 }) }));
    assert.equal(r.type, 'insufficient_balance');
    assert.deepEqual(r.figures, { balance_micros: 200_000, held_micros: 100_000, available_micros: 100_000, required_micros: 105_000 });
  });

  it('an exact fit of the balance is allowed', () => {
    assert.equal(fundingOf(input({ ...opus, wallet: wallet({ purchased_micros: 205_000, held_micros: 100_000 }) })).held_micros, 105_000);
  });

  it('spend_limit_reached: spent + held + this hold > limit, with the figures and the cycle end', () => {
    const r = refusalOf(
      input({ ...opus, account: account({ monthly_spend_limit_micros: 5_000_000 }), wallet: wallet({ purchased_micros: 20_000_000, spent_cycle_micros: 4_800_000, held_micros: 100_000 }) }),
    );
    assert.equal(r.type, 'spend_limit_reached');
    assert.deepEqual(r.figures, { limit_micros: 5_000_000, spent_micros: 4_800_000, held_micros: 100_000, late_held_micros: 0, required_micros: 105_000, resets_at: new Date(CYCLE_END).toISOString() });
    assert.match(r.message, /\$5\.00 monthly limit/);
  });

  it('spend limit: expired holds in their late-settlement window still count (SPEC §1.6), though not against the balance', () => {
    const w = wallet({ purchased_micros: 20_000_000, spent_cycle_micros: 0, held_micros: 0, late_held_micros: 4_935_000 });
    const r = refusalOf(input({ ...opus, account: account({ monthly_spend_limit_micros: 5_000_000 }), wallet: w }));
    assert.equal(r.type, 'spend_limit_reached');
    assert.equal(r.figures.late_held_micros, 4_935_000);
    assert.match(r.message, /expired holds that may still be settled/);
    const unlimited = fundingOf(input({ ...opus, account: account({ monthly_spend_limit_micros: null }), wallet: w }));
    assert.equal(unlimited.held_micros, 105_000, 'the balance does not count them');
  });

  it('expiry moves a hold from the balance to the late count; a late settlement or the end of the window takes it off', () => {
    const w = wallet({ purchased_micros: 20_000_000 });
    const f = fundingOf(input({ ...opus, account: account({ monthly_spend_limit_micros: 5_000_000 }), wallet: w }));
    applyHold(w, new Map(), f);
    assert.deepEqual([w.held_micros, w.late_held_micros], [105_000, 0]);
    assert.equal(expireHold(w, new Map(), f), true);
    assert.deepEqual([w.held_micros, w.late_held_micros], [0, 105_000]);
    endLateHold(w, f);
    assert.deepEqual([w.held_micros, w.late_held_micros], [0, 0]);
    assert.throws(() => endLateHold(w, f), /invariant/);
  });

  it('cache_write: a hold prices its input at the declared rate (5m: the cache-write rate, 1h: twice the input rate)', () => {
    const wide = account({ monthly_spend_limit_micros: null });
    const w = () => wallet({ purchased_micros: 20_000_000 });
    // opus: input $5, cache write $6.25, output $25 per MTok; 1,000 in, 4,000 out.
    assert.equal(fundingOf(input({ ...opus, account: wide, wallet: w() })).held_micros, 105_000);
    assert.equal(fundingOf(input({ ...opus, account: wide, wallet: w(), cache_write: '5m' })).held_micros, 106_250);
    assert.equal(fundingOf(input({ ...opus, account: wide, wallet: w(), cache_write: '1h' })).held_micros, 110_000);
  });

  it('beyondHold: a settlement costing more than the hold covered (undeclared cache writes, more tokens) is flagged', () => {
    const f = fundingOf(input({ ...opus, account: account({ monthly_spend_limit_micros: null }), wallet: wallet({ purchased_micros: 20_000_000 }) }));
    const within = computeCharge(f, model('claude-opus-4-5'), price('claude-opus-4-5'), { input_tokens: 1000, output_tokens: 4000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const undeclared = computeCharge(f, model('claude-opus-4-5'), price('claude-opus-4-5'), { input_tokens: 0, output_tokens: 4000, cache_creation_input_tokens: 1000, cache_read_input_tokens: 0 });
    assert.equal(beyondHold(f, within), false);
    assert.equal(undeclared.cost_micros, 106_250);
    assert.equal(beyondHold(f, undeclared), true);
  });

  it('spend limit: spent + held + hold exactly equal to the limit is allowed', () => {
    const f = fundingOf(input({ ...opus, account: account({ monthly_spend_limit_micros: 5_000_000 }), wallet: wallet({ purchased_micros: 20_000_000, spent_cycle_micros: 4_795_000, held_micros: 100_000 }) }));
    assert.equal(f.held_micros, 105_000);
  });

  it('spend limit: what was spent in an earlier cycle does not count', () => {
    const f = fundingOf(input({ ...opus, account: account({ monthly_spend_limit_micros: 5_000_000 }), wallet: wallet({ purchased_micros: 20_000_000, spent_cycle_micros: 5_000_000, spent_cycle_start_ms: CYCLE_START - 31 * DAY_MS }) }));
    assert.equal(f.held_micros, 105_000);
  });

  it('example 5 in pure code: limit $5, balance $20, holds of 105,000 one after another → exactly 47 fit (4,935,000)', () => {
    const w = wallet({ purchased_micros: 20_000_000 });
    const a = account({ monthly_spend_limit_micros: 5_000_000 });
    let held = 0;
    const refused = new Set<string>();
    for (let n = 0; n < 300; n++) {
      const d = decideAuthorization(input({ ...opus, account: a, wallet: w }));
      if (d.ok) {
        applyHold(w, new Map(), d.value);
        held += 1;
      } else refused.add(d.refusal.type);
    }
    assert.equal(held, 47);
    assert.equal(w.held_micros, 4_935_000);
    assert.deepEqual([...refused], ['spend_limit_reached']);
  });

  it('insufficient balance is checked before the spend limit', () => {
    const r = refusalOf(input({ ...opus, account: account({ monthly_spend_limit_micros: 1 }), wallet: wallet({ purchased_micros: 1 }) }));
    assert.equal(r.type, 'insufficient_balance');
  });

  it('promotional grants count towards the balance until they expire', () => {
    const grants = [{ id: 'g', remaining_micros: 105_000, expires_at_ms: NOW + 1 }];
    assert.equal(fundingOf(input({ ...opus, wallet: wallet({ grants }) })).held_micros, 105_000);
    const r = refusalOf(input({ ...opus, wallet: wallet({ grants: [{ id: 'g', remaining_micros: 105_000, expires_at_ms: NOW }] }) }));
    assert.equal(r.type, 'extra_usage_required'); // the only credit expired: the balance is empty
  });
});

describe('holds reserve and settlement charges what happened (SPEC §1.8)', () => {
  it('a hold reserves allowance in every window and money on the wallet; release gives both back', () => {
    const i = input({ seat_windows: windows(97) });
    const f = fundingOf(i);
    applyHold(i.wallet, i.seat_windows, f);
    assert.equal(i.wallet.held_micros, 16);
    assert.equal(i.seat_windows.get('rolling_5h')!.held_tokens, 3);
    assert.equal(i.seat_windows.get('weekly')!.held_tokens, 3);
    // The room is gone: the next identical request overflows entirely.
    assert.equal(fundingOf(i).source, 'extra_usage');
    releaseHold(i.wallet, i.seat_windows, f);
    assert.equal(i.wallet.held_micros, 0);
    assert.equal(i.seat_windows.get('rolling_5h')!.held_tokens, 0);
  });

  it('a hold in a window that has since rolled over releases nothing from the new window', () => {
    const i = input({ seat_windows: windows(0) });
    const f = fundingOf(i);
    applyHold(i.wallet, i.seat_windows, f);
    const rolling = i.seat_windows.get('rolling_5h')!;
    Object.assign(rolling, { start_ms: NOW + 5 * HOUR_MS, used_tokens: 0, held_tokens: 4 }); // a newer window with its own hold
    releaseHold(i.wallet, i.seat_windows, f);
    assert.equal(rolling.held_tokens, 4);
  });

  it('example 6: settle above the hold — sonnet 1,000 in / 1,000 max out holds 18,000; output 1,500 charges 25,500 in full', () => {
    const i = input({ app: 'claude-code', model: 'claude-sonnet-4-5', input_tokens: 1000, max_output_tokens: 1000, wallet: wallet({ purchased_micros: 20_000 }) });
    const f = fundingOf(i);
    assert.equal(f.held_micros, 18_000);
    applyHold(i.wallet, i.seat_windows, f);
    releaseHold(i.wallet, i.seat_windows, f);
    const charge = computeCharge(f, model('claude-sonnet-4-5'), price('claude-sonnet-4-5'), usageOf({ input_tokens: 1000, output_tokens: 1500 }));
    assert.equal(charge.extra_usage_micros, 25_500);
    applyCharge(i.account, i.wallet, i.seat_windows, f.windows, charge, NOW);
    assert.equal(i.wallet.purchased_micros, -5_500, 'the balance went below zero');
    assert.equal(refusalOf(input({ app: 'claude-code', wallet: i.wallet })).type, 'negative_balance');
  });

  it('an allowance-funded request is charged all its real tokens to the allowance, even past its hold', () => {
    const charge = computeCharge({ source: 'allowance', allowance_tokens: 10 }, model('claude-haiku-4-5'), price('claude-haiku-4-5'), usageOf({ input_tokens: 7, output_tokens: 30 }));
    assert.deepEqual(charge, { cost_micros: 157, allowance_tokens: 37, extra_usage_micros: 0 });
  });

  it('mixed: the allowance takes at most its reserved room; usage under the room costs no money', () => {
    const funding = { source: 'mixed' as const, allowance_tokens: 3 };
    assert.deepEqual(computeCharge(funding, model('claude-haiku-4-5'), price('claude-haiku-4-5'), usageOf({ input_tokens: 2 })), { cost_micros: 2, allowance_tokens: 2, extra_usage_micros: 0 });
    // Longer than the hold: 7 in + 13 out = 20 tokens, cost 72; extra ⌈72 × 17 / 20⌉ = ⌈61.2⌉ = 62.
    assert.deepEqual(computeCharge(funding, model('claude-haiku-4-5'), price('claude-haiku-4-5'), usageOf({ input_tokens: 7, output_tokens: 13 })), { cost_micros: 72, allowance_tokens: 3, extra_usage_micros: 62 });
  });

  it('mixed with only cache reads (0 allowance tokens): extra usage pays the cost', () => {
    const charge = computeCharge({ source: 'mixed', allowance_tokens: 3 }, model('claude-haiku-4-5'), price('claude-haiku-4-5'), usageOf({ cache_read_input_tokens: 50 }));
    assert.deepEqual(charge, { cost_micros: 5, allowance_tokens: 0, extra_usage_micros: 5 });
  });

  it('a charge adds to this cycle’s spend counter, starting it afresh in a new cycle', () => {
    const w = wallet({ purchased_micros: 1000, spent_cycle_micros: 999, spent_cycle_start_ms: CYCLE_START - 31 * DAY_MS });
    applyCharge(account(), w, new Map(), [], { cost_micros: 10, allowance_tokens: 0, extra_usage_micros: 10 }, NOW);
    assert.equal(w.spent_cycle_start_ms, CYCLE_START);
    assert.equal(w.spent_cycle_micros, 10);
  });

  it('allowance usage lands in the window it was held in, and counts toward the room', () => {
    const i = input({ seat_windows: windows(50) });
    const f = fundingOf(i);
    applyHold(i.wallet, i.seat_windows, f);
    releaseHold(i.wallet, i.seat_windows, f);
    const charge = computeCharge(f, model('claude-haiku-4-5'), price('claude-haiku-4-5'), usageOf({ input_tokens: 7, output_tokens: 3 }));
    assert.deepEqual(applyCharge(i.account, i.wallet, i.seat_windows, f.windows, charge, NOW), []);
    assert.equal(i.seat_windows.get('rolling_5h')!.used_tokens, 60);
    assert.equal(i.seat_windows.get('weekly')!.used_tokens, 10);
  });
});

describe('usage events without a hold pick a source the same way and are never refused (SPEC §1.8)', () => {
  const usage = usageOf({ input_tokens: 7, output_tokens: 3 });
  const event = (overrides: Parameters<typeof input>[0] = {}) => {
    const { input_tokens: _i, max_output_tokens: _m, ...rest } = input(overrides);
    return decideEventFunding({ ...rest, usage });
  };
  it('third-party: extra usage, even with an empty balance', () => {
    const f = event({ app: 'cursor', wallet: wallet() });
    assert.equal(f.source, 'extra_usage');
    assert.equal(f.reason, 'third_party_extra_usage_only');
  });
  it('first-party: allowance, mixed or overflow by the room left', () => {
    assert.equal(event({ seat_windows: windows(0) }).source, 'allowance');
    const mixed = event({ seat_windows: windows(97) });
    assert.equal(mixed.source, 'mixed');
    assert.equal(mixed.allowance_tokens, 3);
    assert.equal(event({ seat_windows: windows(100) }).source, 'extra_usage');
  });
  it('first-party with extra usage off: the allowance takes it, over its limit, rather than charge switched-off credits', () => {
    const f = event({ account: account({ extra_usage_enabled: false }), seat_windows: windows(100) });
    assert.equal(f.source, 'allowance');
    assert.equal(f.allowance_tokens, 10);
  });
});
