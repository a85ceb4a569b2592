// Extra-usage settings (SPEC §1.5–§1.7), decided: what a change does to an account's settings.
// Enabling extra usage while no limit is set sets the $50 default, unless the same change sets a
// limit (null = unlimited is only ever an explicit choice); auto-reload on needs an amount and a
// threshold; the amount is a purchase like any other (between the minimum and the maximum
// purchase, in whole cents, because a reload is a card charge).
import { limits } from './limits';
import { formatUsd, formatUsdExact } from './money';
import { wholeCentsProblem, type PurchaseBounds } from './purchase';
import type { AccountChanges } from './records';
import { AppError, invalid } from './refusals';
import type { AccountState } from './wallet';

export interface ExtraUsageChange {
  enabled?: boolean;
  /** undefined: unchanged; null: unlimited. */
  monthly_spend_limit_micros?: number | null;
  auto_reload?: { enabled?: boolean; amount_micros?: number; threshold_micros?: number };
}

/** The purchase bounds an auto-reload amount must keep (the operator's settings). */
export type ReloadBounds = Pick<PurchaseBounds, 'purchase_micros_min' | 'purchase_micros_max'>;

/** Why an auto-reload amount cannot be charged, or null when it can. */
export function reloadAmountProblem(amount_micros: number, bounds: ReloadBounds): AppError | null {
  const field = 'auto_reload.amount_micros';
  const { purchase_micros_min: min_micros, purchase_micros_max: max_micros } = bounds;
  if (amount_micros < min_micros || amount_micros > max_micros) {
    return new AppError(
      'invalid_request',
      `${field}: a reload is a purchase, so it must be between ${formatUsd(min_micros)} and ${formatUsd(max_micros)}; ` +
        `got ${formatUsdExact(amount_micros)}. Choose an amount in that range.`,
      { field, amount_micros, min_micros, max_micros },
    );
  }
  const cents = wholeCentsProblem(amount_micros);
  if (cents)
    return new AppError('invalid_request', `${field}: ${cents}. Round it to whole cents.`, {
      field,
      amount_micros,
      unit_micros: limits.card_charge_unit_micros,
    });
  return null;
}

/** The columns the change writes (only those it changes), or the refusal. Mutates `account` to the result. */
export function planExtraUsageChange(
  account: AccountState,
  change: ExtraUsageChange,
  bounds: ReloadBounds,
): { ok: true; changes: AccountChanges } | { ok: false; error: AppError } {
  const amount = change.auto_reload?.amount_micros;
  const amount_problem = amount === undefined ? null : reloadAmountProblem(amount, bounds);
  if (amount_problem) return { ok: false, error: amount_problem };
  const before = { enabled: account.extra_usage_enabled, limit: account.monthly_spend_limit_micros };
  if (
    change.enabled === true &&
    !account.extra_usage_enabled &&
    change.monthly_spend_limit_micros === undefined &&
    account.monthly_spend_limit_micros === null
  ) {
    account.monthly_spend_limit_micros = limits.spend_limit_micros_default;
  }
  if (change.enabled !== undefined) account.extra_usage_enabled = change.enabled;
  if (change.monthly_spend_limit_micros !== undefined) account.monthly_spend_limit_micros = change.monthly_spend_limit_micros;
  const reload = change.auto_reload ?? {};
  if (reload.amount_micros !== undefined) account.auto_reload.amount_micros = reload.amount_micros;
  if (reload.threshold_micros !== undefined) account.auto_reload.threshold_micros = reload.threshold_micros;
  if (reload.enabled !== undefined) account.auto_reload.enabled = reload.enabled;
  if (account.auto_reload.enabled && (account.auto_reload.amount_micros === null || account.auto_reload.threshold_micros === null)) {
    return { ok: false, error: invalid('auto_reload', 'turning auto-reload on needs amount_micros and threshold_micros') };
  }
  return {
    ok: true,
    changes: {
      ...(account.extra_usage_enabled !== before.enabled ? { extra_usage_enabled: account.extra_usage_enabled } : {}),
      ...(account.monthly_spend_limit_micros !== before.limit ? { monthly_spend_limit_micros: account.monthly_spend_limit_micros } : {}),
      auto_reload: {
        ...(reload.enabled !== undefined ? { enabled: reload.enabled } : {}),
        ...(reload.amount_micros !== undefined ? { amount_micros: reload.amount_micros } : {}),
        ...(reload.threshold_micros !== undefined ? { threshold_micros: reload.threshold_micros } : {}),
      },
    },
  };
}
