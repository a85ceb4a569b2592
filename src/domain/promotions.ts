// Campaign codes (issue 11): an operator's code gives each account that claims it one
// promotional grant. A code has an amount, an optional end (claims from then on are refused with
// that date), an optional lifetime for the credit it gives, and a claim limit; each account may
// claim a code once (a unique constraint is the last word; the promotion's row lock orders claims).
import { DAY_MS } from './cycles';
import { limits } from './limits';
import { formatUsd } from './money';
import { AppError, invalid } from './refusals';

export interface Promotion {
  id: string;
  code: string;
  amount_micros: number;
  expires_at_ms: number | null;
  credit_expires_in_days: number | null;
  claims_max: number;
  claims_count: number;
  created_at_ms: number;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * The code as stored and compared: upper case. Only ASCII letters, digits, - and _ are accepted,
 * checked before upper-casing (so no look-alike such as a dotless ı or a trailing space becomes a real code).
 */
export function normalizeCode(field: string, value: string): string {
  const code = value.toUpperCase();
  if (value.length < limits.promotion_code_length_min || value.length > limits.promotion_code_length_max || !CODE.test(value))
    throw invalid(
      field,
      `a code is ${limits.promotion_code_length_min}–${limits.promotion_code_length_max} letters, digits, - or _ (starting with a letter or digit), compared without case`,
    );
  return code;
}

/**
 * Null when `promotion` may be claimed at `now_ms` by an account, else the refusal with its
 * figures, in this order: the code ended, every claim taken, the account has no active paid plan
 * (promotional credit pays for extra usage only).
 */
export function checkClaim(promotion: Promotion, now_ms: number, claimant: { plan_id: string | null; extra_usage_allowed: boolean }): AppError | null {
  if (promotion.expires_at_ms !== null && now_ms >= promotion.expires_at_ms) {
    const ended = new Date(promotion.expires_at_ms).toISOString();
    return new AppError('promotion_expired', `The code ${promotion.code} ended at ${ended}; it can no longer be claimed.`, {
      code: promotion.code,
      expired_at: ended,
    });
  }
  if (promotion.claims_count >= promotion.claims_max)
    return new AppError(
      'promotion_exhausted',
      `The code ${promotion.code} has been claimed ${promotion.claims_max} times, its limit; it can no longer be claimed.`,
      {
        code: promotion.code,
        claims_max: promotion.claims_max,
        claims_count: promotion.claims_count,
      },
    );
  if (!claimant.extra_usage_allowed)
    return new AppError(
      'plan_required',
      'Promotional credit pays for extra usage, which needs an active paid plan (Pro, Max or Team): upgrade, then claim the code.',
      { plan: claimant.plan_id },
    );
  return null;
}

/** When the credit a claim gives expires: `credit_expires_in_days` after the claim, or never. */
export function claimedCreditExpiry(promotion: Promotion, now_ms: number): number | null {
  return promotion.credit_expires_in_days === null ? null : now_ms + promotion.credit_expires_in_days * DAY_MS;
}

export function claimReason(promotion: Promotion): string {
  return `code ${promotion.code} (${formatUsd(promotion.amount_micros)})`;
}
