// The account view (GET /v1/accounts/{id}) built from an account's loaded state, so a use case
// can answer with it inside its transaction (a subscription change answers the view it wrote,
// and keeps it for a replay), and reads.ts's getAccountView from a read outside one. Pure: the
// caller loads the state and reads the clock.
import type { Plan } from '../domain/catalog';
import { cycleAt } from '../domain/cycles';
import { windowViews } from '../domain/funding';
import { planStatusAt } from '../domain/wallet';
import type { LockedAccount } from './ports';
import type { AccountView } from './reads';

const iso = (ms: number) => new Date(ms).toISOString();

/** Account, plan and allowance windows (for per-seat plans, the seat of `user_id`). */
export function accountView(locked: LockedAccount, plan: Plan | undefined, now_ms: number, user_id: string | null = null): AccountView {
  const { account } = locked;
  const seat = plan?.per_seat ? (user_id ?? '') : '';
  const views = windowViews({ account, plan, seat_windows: locked.windows.get(seat) ?? new Map(), now_ms });
  const cycle = cycleAt(account.anchor_ms, now_ms);
  return {
    id: account.id,
    kind: account.kind,
    name: account.name,
    plan: plan ? { id: plan.id, name: plan.name, price_micros: plan.price_micros, per_seat: plan.per_seat } : null,
    plan_status: planStatusAt(account, now_ms),
    seats: account.seats,
    cancel_at: account.cancel_at_ms === null ? null : iso(account.cancel_at_ms),
    cycle_start: iso(cycle.start_ms),
    cycle_end: iso(cycle.end_ms),
    created_at: iso(account.created_at_ms),
    windows: views.map((w) => {
      // A rolling window that is closed opens at the next request: it has no reset time yet.
      const stored = locked.windows.get(seat)?.get(w.kind);
      const open = w.kind !== 'rolling_5h' || (stored?.start_ms !== null && stored?.start_ms === w.start_ms);
      return {
        kind: w.kind,
        seat: plan?.per_seat ? seat || null : null,
        used: w.used_tokens + w.held_tokens,
        limit: w.limit_tokens,
        resets_at: open ? iso(w.resets_at_ms) : null,
      };
    }),
  };
}
