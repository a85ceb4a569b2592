// Per-plan rate limits (SPEC §1.9): the decisions and their words. The counting itself is the
// limiter's (memory or Redis); these say what a refusal means and what to do.
import type { Plan } from './catalog';
import { AppError, invalid } from './refusals';

/** A request larger than a whole minute's token budget can never pass: it is bad input, not a wait. */
export function tooLargeForPlan(plan: Plan, tokens: number): AppError | null {
  if (tokens <= plan.tokens_per_minute) return null;
  return invalid(
    'max_output_tokens',
    `input_tokens + max_output_tokens (${tokens}) is more than the ${plan.name} plan's ${plan.tokens_per_minute} tokens per minute; lower max_output_tokens`,
  );
}

/** The refusal when a minute's budget is spent: which budget, and when to retry. */
export function rateLimited(plan: Plan, budget: 'requests' | 'tokens', retry_after_ms: number): AppError {
  const which = budget === 'requests' ? `${plan.requests_per_minute} requests` : `${plan.tokens_per_minute} tokens`;
  const retry_after_s = Math.ceil(retry_after_ms / 1000);
  return new AppError('rate_limited', `The ${plan.name} plan allows ${which} per minute. Retry in ${retry_after_s} s.`, {
    retry_after_s,
    requests_per_minute: plan.requests_per_minute,
    tokens_per_minute: plan.tokens_per_minute,
  });
}
