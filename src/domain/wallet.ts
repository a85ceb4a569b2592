// Accounts, subscriptions and extra-usage wallets as the domain sees them: loaded state, pure reads.
import { invariant } from './assert';
import { isPaidPlan, type Plan } from './catalog';
import { cycleAt, type Cycle } from './cycles';

export type AccountKind = 'plan' | 'api_org';
export type PlanStatus = 'active' | 'canceling' | 'lapsed';

export interface AutoReloadSettings {
  enabled: boolean;
  amount_micros: number | null;
  threshold_micros: number | null;
}

export interface AccountState {
  id: string;
  kind: AccountKind;
  plan_id: string | null;
  seats: number;
  /** Subscription start: the billing-cycle anchor (SPEC §1.3). */
  anchor_ms: number;
  /** Set when the subscription was cancelled: it lapses at this instant (the cycle end). */
  cancel_at_ms: number | null;
  extra_usage_enabled: boolean;
  monthly_spend_limit_micros: number | null;
  auto_reload: AutoReloadSettings;
  has_payment_method: boolean;
}

export interface Grant {
  id: string;
  remaining_micros: number;
  expires_at_ms: number | null;
}

export interface WalletState {
  /** Purchased credits; below zero only after a settlement larger than its hold (SPEC §1.8). */
  purchased_micros: number;
  /** Promotional grants with something left, any order. */
  grants: Grant[];
  held_micros: number;
  /**
   * Holds that expired unsettled, still counted against the spend limit (not the balance) until
   * their late-settlement window ends (SPEC §1.6).
   */
  late_held_micros: number;
  /** Extra usage consumed in the cycle that starts at `spent_cycle_start_ms`. */
  spent_cycle_micros: number;
  spent_cycle_start_ms: number;
  /** Credits added on the UTC day `redeemed_day` (YYYY-MM-DD). */
  redeemed_day: string | null;
  redeemed_day_micros: number;
  reload_in_flight: boolean;
}

export function planStatusAt(account: AccountState, now_ms: number): PlanStatus {
  if (account.plan_id === null) return 'lapsed';
  if (account.cancel_at_ms !== null) return now_ms >= account.cancel_at_ms ? 'lapsed' : 'canceling';
  return 'active';
}

/** Extra usage needs an active paid plan (SPEC §1.5). A cancelling plan is active until its end. */
export function extraUsageAllowed(account: AccountState, plan: Plan | undefined, now_ms: number): boolean {
  // An API organization has no plan: its credits (API credits) are always usable by its keys.
  if (account.kind === 'api_org') return true;
  return plan !== undefined && isPaidPlan(plan) && planStatusAt(account, now_ms) !== 'lapsed';
}

export function isGrantLive(grant: Grant, now_ms: number): boolean {
  return grant.remaining_micros > 0 && (grant.expires_at_ms === null || now_ms < grant.expires_at_ms);
}

export function promotionalMicros(wallet: WalletState, now_ms: number): number {
  let sum = 0;
  for (const grant of wallet.grants) if (isGrantLive(grant, now_ms)) sum += grant.remaining_micros;
  return sum;
}

export function balanceMicros(wallet: WalletState, now_ms: number): number {
  return wallet.purchased_micros + promotionalMicros(wallet, now_ms);
}

export function availableMicros(wallet: WalletState, now_ms: number): number {
  return balanceMicros(wallet, now_ms) - wallet.held_micros;
}

export function currentCycle(account: AccountState, now_ms: number): Cycle {
  return cycleAt(account.anchor_ms, now_ms);
}

/** Spend-limit counters reset with the cycle: a counter from a past cycle reads as zero. */
export function spentThisCycle(wallet: WalletState, cycle: Cycle): number {
  return wallet.spent_cycle_start_ms === cycle.start_ms ? wallet.spent_cycle_micros : 0;
}

/** The hard cap (SPEC §1.6): `spent + held + this_hold ≤ limit`; a null limit is unlimited. */
export function exceedsCap(spent_micros: number, held_micros: number, hold_micros: number, limit_micros: number | null): boolean {
  return limit_micros !== null && spent_micros + held_micros + hold_micros > limit_micros;
}

export function utcDay(now_ms: number): string {
  return new Date(now_ms).toISOString().slice(0, 10);
}

export function redeemedToday(wallet: WalletState, now_ms: number): number {
  return wallet.redeemed_day === utcDay(now_ms) ? wallet.redeemed_day_micros : 0;
}

export interface Draw {
  /** A grant id, or null for purchased credits. */
  grant_id: string | null;
  amount_micros: number;
}

/**
 * Takes `amount_micros` from the wallet: live promotional grants first, soonest-expiring first
 * (grants without expiry after those with one), then purchased credits, which may go below zero
 * (usage that happened is charged). Mutates `wallet` and returns the draws made.
 */
export function drawFromWallet(wallet: WalletState, amount_micros: number, now_ms: number): Draw[] {
  const draws: Draw[] = [];
  let left = amount_micros;
  const live = wallet.grants
    .filter((g) => isGrantLive(g, now_ms))
    .sort((a, b) => (a.expires_at_ms ?? Number.MAX_SAFE_INTEGER) - (b.expires_at_ms ?? Number.MAX_SAFE_INTEGER) || (a.id < b.id ? -1 : 1));
  for (const grant of live) {
    if (left === 0) break;
    const take = Math.min(left, grant.remaining_micros);
    grant.remaining_micros -= take;
    left -= take;
    draws.push({ grant_id: grant.id, amount_micros: take });
  }
  if (left > 0) {
    wallet.purchased_micros -= left;
    draws.push({ grant_id: null, amount_micros: left });
  }
  return draws;
}

/** Adds `amount_micros` to this cycle's spend counter, resetting it first when the cycle moved on. */
export function addSpent(wallet: WalletState, cycle: Cycle, amount_micros: number): void {
  if (wallet.spent_cycle_start_ms !== cycle.start_ms) {
    wallet.spent_cycle_start_ms = cycle.start_ms;
    wallet.spent_cycle_micros = 0;
  }
  wallet.spent_cycle_micros += amount_micros;
}

export function addRedeemed(wallet: WalletState, now_ms: number, amount_micros: number): void {
  const day = utcDay(now_ms);
  if (wallet.redeemed_day !== day) {
    wallet.redeemed_day = day;
    wallet.redeemed_day_micros = 0;
  }
  wallet.redeemed_day_micros += amount_micros;
}

/**
 * Gives back a reservation of the daily redemption cap made on the UTC day of `reserved_at_ms`
 * (a purchase or reload that failed). A reservation of an earlier day has nothing to give back:
 * that day's counter is gone.
 */
export function releaseRedeemed(wallet: WalletState, reserved_at_ms: number, amount_micros: number): void {
  if (wallet.redeemed_day !== utcDay(reserved_at_ms)) return;
  invariant(
    wallet.redeemed_day_micros >= amount_micros,
    () => `releasing ${amount_micros} of the daily cap but only ${wallet.redeemed_day_micros} is reserved on ${wallet.redeemed_day}`,
  );
  wallet.redeemed_day_micros -= amount_micros;
}
