// The notifications of SPEC §1.10 (and the project's own), one list: the outbox, the events
// list, the webhook endpoints' filters and the docs name types from here. And the pure rules
// that decide when the metering path writes balance.low and the allowance events.
import type { AllowanceWindowSpec, WindowKind } from './catalog';
import { windowAt, type WindowState } from './cycles';

/** Every event type written to the outbox, with what it tells (docs/events.md has the payloads). */
export const EVENT_TYPES = {
  'credits.purchased': 'a card purchase of extra usage credits succeeded',
  'credits.refunded': 'purchased credits were refunded to the card',
  'grant.added': 'promotional credits were granted',
  'grant.expired': 'what was left of a promotional grant expired',
  'auto_reload.fired': 'auto-reload decided to buy credits; the charge is pending',
  'auto_reload.succeeded': 'an auto-reload charge succeeded and the credits were added',
  'auto_reload.failed': 'an auto-reload charge was declined (it is retried with backoff)',
  'auto_reload.skipped': 'auto-reload would have fired but did not (the reason says why)',
  'auto_reload.disabled': 'auto-reload turned itself off after its last failed attempt',
  'balance.low': 'the extra usage balance went below the low-balance threshold',
  'spend_limit.warning': 'extra usage consumed this cycle reached 80% of the monthly spend limit',
  'spend_limit.reached': 'extra usage consumed this cycle reached the monthly spend limit',
  'allowance.warning': 'a plan allowance window reached 80% of its limit',
  'allowance.exhausted': 'a plan allowance window reached its limit',
  'allowance.reset': 'a plan allowance window reopened (at the first request that used it after its reset)',
  'extra_usage.started': 'the first request of a cycle or window that extra usage paid for instead of the plan',
  'plan.lapsing': 'a cancelled plan ends soon',
  'plan.lapsed': 'a cancelled plan ended; the extra usage balance is kept, frozen',
  'member.invited': 'someone was invited to the account',
  'member.joined': 'an invited user joined the account',
  'webhook_endpoint.disabled': 'a webhook endpoint kept failing and was disabled',
  'payment.disputed': "the cardholder disputed a purchase's payment with their bank (a chargeback)",
} as const satisfies Record<string, string>;

export type EventType = keyof typeof EVENT_TYPES;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_TYPES, type);
}

/**
 * balance.low: the balance (purchased + live promotional, holds not subtracted, so a hold placed
 * and released does not flap it) moved from at or above `threshold_micros` to below it.
 * Written once per crossing: it re-arms only when the balance is at or above the threshold again.
 */
export function balanceLowCrossed(before_micros: number, after_micros: number, threshold_micros: number): boolean {
  return threshold_micros > 0 && before_micros >= threshold_micros && after_micros < threshold_micros;
}

/** The low-balance threshold: the auto-reload threshold when one is set, else the named default. */
export function balanceLowThreshold(auto_reload_threshold_micros: number | null, default_micros: number): number {
  return auto_reload_threshold_micros ?? default_micros;
}

export interface AllowanceEvent {
  type: 'allowance.warning' | 'allowance.exhausted' | 'allowance.reset';
  window: WindowKind;
  start_ms: number;
  resets_at_ms: number;
  used_tokens: number;
  limit_tokens: number;
  /** allowance.reset only: the period that closed, and what it had used. */
  previous_start_ms?: number;
  previous_used_tokens?: number;
}

/**
 * The allowance events of one seat's window between its stored state before a metering batch
 * and after it, seen at `now_ms`. Used tokens only grow within one window period, so each
 * crossing (80%, 100%) happens at most once per period; a reset is the stored period start
 * moving to a newer one, which also happens once per period.
 */
export function allowanceEvents(
  spec: AllowanceWindowSpec,
  before: WindowState | undefined,
  after: WindowState | undefined,
  anchor_ms: number,
  now_ms: number,
  warning_percent: number,
): AllowanceEvent[] {
  if (!after || after.start_ms === null || spec.limit_tokens <= 0) return [];
  const view = windowAt(spec, after, anchor_ms, now_ms);
  if (view.rolled) return []; // the batch did not write this window's current period
  const rolled = before !== undefined && before.start_ms !== null && before.start_ms !== after.start_ms;
  const used_before = rolled || !before || before.start_ms === null ? 0 : before.used_tokens;
  const used_after = after.used_tokens;
  const base = { window: spec.kind, start_ms: view.start_ms, resets_at_ms: view.resets_at_ms, used_tokens: used_after, limit_tokens: spec.limit_tokens };
  const out: AllowanceEvent[] = [];
  if (rolled) out.push({ type: 'allowance.reset', ...base, previous_start_ms: before.start_ms!, previous_used_tokens: before.used_tokens });
  const warn_at_x100 = spec.limit_tokens * warning_percent;
  if (used_before * 100 < warn_at_x100 && used_after * 100 >= warn_at_x100) out.push({ type: 'allowance.warning', ...base });
  if (used_before < spec.limit_tokens && used_after >= spec.limit_tokens) out.push({ type: 'allowance.exhausted', ...base });
  return out;
}
