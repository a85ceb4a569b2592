// SPEC §1.5: balance parts and the consumption order — promotional grants soonest-expiring
// first, then grants without expiry, then purchased credits; expired grants are never drawn.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableMicros, balanceMicros, drawFromWallet, extraUsageAllowed, planStatusAt, promotionalMicros, redeemedToday, spentThisCycle, addRedeemed } from '../../src/domain/wallet';
import { cycleAt } from '../../src/domain/cycles';
import { ANCHOR, DAY_MS, HOUR_MS, NOW, account, plan, wallet } from '../fixtures/domain-state';

const grants = () => [
  { id: 'g_late', remaining_micros: 100, expires_at_ms: NOW + 10 * DAY_MS },
  { id: 'g_forever', remaining_micros: 30, expires_at_ms: null },
  { id: 'g_soon', remaining_micros: 50, expires_at_ms: NOW + DAY_MS },
  { id: 'g_expired', remaining_micros: 999, expires_at_ms: NOW - 1 },
  { id: 'g_expires_now', remaining_micros: 7, expires_at_ms: NOW },
];

describe('drawFromWallet takes promotional credit soonest-expiring first, then purchased', () => {
  it('250 from grants of 50 (1 day), 100 (10 days), 30 (no expiry) and 1,000 purchased', () => {
    const w = wallet({ purchased_micros: 1000, grants: grants() });
    const draws = drawFromWallet(w, 250, NOW);
    assert.deepEqual(draws, [
      { grant_id: 'g_soon', amount_micros: 50 },
      { grant_id: 'g_late', amount_micros: 100 },
      { grant_id: 'g_forever', amount_micros: 30 },
      { grant_id: null, amount_micros: 70 },
    ]);
    assert.equal(w.purchased_micros, 930);
  });

  it('expired grants (including one expiring this instant) are skipped and keep their remainder for the expiry job', () => {
    const w = wallet({ purchased_micros: 1000, grants: grants() });
    drawFromWallet(w, 250, NOW);
    assert.equal(w.grants.find((g) => g.id === 'g_expired')!.remaining_micros, 999);
    assert.equal(w.grants.find((g) => g.id === 'g_expires_now')!.remaining_micros, 7);
  });

  it('a small draw touches only the soonest-expiring grant', () => {
    const w = wallet({ purchased_micros: 1000, grants: grants() });
    assert.deepEqual(drawFromWallet(w, 20, NOW), [{ grant_id: 'g_soon', amount_micros: 20 }]);
    assert.equal(w.purchased_micros, 1000);
  });

  it('grants with the same expiry are drawn in id order, so every node decides alike', () => {
    const w = wallet({ grants: [{ id: 'g_b', remaining_micros: 10, expires_at_ms: NOW + DAY_MS }, { id: 'g_a', remaining_micros: 10, expires_at_ms: NOW + DAY_MS }] });
    assert.deepEqual(drawFromWallet(w, 15, NOW), [{ grant_id: 'g_a', amount_micros: 10 }, { grant_id: 'g_b', amount_micros: 5 }]);
  });

  it('usage beyond the balance takes purchased credits below zero (usage that happened is charged)', () => {
    const w = wallet({ purchased_micros: 10, grants: [{ id: 'g', remaining_micros: 5, expires_at_ms: null }] });
    assert.deepEqual(drawFromWallet(w, 40, NOW), [{ grant_id: 'g', amount_micros: 5 }, { grant_id: null, amount_micros: 35 }]);
    assert.equal(w.purchased_micros, -25);
  });

  it('a draw of 0 draws nothing', () => {
    const w = wallet({ purchased_micros: 10, grants: grants() });
    assert.deepEqual(drawFromWallet(w, 0, NOW), []);
  });
});

describe('balance, promotional and available amounts', () => {
  it('count only live grants; available subtracts holds', () => {
    const w = wallet({ purchased_micros: 1000, grants: grants(), held_micros: 200 });
    assert.equal(promotionalMicros(w, NOW), 180);
    assert.equal(balanceMicros(w, NOW), 1180);
    assert.equal(availableMicros(w, NOW), 980);
    assert.equal(promotionalMicros(w, NOW + DAY_MS), 130, 'g_soon has expired a day later');
  });
});

describe('plan status and the paid-plan rule for extra usage (SPEC §1.5)', () => {
  it('active, canceling until the cancel instant, lapsed from it; no plan is lapsed', () => {
    assert.equal(planStatusAt(account(), NOW), 'active');
    assert.equal(planStatusAt(account({ cancel_at_ms: NOW + 1 }), NOW), 'canceling');
    assert.equal(planStatusAt(account({ cancel_at_ms: NOW }), NOW), 'lapsed');
    assert.equal(planStatusAt(account({ plan_id: null }), NOW), 'lapsed');
  });
  it('extra usage is allowed on pro, max and team while not lapsed; never on free', () => {
    for (const id of ['pro', 'max', 'team']) assert.equal(extraUsageAllowed(account({ plan_id: id }), plan(id), NOW), true, id);
    assert.equal(extraUsageAllowed(account({ plan_id: 'free' }), plan('free'), NOW), false);
    assert.equal(extraUsageAllowed(account({ cancel_at_ms: NOW - 1 }), plan('pro'), NOW), false);
    assert.equal(extraUsageAllowed(account(), undefined, NOW), false);
  });
});

describe('counters reset by themselves: spend per cycle, redemption per UTC day', () => {
  it('the spend counter of an earlier cycle reads as zero', () => {
    const cycle = cycleAt(ANCHOR, NOW);
    assert.equal(spentThisCycle(wallet({ spent_cycle_micros: 48_000_000 }), cycle), 48_000_000);
    assert.equal(spentThisCycle(wallet({ spent_cycle_micros: 48_000_000, spent_cycle_start_ms: ANCHOR - 31 * DAY_MS }), cycle), 0);
  });
  it('redeemed today resets at 00:00 UTC', () => {
    const w = wallet();
    addRedeemed(w, NOW, 1_500_000_000);
    addRedeemed(w, NOW + HOUR_MS, 100);
    assert.equal(redeemedToday(w, NOW), 1_500_000_100);
    const midnight = Date.UTC(2026, 10, 3);
    assert.equal(redeemedToday(w, midnight - 1), 1_500_000_100);
    assert.equal(redeemedToday(w, midnight), 0);
    addRedeemed(w, midnight, 5);
    assert.equal(w.redeemed_day, '2026-11-03');
    assert.equal(w.redeemed_day_micros, 5);
  });
});
