// The wire contract of the extra-usage forecast (GET /v1/accounts/{id}/extra-usage `forecast`), in
// the style of schemas.ts: a closed object, integer micros, UTC timestamps. The figures come from
// src/domain/forecast.ts; the descriptions name the bounds from limits.ts.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { limits } from '../domain/limits';
import { formatUsd } from '../domain/money';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The server's forecast from the last days' extra usage (src/domain/forecast.ts; README "The usage page"). */
export const ExtraUsageForecast = Type.Object(
  {
    as_of: Type.String({
      format: 'date-time',
      description: `the instant the forecast is taken at: now, rounded down to ${limits.forecast_resolution_ms / 60_000} minutes, so reads within it agree`,
    }),
    window_days: Type.Integer({ description: `the UTC days the pace is taken from (${limits.forecast_window_days}), today included` }),
    window_start: Type.String({ format: 'date-time', description: '00:00 UTC of the first day of the window' }),
    extra_usage_micros: Type.Integer({ description: 'extra usage in the window' }),
    per_day_micros: Type.Integer({ description: 'extra_usage_micros per day of the window that has passed, rounded up; 0 only when nothing was used' }),
    runs_out_at: Nullable(
      Type.String({
        format: 'date-time',
        description: `when the available balance runs out at this pace; null with no usage or more than ${limits.forecast_horizon_days} days away`,
      }),
    ),
    limit_reached_at: Nullable(
      Type.String({
        format: 'date-time',
        description: "when this cycle's spend reaches the monthly limit at this pace; null with no limit, no usage, or not before the cycle ends",
      }),
    ),
    projected_cycle_micros: Type.Integer({ description: 'spent this cycle plus the pace until the cycle ends, rounded up' }),
    suggested_limit_micros: Type.Integer({
      description: `the projected cycle spend plus ${limits.suggested_limit_headroom_percent - 100}%, rounded up to ${formatUsd(limits.suggested_limit_step_micros)}, at least ${formatUsd(limits.suggested_limit_micros_min)}`,
    }),
    suggested_reload: Type.Object(
      {
        amount_micros: Type.Integer({
          description: `${limits.suggested_reload_days} days of usage rounded up to ${formatUsd(limits.suggested_reload_step_micros)}, at least ${formatUsd(limits.suggested_reload_micros_min)}, within the purchase bounds`,
        }),
        threshold_micros: Type.Integer({
          description: `${limits.suggested_threshold_days} days of usage rounded up to ${formatUsd(limits.suggested_threshold_step_micros)}, at least ${formatUsd(limits.suggested_threshold_micros_min)}`,
        }),
      },
      closed,
    ),
  },
  closed,
);

export type ExtraUsageForecastBody = Static<typeof ExtraUsageForecast>;
