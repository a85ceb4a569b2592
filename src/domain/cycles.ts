// Billing cycles and allowance windows (SPEC §1.3). Times are epoch milliseconds, UTC.
import type { AllowanceWindowSpec, WindowKind } from './catalog';
import { limits } from './limits';

/** anchor + n months, with the anchor's day of month clamped to the target month's last day. */
/** A UTC day in milliseconds (UTC has no daylight saving: every day is this long). */
export const DAY_MS = 86_400_000;

export function addMonthsClamped(anchor_ms: number, months: number): number {
  const anchor = new Date(anchor_ms);
  const year = anchor.getUTCFullYear();
  const month = anchor.getUTCMonth() + months;
  const target_year = year + Math.floor(month / 12);
  const target_month = ((month % 12) + 12) % 12;
  const last_day = new Date(Date.UTC(target_year, target_month + 1, 0)).getUTCDate();
  const day = Math.min(anchor.getUTCDate(), last_day);
  return Date.UTC(target_year, target_month, day, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds());
}

export interface Cycle {
  start_ms: number;
  end_ms: number;
  index: number;
}

/** The billing cycle containing `now_ms` for a subscription anchored at `anchor_ms` (example 10). */
export function cycleAt(anchor_ms: number, now_ms: number): Cycle {
  if (now_ms < anchor_ms) return { start_ms: anchor_ms, end_ms: addMonthsClamped(anchor_ms, 1), index: 0 };
  const anchor = new Date(anchor_ms);
  const now = new Date(now_ms);
  let index = (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (now.getUTCMonth() - anchor.getUTCMonth());
  // The month estimate may be one ahead (earlier day/time in the month) — step back until it fits.
  while (index > 0 && addMonthsClamped(anchor_ms, index) > now_ms) index -= 1;
  while (addMonthsClamped(anchor_ms, index + 1) <= now_ms) index += 1;
  return { start_ms: addMonthsClamped(anchor_ms, index), end_ms: addMonthsClamped(anchor_ms, index + 1), index };
}

/** Stored state of one allowance window for one seat. */
export interface WindowState {
  kind: WindowKind;
  /** Start of the window the counters belong to; null when it never opened. */
  start_ms: number | null;
  used_tokens: number;
  held_tokens: number;
}

export interface WindowView {
  kind: WindowKind;
  start_ms: number;
  resets_at_ms: number;
  limit_tokens: number;
  used_tokens: number;
  held_tokens: number;
  /** Whether the stored counters belong to a past window (they read as zero now). */
  rolled: boolean;
}

/**
 * The window as it stands at `now_ms`. `cycle` follows the billing cycle, `weekly` runs in
 * 7-day steps from the cycle anchor, `rolling_5h` opens at the first request after it closed
 * (example 11: opened 09:12, it lasts until 14:12; a request at or after 14:12 opens the next).
 */
export function windowAt(spec: AllowanceWindowSpec, state: WindowState | undefined, anchor_ms: number, now_ms: number): WindowView {
  const stored_start = state?.start_ms ?? null;
  let start_ms: number;
  let resets_at_ms: number;
  switch (spec.kind) {
    case 'cycle': {
      const cycle = cycleAt(anchor_ms, now_ms);
      start_ms = cycle.start_ms;
      resets_at_ms = cycle.end_ms;
      break;
    }
    case 'weekly': {
      const step = limits.weekly_window_ms;
      const n = now_ms < anchor_ms ? 0 : Math.floor((now_ms - anchor_ms) / step);
      start_ms = anchor_ms + n * step;
      resets_at_ms = start_ms + step;
      break;
    }
    case 'rolling_5h': {
      const open = stored_start !== null && now_ms < stored_start + limits.rolling_window_ms;
      start_ms = open ? stored_start : now_ms;
      resets_at_ms = start_ms + limits.rolling_window_ms;
      break;
    }
    default: {
      const never: never = spec.kind;
      throw new Error(`unknown window kind ${String(never)}`);
    }
  }
  const current = state !== undefined && stored_start === start_ms;
  return {
    kind: spec.kind,
    start_ms,
    resets_at_ms,
    limit_tokens: spec.limit_tokens,
    used_tokens: current ? state.used_tokens : 0,
    held_tokens: current ? state.held_tokens : 0,
    rolled: state !== undefined && !current,
  };
}

export function windowRoom(view: WindowView): number {
  return Math.max(0, view.limit_tokens - view.used_tokens - view.held_tokens);
}
