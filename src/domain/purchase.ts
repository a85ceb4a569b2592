// Adding extra-usage credits (SPEC §1.5): bounds, plan and the per-day redemption cap.
import type { Plan } from './catalog';
import { limits } from './limits';
import { formatUsd } from './money';
import { AppError, invalid } from './refusals';
import { extraUsageAllowed, redeemedToday, type AccountState, type WalletState } from './wallet';

export interface PurchaseBounds {
  purchase_micros_min: number;
  purchase_micros_max: number;
  redeemed_micros_per_day_max: number;
}

/** The one rule that card charges are whole cents; null when `amount_micros` is one. */
export function wholeCentsProblem(amount_micros: number): string | null {
  if (amount_micros % limits.card_charge_unit_micros === 0) return null;
  return `cards are charged in whole cents: must be a multiple of ${limits.card_charge_unit_micros} micros ($0.01), got ${amount_micros} (${formatUsd(amount_micros, 6)})`;
}

/** Returns null when the purchase may go ahead, else the typed refusal. */
export function checkPurchase(account: AccountState, plan: Plan | undefined, wallet: WalletState, amount_micros: number, bounds: PurchaseBounds, now_ms: number): AppError | null {
  if (!Number.isSafeInteger(amount_micros) || amount_micros < bounds.purchase_micros_min || amount_micros > bounds.purchase_micros_max) {
    return invalid('amount_micros', `must be an integer between ${bounds.purchase_micros_min} (${formatUsd(bounds.purchase_micros_min)}) and ${bounds.purchase_micros_max} (${formatUsd(bounds.purchase_micros_max)})`);
  }
  const cents = wholeCentsProblem(amount_micros);
  if (cents) return invalid('amount_micros', cents);
  if (!extraUsageAllowed(account, plan, now_ms)) {
    return new AppError('plan_required', 'Extra usage needs an active paid plan (Pro, Max or Team): upgrade the plan, then add credits.', { plan: account.plan_id });
  }
  const today = redeemedToday(wallet, now_ms);
  if (today + amount_micros > bounds.redeemed_micros_per_day_max) {
    const next_day = new Date(now_ms);
    next_day.setUTCHours(24, 0, 0, 0);
    return new AppError('daily_cap_reached', `At most ${formatUsd(bounds.redeemed_micros_per_day_max)} of credits can be added per UTC day; ${formatUsd(today)} was added today (purchases and auto-reloads still being charged count). Add at most ${formatUsd(Math.max(0, bounds.redeemed_micros_per_day_max - today))} now, or the rest from ${next_day.toISOString()}.`, {
      redeemed_today_micros: today,
      daily_cap_micros: bounds.redeemed_micros_per_day_max,
      requested_micros: amount_micros,
      resets_at: next_day.toISOString(),
    });
  }
  return null;
}

/** Spend-limit notifications crossed by moving the counter from `before` to `after` (SPEC §1.6). */
export function spendLimitCrossings(before_micros: number, after_micros: number, limit_micros: number | null, warning_percent: number): Array<'spend_limit.warning' | 'spend_limit.reached'> {
  if (limit_micros === null || limit_micros <= 0) return [];
  const out: Array<'spend_limit.warning' | 'spend_limit.reached'> = [];
  // Compared as before × 100 < limit × percent, so no fraction of a micro appears.
  const warn_at_x100 = limit_micros * warning_percent;
  if (before_micros * 100 < warn_at_x100 && after_micros * 100 >= warn_at_x100) out.push('spend_limit.warning');
  if (before_micros < limit_micros && after_micros >= limit_micros) out.push('spend_limit.reached');
  return out;
}
