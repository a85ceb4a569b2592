// The one table from a typed failure to an HTTP status (SPEC §2).
import type { ErrorType } from '../domain/refusals';

export const STATUS_OF: Record<ErrorType, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  idempotency_conflict: 409,
  conflict: 409,
  rate_limited: 429,
  overloaded: 503,
  commit_unknown: 503,
  starting: 503,
  internal_error: 500,
  // funding refusals
  plan_required: 402,
  extra_usage_disabled: 402,
  extra_usage_required: 402,
  allowance_exhausted: 402,
  insufficient_balance: 402,
  spend_limit_reached: 402,
  daily_cap_reached: 402,
  negative_balance: 402,
  api_credits_exhausted: 402,
  key_limit_reached: 402,
  // card refusals
  card_declined: 402,
  insufficient_funds: 402,
  expired_card: 402,
  processing_error: 402,
  authentication_required: 402,
  // refunds and campaign codes: the request is valid, the account's state refuses it
  refund_exceeds_refundable: 409,
  promotion_expired: 409,
  promotion_exhausted: 409,
  promotion_already_claimed: 409,
  // the model gateway: the upstream model API failed (network) or timed out
  upstream_error: 502,
  upstream_timeout: 504,
};
