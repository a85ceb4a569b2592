// The auto-reload decision (SPEC §1.7). It decides; it never charges. The caller records a
// firing as a reload in flight (one per account, by a unique index) and the payment worker
// charges it; skips are recorded with their reason.
import type { Cycle } from './cycles';
import { availableMicros, extraUsageAllowed, redeemedToday, spentThisCycle, type AccountState, type WalletState } from './wallet';
import type { Plan } from './catalog';
import { limits } from './limits';

export type ReloadSkipReason =
  | 'extra_usage_off' // extra usage is off or the plan does not allow it
  | 'no_payment_method'
  | 'in_flight' // a reload for this account is already being charged
  | 'daily_cap' // the reload would pass the per-day redemption cap
  | 'limit'; // spent_this_cycle + amount would pass the monthly spend limit (example 9)

export type ReloadDecision =
  | { kind: 'none' } // auto-reload off, or available is not below the threshold
  | { kind: 'fire'; amount_micros: number }
  | { kind: 'skip'; reason: ReloadSkipReason; figures: Record<string, number | null> };

export interface ReloadInput {
  account: AccountState;
  plan: Plan | undefined;
  wallet: WalletState;
  cycle: Cycle;
  now_ms: number;
  redeemed_micros_per_day_max?: number;
}

export function decideAutoReload(input: ReloadInput): ReloadDecision {
  const { account, wallet, now_ms } = input;
  const settings = account.auto_reload;
  if (!settings.enabled || settings.amount_micros === null || settings.threshold_micros === null) return { kind: 'none' };
  const available = availableMicros(wallet, now_ms);
  if (available >= settings.threshold_micros) return { kind: 'none' };
  const amount = settings.amount_micros;
  const spent = spentThisCycle(wallet, input.cycle);
  const figures = {
    available_micros: available,
    threshold_micros: settings.threshold_micros,
    amount_micros: amount,
    spent_micros: spent,
    limit_micros: account.monthly_spend_limit_micros,
  };
  if (!account.extra_usage_enabled || !extraUsageAllowed(account, input.plan, now_ms)) return { kind: 'skip', reason: 'extra_usage_off', figures };
  if (!account.has_payment_method) return { kind: 'skip', reason: 'no_payment_method', figures };
  if (wallet.reload_in_flight) return { kind: 'skip', reason: 'in_flight', figures };
  const day_max = input.redeemed_micros_per_day_max ?? limits.redeemed_micros_per_day_max;
  if (redeemedToday(wallet, now_ms) + amount > day_max) return { kind: 'skip', reason: 'daily_cap', figures };
  if (account.monthly_spend_limit_micros !== null && spent + amount > account.monthly_spend_limit_micros) return { kind: 'skip', reason: 'limit', figures };
  return { kind: 'fire', amount_micros: amount };
}

/** A declined reload is tried again after 1, then 4 minutes (reload_attempts_max is 3). */
export const reload_backoff_ms_base = limits.reload_backoff_ms_base;
export function reloadBackoffMs(attempts_done: number): number {
  return reload_backoff_ms_base * 4 ** Math.max(0, attempts_done - 1);
}
