// Adding extra-usage credits (SPEC §1.5): bounds, plan and the per-day redemption cap.
import type { Plan } from './catalog';
import { limits } from './limits';
import { formatUsd } from './money';
import { reloadBackoffMs } from './autoreload';
import { purchaseTransfer, type Transfer } from './ledger';
import type { PaymentAction, ReloadEvent } from './records';
import { AppError, invalid, type CardRefusalType } from './refusals';
import { extraUsageAllowed, redeemedToday, releaseRedeemed, type AccountState, type WalletState } from './wallet';

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
export function checkPurchase(
  account: AccountState,
  plan: Plan | undefined,
  wallet: WalletState,
  amount_micros: number,
  bounds: PurchaseBounds,
  now_ms: number,
): AppError | null {
  if (!Number.isSafeInteger(amount_micros) || amount_micros < bounds.purchase_micros_min || amount_micros > bounds.purchase_micros_max) {
    return invalid(
      'amount_micros',
      `must be an integer between ${bounds.purchase_micros_min} (${formatUsd(bounds.purchase_micros_min)}) and ${bounds.purchase_micros_max} (${formatUsd(bounds.purchase_micros_max)})`,
    );
  }
  const cents = wholeCentsProblem(amount_micros);
  if (cents) return invalid('amount_micros', cents);
  if (!extraUsageAllowed(account, plan, now_ms)) {
    return new AppError('plan_required', 'Extra usage needs an active paid plan (Pro, Max or Team): upgrade the plan, then add credits.', {
      plan: account.plan_id,
    });
  }
  const today = redeemedToday(wallet, now_ms);
  if (today + amount_micros > bounds.redeemed_micros_per_day_max) {
    const next_day = new Date(now_ms);
    next_day.setUTCHours(24, 0, 0, 0);
    return new AppError(
      'daily_cap_reached',
      `At most ${formatUsd(bounds.redeemed_micros_per_day_max)} of credits can be added per UTC day; ${formatUsd(today)} was added today (purchases and auto-reloads still being charged count). Add at most ${formatUsd(Math.max(0, bounds.redeemed_micros_per_day_max - today))} now, or the rest from ${next_day.toISOString()}.`,
      {
        redeemed_today_micros: today,
        daily_cap_micros: bounds.redeemed_micros_per_day_max,
        requested_micros: amount_micros,
        resets_at: next_day.toISOString(),
      },
    );
  }
  return null;
}

/** Spend-limit notifications crossed by moving the counter from `before` to `after` (SPEC §1.6). */
export function spendLimitCrossings(
  before_micros: number,
  after_micros: number,
  limit_micros: number | null,
  warning_percent: number,
): Array<'spend_limit.warning' | 'spend_limit.reached'> {
  if (limit_micros === null || limit_micros <= 0) return [];
  const out: Array<'spend_limit.warning' | 'spend_limit.reached'> = [];
  // Compared as before × 100 < limit × percent, so no fraction of a micro appears.
  const warn_at_x100 = limit_micros * warning_percent;
  if (before_micros * 100 < warn_at_x100 && after_micros * 100 >= warn_at_x100) out.push('spend_limit.warning');
  if (before_micros < limit_micros && after_micros >= limit_micros) out.push('spend_limit.reached');
  return out;
}

/**
 * What the card provider answered for one charge attempt. `authentication_required` carries what
 * the page needs to let the person confirm the payment with their bank (3-D Secure).
 */
export type ChargeOutcome =
  | { ok: true; charge_id: string }
  | { ok: false; type: Exclude<CardRefusalType, 'authentication_required'>; message: string }
  | { ok: false; type: 'authentication_required'; message: string; action: PaymentAction };

/** The facts of a pending purchase or reload that its completion decides on. */
export interface PendingCharge {
  id: string;
  account_id: string;
  kind: 'manual' | 'auto_reload';
  amount_micros: number;
  attempts: number;
  created_at_ms: number;
  /** Already waiting for the person's bank: the payment it waits for, and until when. */
  action?: PaymentAction | null;
  next_attempt_at_ms?: number | null;
}

/**
 * Step 3 of a purchase, decided: what the purchase becomes, what the ledger, the wallet, the
 * account and the outbox get. Success credits the wallet (the day's cap was reserved when it
 * started or fired); a declined manual purchase fails and gives its cap back; a declined reload
 * is retried with backoff until `reload_attempts_max`, then fails, gives its cap back and turns
 * auto-reload off (SPEC §1.7). Mutates `wallet`; the caller writes the rest.
 */
export interface CompletionPlan {
  purchase: {
    status: 'pending' | 'succeeded' | 'failed';
    /** Set while the purchase waits for the person's bank (3-D Secure); cleared when it completes. */
    action: PaymentAction | null;
    attempts: number;
    provider_charge_id: string | null;
    failure_type: string | null;
    failure_message: string | null;
    completed_at_ms: number | null;
    next_attempt_at_ms: number | null;
  };
  transfers: Transfer[];
  events: Array<{ type: string; payload: Record<string, unknown> }>;
  /** The last auto-reload event to record on the wallet, or undefined to leave it. */
  reload_event: ReloadEvent | undefined;
  turn_auto_reload_off: boolean;
  audit: { action: 'credits.purchased' | 'credits.purchase_failed' | 'credits.authentication_required'; details: Record<string, unknown> };
}

export function planCompletion(p: PendingCharge, wallet: WalletState, outcome: ChargeOutcome, now_ms: number): CompletionPlan {
  const attempts = p.attempts + 1;
  const reload = p.kind === 'auto_reload';
  // A manual purchase the bank wants confirmed waits for the person (the page, the webhook or the
  // confirm call finishes it); nothing is credited or given back yet. A reload has nobody to ask:
  // it fails at once with that reason below (notified, never retried silently).
  if (!outcome.ok && outcome.type === 'authentication_required' && !reload) return awaitAuthentication(p, outcome.action, now_ms);
  if (outcome.ok) {
    wallet.purchased_micros += p.amount_micros;
    if (reload) wallet.reload_in_flight = false;
    return {
      purchase: {
        status: 'succeeded',
        action: null,
        attempts,
        provider_charge_id: outcome.charge_id,
        failure_type: null,
        failure_message: null,
        completed_at_ms: now_ms,
        next_attempt_at_ms: null,
      },
      transfers: [purchaseTransfer(p.account_id, p.amount_micros, p.id, now_ms)],
      events: [{ type: reload ? 'auto_reload.succeeded' : 'credits.purchased', payload: { purchase_id: p.id, amount_micros: p.amount_micros } }],
      reload_event: reload ? { type: 'succeeded', reason: null, amount_micros: p.amount_micros, at_ms: now_ms } : undefined,
      turn_auto_reload_off: false,
      audit: { action: 'credits.purchased', details: { purchase_id: p.id, amount_micros: p.amount_micros, charge_id: outcome.charge_id, kind: p.kind } },
    };
  }
  const failed = { failure_type: outcome.type, failure_message: cardMessage(outcome.type, outcome.message), provider_charge_id: null };
  // A declined reload is retried with backoff; one that needs the person's bank never is.
  const final = !reload || attempts >= limits.reload_attempts_max || outcome.type === 'authentication_required';
  const events: CompletionPlan['events'] = [];
  if (final) {
    // Give back the day's cap that the start or the firing reserved (if still the same UTC day).
    releaseRedeemed(wallet, p.created_at_ms, p.amount_micros);
    if (reload) {
      wallet.reload_in_flight = false;
      events.push({ type: 'auto_reload.disabled', payload: { purchase_id: p.id, reason: outcome.type, attempts } });
    }
  }
  if (reload) events.push({ type: 'auto_reload.failed', payload: { purchase_id: p.id, reason: outcome.type, attempt: attempts, retried: !final } });
  return {
    purchase: {
      status: final ? 'failed' : 'pending',
      action: null,
      attempts,
      ...failed,
      completed_at_ms: final ? now_ms : null,
      next_attempt_at_ms: final ? null : now_ms + reloadBackoffMs(attempts),
    },
    transfers: [],
    events,
    reload_event: reload && final ? { type: 'failed', reason: outcome.type, amount_micros: p.amount_micros, at_ms: now_ms } : undefined,
    turn_auto_reload_off: reload && final,
    audit: { action: 'credits.purchase_failed', details: { purchase_id: p.id, amount_micros: p.amount_micros, failure: outcome.type, attempt: attempts } },
  };
}

/** The purchase stays pending, holding its share of the day's cap, until the person confirms or the wait ends. */
function awaitAuthentication(p: PendingCharge, action: PaymentAction, now_ms: number): CompletionPlan {
  return {
    purchase: {
      status: 'pending',
      action,
      attempts: p.attempts,
      provider_charge_id: null,
      failure_type: 'authentication_required',
      failure_message: cardMessage('authentication_required', 'the bank asks the cardholder to confirm'),
      completed_at_ms: null,
      // The wait runs from the bank's first question: asking again (a confirm before the bank's step) does not restart it.
      next_attempt_at_ms: p.action && p.next_attempt_at_ms != null ? p.next_attempt_at_ms : now_ms + limits.authentication_wait_ms,
    },
    transfers: [],
    events: [],
    reload_event: undefined,
    turn_auto_reload_off: false,
    audit: {
      action: 'credits.authentication_required',
      details: { purchase_id: p.id, amount_micros: p.amount_micros, payment_intent_id: action.payment_intent_id },
    },
  };
}

/** A card refusal in words, with what to do about it, and the provider's own words after it. */
export function cardMessage(type: string, provider_message: string): string {
  const remedy: Record<string, string> = {
    card_declined: 'The card was declined. Use another card or contact your bank.',
    insufficient_funds: 'The card has insufficient funds. Use another card.',
    expired_card: 'The card has expired. Add a current card.',
    processing_error: 'The payment provider could not process the charge. Try again in a moment.',
    authentication_required:
      'Your bank asks you to confirm this payment: complete its step (next_action_url), then confirm the purchase (POST to its confirm_path); an auto-reload cannot ask, so add the credits by hand.',
  };
  return `${remedy[type] ?? 'The card was not charged.'} (${provider_message})`;
}

/**
 * Whether a pending purchase is due to be charged (again) by the recovery job: a reload once its
 * backoff has passed (or at once), a manual purchase only once its own request has had
 * `grace_ms` to finish it. The store's query selects by the same rule; this is its definition.
 */
export function isDueForCharge(
  p: { status: string; kind: 'manual' | 'auto_reload'; created_at_ms: number; next_attempt_at_ms: number | null; action?: PaymentAction | null },
  now_ms: number,
  grace_ms: number,
): boolean {
  if (p.status !== 'pending') return false;
  // Waiting for the person's bank: only once the wait is over (the job then ends it).
  if (p.action) return p.next_attempt_at_ms !== null && p.next_attempt_at_ms <= now_ms;
  if (p.kind === 'auto_reload') return p.next_attempt_at_ms === null || p.next_attempt_at_ms <= now_ms;
  return p.created_at_ms <= now_ms - grace_ms;
}

/**
 * Whether the provider's word on one payment settles this purchase. A success completes a pending
 * purchase unless it waits for the bank on another payment (then that one decides); a failure
 * only ends a purchase waiting for the bank on this very payment (a declined charge was already
 * answered to its caller).
 */
export function providerOutcomeApplies(
  purchase: { status: string; action?: PaymentAction | null },
  event: { kind: 'payment_succeeded' | 'payment_failed'; payment_intent_id: string },
): boolean {
  if (purchase.status !== 'pending') return false;
  const waiting_on = purchase.action?.payment_intent_id ?? null;
  return event.kind === 'payment_succeeded' ? waiting_on === null || waiting_on === event.payment_intent_id : waiting_on === event.payment_intent_id;
}
