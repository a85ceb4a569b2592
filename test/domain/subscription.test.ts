// SPEC §1.3 team plans, decided in domain/subscription.ts: a seat per member (a new member needs
// a free seat; a change never leaves fewer seats than members), a lapsed subscription starts
// again at the change, a cancellation is withdrawn, seats carry over on a per-seat plan.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkSeat, planSubscriptionChange } from '../../src/domain/subscription';
import { ANCHOR, NOW, account, plan } from '../fixtures/domain-state';

describe('planSubscriptionChange: seats never below the members', () => {
  const team = account({ plan_id: 'team', seats: 5 });
  it('team with 5 members down to 1 seat: conflict with {seats, members} and the remedy', () => {
    const r = planSubscriptionChange(team, plan('team'), 1, 5, NOW);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.refusal.type, 'conflict');
    assert.deepEqual(r.refusal.figures, { seats: 1, members: 5 });
    assert.match(r.refusal.message, /5 members.*at least 5 seats.*remove members first: DELETE \/v1\/accounts\/acct_test\/members\/\{user_id\}/);
  });
  it('down to exactly the member count is allowed; one fewer is not', () => {
    assert.equal(planSubscriptionChange(team, plan('team'), 3, 3, NOW).ok, true);
    assert.equal(planSubscriptionChange(team, plan('team'), 2, 3, NOW).ok, false);
  });
  it('pro with 3 members to team without seats: the one seat carries over, so it is refused', () => {
    const r = planSubscriptionChange(account({ plan_id: 'pro', seats: 1 }), plan('team'), undefined, 3, NOW);
    assert.deepEqual(r.ok ? null : r.refusal.figures, { seats: 1, members: 3 });
  });
  it('a plan that is not per seat has one seat, whatever the member count', () => {
    const r = planSubscriptionChange(team, plan('max'), undefined, 5, NOW);
    assert.deepEqual(r.ok ? r.change.changes.seats : null, 1);
  });
});

describe('planSubscriptionChange: the cycle and the cancellation', () => {
  it('an active plan keeps its anchor; seats carry over on a per-seat plan', () => {
    const r = planSubscriptionChange(account({ plan_id: 'team', seats: 4 }), plan('team'), undefined, 2, NOW);
    assert.deepEqual(r.ok ? r.change : null, {
      before: { plan: 'team', seats: 4, status: 'active' },
      changes: { plan_id: 'team', seats: 4, cancel_at_ms: null, anchor_ms: ANCHOR },
    });
  });
  it('a lapsed plan starts a new subscription anchored now', () => {
    const r = planSubscriptionChange(account({ cancel_at_ms: NOW - 1 }), plan('max'), undefined, 1, NOW);
    assert.deepEqual(r.ok ? [r.change.before.status, r.change.changes.anchor_ms] : null, ['lapsed', NOW]);
  });
  it('a cancelling plan keeps its anchor and the cancellation is withdrawn', () => {
    const r = planSubscriptionChange(account({ cancel_at_ms: NOW + 1 }), plan('max'), undefined, 1, NOW);
    assert.deepEqual(r.ok ? [r.change.before.status, r.change.changes.anchor_ms, r.change.changes.cancel_at_ms] : null, ['canceling', ANCHOR, null]);
  });
});

describe('checkSeat: one more member needs a free seat', () => {
  it('a free seat: null; every seat taken: conflict with {seats, members}', () => {
    assert.equal(checkSeat({ id: 'acct_test', seats: 3 }, plan('team'), 2), null);
    const full = checkSeat({ id: 'acct_test', seats: 3 }, plan('team'), 3);
    assert.deepEqual([full?.type, full?.figures], ['conflict', { seats: 3, members: 3 }]);
    assert.match(full!.message, /Add seats with PUT \/v1\/accounts\/acct_test\/subscription/);
  });
  it('a plan that is not per seat has no seat limit', () => {
    assert.equal(checkSeat({ id: 'acct_test', seats: 1 }, plan('pro'), 10), null);
  });
});
