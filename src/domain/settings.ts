// Extra-usage settings (SPEC §1.5–§1.7), decided: what a change does to an account's settings.
// Enabling extra usage while no limit is set sets the $50 default, unless the same change sets a
// limit (null = unlimited is only ever an explicit choice); auto-reload on needs an amount and a
// threshold.
import { limits } from './limits';
import type { AccountChanges } from './records';
import { invalid, type AppError } from './refusals';
import type { AccountState } from './wallet';

export interface ExtraUsageChange {
  enabled?: boolean;
  /** undefined: unchanged; null: unlimited. */
  monthly_spend_limit_micros?: number | null;
  auto_reload?: { enabled?: boolean; amount_micros?: number; threshold_micros?: number };
}

/** The columns the change writes (only those it changes), or the refusal. Mutates `account` to the result. */
export function planExtraUsageChange(account: AccountState, change: ExtraUsageChange): { ok: true; changes: AccountChanges } | { ok: false; error: AppError } {
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
