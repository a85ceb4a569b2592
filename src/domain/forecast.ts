// The extra-usage forecast: from the last days' extra usage, when the available balance runs
// out, when the monthly spend limit is reached, what the cycle comes to, and the reload and
// limit worth setting. Computed once here and served by GET /v1/accounts/{id}/extra-usage, so
// the page and the CLI show the same figures. Pure: `now_ms` is an argument.
//
// Integers only. One rounding rule, chosen to err on the side of caution: amounts round up to
// the micro (a rate of 10 micros over 3 days is 4 a day, not 3), times round down to the
// millisecond (the balance runs out no later than the date shown), suggestions round up to
// their step. It is taken as of the start of the current hour (limits.forecast_resolution_ms),
// so reads within the hour agree.

import { invariant } from './assert';
import { DAY_MS } from './cycles';
import { limits } from './limits';
import { divCeil, roundUpToMultiple, toSafeNumber } from './money';

const DAY = BigInt(DAY_MS);

export interface ForecastInput {
  available_micros: number;
  spent_this_cycle_micros: number;
  cycle_end_ms: number;
  monthly_spend_limit_micros: number | null;
  /** Extra usage per UTC day, `limits.forecast_window_days` entries, oldest first; the last is today (so far). */
  daily_extra_usage_micros: readonly number[];
  now_ms: number;
  /** A suggested reload amount stays within what a purchase may be (the operator's settings). */
  purchase_bounds: { purchase_micros_min: number; purchase_micros_max: number };
}

export interface Forecast {
  /** The instant the forecast is taken at: now, rounded down to `limits.forecast_resolution_ms`. */
  as_of_ms: number;
  window_days: number;
  /** 00:00 UTC of the window's first day. */
  window_start_ms: number;
  /** Extra usage in the window. */
  extra_usage_micros: number;
  /** extra_usage_micros per day of the window that has passed, rounded up; 0 only when nothing was used. */
  per_day_micros: number;
  /** When the available balance runs out at this pace; null with no usage, or further away than the horizon. */
  runs_out_at_ms: number | null;
  /** When this cycle's spend reaches the monthly limit at this pace; null with no limit, no usage, or not before the cycle ends. */
  limit_reached_at_ms: number | null;
  /** Spent this cycle plus the pace until the cycle ends. */
  projected_cycle_micros: number;
  suggested_limit_micros: number;
  suggested_reload: { amount_micros: number; threshold_micros: number };
}

/** The multiple of `step_ms` at or before `ms` (UTC midnight for a day, the hour's start for an hour). */
function floorTo(ms: number, step_ms: number): number {
  return ms - (((ms % step_ms) + step_ms) % step_ms);
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** `now + amount / per_day` days (now when amount ≤ 0), rounded down to the ms; null unless it is before `before_ms`. */
function whenSpent(amount_micros: bigint, per_day_micros: bigint, now_ms: number, before_ms: number): number | null {
  const at = BigInt(now_ms) + (max(0n, amount_micros) * DAY) / per_day_micros;
  return at < BigInt(before_ms) ? toSafeNumber(at, 'forecast time') : null;
}

export function forecast(input: ForecastInput): Forecast {
  const { daily_extra_usage_micros: daily } = input;
  const days = limits.forecast_window_days;
  invariant(daily.length === days, () => `forecast needs ${days} days of usage, got ${daily.length}`);
  invariant(
    daily.every((d) => Number.isSafeInteger(d) && d >= 0),
    () => `daily extra usage must be whole micros ≥ 0: ${daily.join(',')}`,
  );
  invariant(Number.isSafeInteger(input.now_ms) && input.cycle_end_ms > input.now_ms, 'the cycle ends after now');
  invariant(input.spent_this_cycle_micros >= 0, 'spent this cycle is not negative');

  // Taken as of the hour's start: the same figures for every read in the hour. Today's usage so
  // far is counted over a slightly shorter time, so the pace errs high, as the rest does.
  const now_ms = floorTo(input.now_ms, limits.forecast_resolution_ms);
  const today_ms = floorTo(now_ms, DAY_MS);
  const window_start_ms = today_ms - (days - 1) * DAY_MS;
  // The window's elapsed time: the full days before today, and the part of today that has passed.
  const elapsed_ms = BigInt(now_ms - window_start_ms);
  invariant(elapsed_ms > 0n, 'the window has begun (forecast_window_days ≥ 2, or past midnight)');
  const used = daily.reduce((sum, d) => sum + BigInt(d), 0n);
  const per_day = divCeil(used * DAY, elapsed_ms);

  const spent = BigInt(input.spent_this_cycle_micros);
  const projected = spent + divCeil(per_day * BigInt(input.cycle_end_ms - now_ms), DAY);
  const limit = input.monthly_spend_limit_micros;

  const reload = min(
    BigInt(input.purchase_bounds.purchase_micros_max),
    max(
      max(BigInt(limits.suggested_reload_micros_min), BigInt(input.purchase_bounds.purchase_micros_min)),
      roundUpToMultiple(per_day * BigInt(limits.suggested_reload_days), BigInt(limits.suggested_reload_step_micros)),
    ),
  );
  const threshold = max(
    BigInt(limits.suggested_threshold_micros_min),
    roundUpToMultiple(per_day * BigInt(limits.suggested_threshold_days), BigInt(limits.suggested_threshold_step_micros)),
  );
  const suggested_limit = max(
    BigInt(limits.suggested_limit_micros_min),
    roundUpToMultiple(divCeil(projected * BigInt(limits.suggested_limit_headroom_percent), 100n), BigInt(limits.suggested_limit_step_micros)),
  );

  return {
    as_of_ms: now_ms,
    window_days: days,
    window_start_ms,
    extra_usage_micros: toSafeNumber(used, 'window usage'),
    per_day_micros: toSafeNumber(per_day, 'per day'),
    runs_out_at_ms: per_day === 0n ? null : whenSpent(BigInt(input.available_micros), per_day, now_ms, now_ms + limits.forecast_horizon_days * DAY_MS + 1),
    limit_reached_at_ms: per_day === 0n || limit === null ? null : whenSpent(BigInt(limit) - spent, per_day, now_ms, input.cycle_end_ms),
    projected_cycle_micros: toSafeNumber(projected, 'projected'),
    suggested_limit_micros: toSafeNumber(suggested_limit, 'suggested limit'),
    suggested_reload: { amount_micros: toSafeNumber(reload, 'suggested reload'), threshold_micros: toSafeNumber(threshold, 'suggested threshold') },
  };
}
