// Subscription changes and seats (SPEC §1.3), decided. A team plan has a seat per member: a new
// member needs a free seat, and a change of plan or seats never leaves fewer seats than members
// (the owner removes members first). A change on a lapsed subscription starts a new one: the
// cycle is anchored at the change. A change withdraws a pending cancellation. Seats carry over
// when a per-seat plan is kept without naming them; a plan that is not per seat has one.
import type { Plan } from './catalog';
import { refusal, type Refusal } from './refusals';
import { planStatusAt, type AccountState, type PlanStatus } from './wallet';

/** A team plan has a seat per member: one more member needs a free seat. */
export function checkSeat(account: Pick<AccountState, 'id' | 'seats'>, plan: Plan | undefined, members: number): Refusal<'conflict'> | null {
  if (!plan?.per_seat || members < account.seats) return null;
  return refusal(
    'conflict',
    `All ${account.seats} seats of this ${plan.name} account are taken. Add seats with PUT /v1/accounts/${account.id}/subscription first.`,
    { seats: account.seats, members },
  );
}

export interface SubscriptionChange {
  before: { plan: string | null; seats: number; status: PlanStatus };
  /** The columns to write. */
  changes: { plan_id: string; seats: number; cancel_at_ms: null; anchor_ms: number };
}

/**
 * What `PUT …/subscription {plan, seats?}` does to the account, or the refusal. `members` is the
 * account's member count, read under its lock. `seats` is undefined when the request names none.
 */
export function planSubscriptionChange(
  account: AccountState,
  plan: Plan,
  seats: number | undefined,
  members: number,
  now_ms: number,
): { ok: true; change: SubscriptionChange } | { ok: false; refusal: Refusal<'conflict'> } {
  const status = planStatusAt(account, now_ms);
  const new_seats = plan.per_seat ? (seats ?? account.seats) : 1;
  if (plan.per_seat && new_seats < members) {
    return {
      ok: false,
      refusal: refusal(
        'conflict',
        `The ${plan.name} plan has a seat per member: account ${account.id} has ${members} members, so it needs at least ${members} seats, ` +
          `not ${new_seats}. Ask for ${members} or more, or remove members first: DELETE /v1/accounts/${account.id}/members/{user_id}.`,
        { seats: new_seats, members },
      ),
    };
  }
  return {
    ok: true,
    change: {
      before: { plan: account.plan_id, seats: account.seats, status },
      changes: { plan_id: plan.id, seats: new_seats, cancel_at_ms: null, anchor_ms: status === 'lapsed' ? now_ms : account.anchor_ms },
    },
  };
}
