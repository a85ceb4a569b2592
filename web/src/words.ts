// Codes from the API put into words a person can act on.
import type { ExtraUsageBody } from '../../src/contract/schemas';
import { usd } from './money';

export const SOURCE_WORDS: Record<string, string> = {
  allowance: 'Plan allowance',
  extra_usage: 'Extra usage',
  mixed: 'Plan allowance + extra usage',
  api_credits: 'API credits',
};

/** Why this pool paid: the answer to "why did this come out of my credits?". */
export const REASON_WORDS: Record<string, string> = {
  first_party_allowance: 'This app is a first-party app (web, desktop, mobile): your plan allowance had room, so it paid.',
  first_party_mixed:
    'First-party app, but the plan allowance had room for only part of the request: the allowance took what it had and extra usage paid the rest.',
  first_party_overflow: 'First-party app, but a plan allowance window was full: the request overflowed to your extra usage credits.',
  third_party_extra_usage_only:
    'This is a third-party app (such as Claude Code or Cursor): third-party apps are paid from extra usage only, even when your plan allowance has room.',
  api_key: 'An API-key request: API credits pay for it.',
};

export const WINDOW_WORDS: Record<string, string> = { cycle: 'Billing cycle', rolling_5h: '5-hour window', weekly: 'Weekly' };

export const BOOK_WORDS: Record<string, string> = {
  'customer.purchased': 'purchased credits',
  'customer.promotional': 'promotional credits',
};

export const TRANSACTION_WORDS: Record<string, string> = {
  purchase: 'Credits purchased',
  auto_reload: 'Auto-reload',
  reload: 'Auto-reload',
  grant: 'Promotional grant',
  grant_expiry: 'Grant expired',
  refund: 'Refund',
  usage: 'Usage',
};

/** What a person can do about a refusal (the API's message says what happened). */
export const REMEDY_WORDS: Record<string, string> = {
  card_declined: 'Try another card, or ask your bank why it was declined.',
  insufficient_funds: 'The card has no funds for this amount: use another card or a smaller amount.',
  expired_card: 'Add a current card and try again.',
  processing_error: 'Nothing was charged. Try again in a minute.',
  plan_required: 'Extra usage needs an active paid plan (Pro, Max or Team).',
  spend_limit_reached: 'Raise your monthly spend limit, or wait for the next cycle.',
  daily_cap_reached: 'The daily purchase cap is reached: try again tomorrow (UTC).',
  invalid_request: 'Check the highlighted value and try again.',
  forbidden: 'Your role here does not allow that: ask an owner or admin (billing for money settings).',
  unauthenticated: 'Sign in again.',
  rate_limited: 'Too many requests: wait a moment and try again.',
  conflict: 'Reload the page to see the current state, then try again.',
  idempotency_conflict: 'Reload the page and try again.',
  network: 'Check your connection.',
};

/** "skipped: $48.00 of your $50.00 limit is used" and its siblings. */
export function reloadEventWords(extra: Pick<ExtraUsageBody, 'auto_reload' | 'monthly_spend_limit_micros' | 'spent_this_cycle_micros'>): string | null {
  const last = extra.auto_reload.last_event;
  if (!last) return null;
  const amount = usd(last.amount_micros);
  if (last.type === 'succeeded') return `added ${amount}`;
  if (last.type === 'failed')
    return `failed: ${last.reason ? cardFailure(last.reason) : 'the card was not charged'}${extra.auto_reload.enabled ? '' : '; auto-reload turned itself off'}`;
  const limit = extra.monthly_spend_limit_micros;
  switch (last.reason) {
    case 'limit':
      return `skipped: ${usd(extra.spent_this_cycle_micros)} of your ${limit === null ? 'monthly' : usd(limit)} limit is used, and a ${amount} reload would go past it`;
    case 'no_payment_method':
      return 'skipped: there is no card on file';
    case 'extra_usage_off':
      return 'skipped: extra usage is off';
    case 'daily_cap':
      return `skipped: a ${amount} reload would pass today's purchase cap`;
    case 'in_flight':
      return 'skipped: another reload was already under way';
    default:
      return `skipped: ${last.reason ?? 'no reason recorded'}`;
  }
}

export function cardFailure(reason: string): string {
  switch (reason) {
    case 'card_declined':
      return 'the card was declined';
    case 'insufficient_funds':
      return 'the card has insufficient funds';
    case 'expired_card':
      return 'the card has expired';
    default:
      return reason.replace(/_/g, ' ');
  }
}

export const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa 4242 (succeeds)' },
  { token: 'tok_mastercard', label: 'Mastercard 4444 (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Declined at charge' },
  { token: 'tok_insufficientFunds', label: 'Insufficient funds at charge' },
  { token: 'tok_expiredCard', label: 'Expired card at charge' },
  { token: 'tok_chargeCustomerFail', label: 'Attaches, declined at charge' },
  { token: 'tok_chargeDeclinedInsufficientFunds', label: 'Insufficient funds (Stripe test mode name)' },
  { token: 'tok_threeDSecure2Required', label: 'Bank asks to confirm (3-D Secure)' },
];
