// Expected failures are values. Every refusal has a stable `type`, a message that says what to
// do about it, and the figures behind it. The HTTP status of each type is decided in one table
// (src/http/errors.ts); here the order in which funding checks run is written down once.

/** Funding refusals, in the order `authorize` checks them (first failing check wins). */
export const FUNDING_REFUSAL_ORDER = [
  'plan_required', // no active paid plan where extra usage is needed (or the plan lapsed)
  'extra_usage_required', // third-party app: extra usage is off or empty
  'allowance_exhausted', // first-party app: allowance cannot cover it and extra usage is off
  'extra_usage_disabled', // reserved: a first-party request on a plan without allowance and extra usage off
  'negative_balance', // an earlier settlement took the balance below zero; pay it back first
  'insufficient_balance', // available (balance − holds) is less than this hold
  'spend_limit_reached', // spent_this_cycle + held + this hold > monthly limit
  'daily_cap_reached', // purchases: the per-day redemption cap
  'api_credits_exhausted',
  'key_limit_reached',
] as const;

export type FundingRefusalType = (typeof FUNDING_REFUSAL_ORDER)[number];

// authentication_required: the bank asks the person to confirm the payment (3-D Secure); a purchase waits for it.
export const CARD_REFUSAL_TYPES = ['card_declined', 'insufficient_funds', 'expired_card', 'processing_error', 'authentication_required'] as const;
export type CardRefusalType = (typeof CARD_REFUSAL_TYPES)[number];

export type Figures = Record<string, string | number | boolean | null>;

export interface Refusal<T extends string = string> {
  type: T;
  message: string;
  figures: Figures;
}

export interface FundingRefusal extends Refusal<FundingRefusalType> {}

export function refusal<T extends string>(type: T, message: string, figures: Figures = {}): Refusal<T> {
  return { type, message, figures };
}

/** The other typed failures: bad input, missing things, conflicts, overload. */
export type ErrorType =
  | FundingRefusalType
  | CardRefusalType
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'idempotency_conflict'
  | 'conflict'
  | 'rate_limited'
  | 'overloaded'
  | 'commit_unknown'
  // the server has bound its port and is still doing its first-start work (catalog, demo seed)
  | 'starting'
  | 'internal_error'
  // refunds and campaign codes (issue 11)
  | 'refund_exceeds_refundable'
  | 'promotion_expired'
  | 'promotion_exhausted'
  | 'promotion_already_claimed'
  // the model gateway (docs/gateway.md): the upstream model API could not be reached, or did not answer in time
  | 'upstream_error'
  | 'upstream_timeout';

/** A typed failure carried through use cases; adapters map `type` to their own form once. */
export class AppError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly figures: Figures = {},
    /** What went wrong underneath (for the log only; never sent to a client). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
  }

  static from(r: Refusal<ErrorType>): AppError {
    return new AppError(r.type, r.message, r.figures);
  }
}

/** Bad input: the message names the field; the figures carry the field and any bounds the message states (`min`, `max`, `got`). */
export function invalid(field: string, message: string, figures: Figures = {}): AppError {
  return new AppError('invalid_request', `${field}: ${message}`, { ...figures, field });
}

export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `${what} ${id} was not found`, { id });
}
